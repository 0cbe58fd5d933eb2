// Generated from Stepwise.Core.Rules.RuleSet.Descriptors by `./stepwise dev generate`
// (Stepwise.Core/Artefacts/RoslynDescriptorTable.cs). Do not edit; run it again after a rule change
// (checked in rather than built at run time because Roslyn's release tracking needs constant ids).
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Stepwise.Roslyn;

/// <summary>One DiagnosticDescriptor per engine rule: same ids, titles, default severities and help links.</summary>
public static class StepwiseDescriptors
{
    public static readonly DiagnosticDescriptor SW0001 = new(
        id: "SW0001",
        title: "Internal error",
        messageFormat: "{0}",
        category: "Internal",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports that a rule crashed on this document. The other findings are still shown, but the crashed rule said nothing; this is a bug in Stepwise.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW0001.md");

    public static readonly DiagnosticDescriptor SW1001 = new(
        id: "SW1001",
        title: "max_steps implies more epochs than intended",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Computes how many epochs `max_steps` actually trains (max_steps / steps per epoch, where steps per epoch = ceil(ceil(N / batch) / world size / accumulation)) and reports it when that is more than `num_train_epochs` says, or more than the epoch threshold (2.0 by default; setting `epochThreshold`, option `--epoch-threshold`). With `max_steps` fixed, every step carries per_device_train_batch_size x gradient_accumulation_steps x world size samples. Raising the batch size therefore multiplies the data processed and the wall time: batch 8 -> 128 at max_steps 1000 turns 0.15 epochs of 52,002 examples into 2.46, and the run takes 16 times longer. The Trainer only says so in an info log once the job runs.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1001.md");

    public static readonly DiagnosticDescriptor SW1002 = new(
        id: "SW1002",
        title: "num_train_epochs is ignored because max_steps is set",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Reports a written `num_train_epochs` (axolotl: `num_epochs`) in a config whose `max_steps` is greater than 0, with the epochs the run will really train (a warning). When `num_train_epochs` is not written, the default it would have (3.0 in HF and LLaMA-Factory, 1 in axolotl) is just as silently ignored: that is reported as information on `max_steps`. Hugging Face Trainer (and axolotl, where max_steps \"precedes num_epochs\") silently lets `max_steps` decide the run length; `num_train_epochs` only shows up in an info log. A reader of the config believes the run does the written number of epochs.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1002.md");

    public static readonly DiagnosticDescriptor SW1003 = new(
        id: "SW1003",
        title: "Batch size changed while max_steps stayed",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Compares the config with its last committed version (git HEAD). When the samples per optimizer step (per-device batch x accumulation x world size) changed but `max_steps` did not, reports the epochs before and after and the factor on training time. This is the seed scenario: someone raises the batch size to use a bigger GPU, keeps `max_steps`, and the run silently processes 16x the data and takes 16x longer.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1003.md");

    public static readonly DiagnosticDescriptor SW1004 = new(
        id: "SW1004",
        title: "max_steps covers less than one epoch",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "Reports a `max_steps` that ends the run before the first epoch is over, with how many examples are never seen. Often intended (a smoke test, a budgeted run), sometimes not: the part of the dataset after the stopping point is never trained on, and which part that is depends on the shuffle.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1004.md");

    public static readonly DiagnosticDescriptor SW1005 = new(
        id: "SW1005",
        title: "Dataset size unknown",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "Reports that the number of training examples could not be found (a hub dataset that is not in the local cache, a streaming dataset, a missing file), so steps per epoch and epochs cannot be computed. It is never guessed. Without N, nothing can tell how many epochs `max_steps` trains or how many steps `num_train_epochs` takes.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1005.md");

    public static readonly DiagnosticDescriptor SW1006 = new(
        id: "SW1006",
        title: "Ratio or per-epoch setting measured against max_steps",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Reports `save_steps`, `eval_steps` or `logging_steps` below 1, `warmup_ratio`, and axolotl's `saves_per_epoch` / `evals_per_epoch` in a config whose length is set by `max_steps`, with the absolute steps they turn into. These values are fractions of the total steps, not of an epoch. Once `max_steps` decides the run length, \"4 saves per epoch\" or \"warm up 3%\" follow max_steps: a batch-size change moves them in epochs, and axolotl's per-epoch counts no longer happen per epoch at all.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1006.md");

    public static readonly DiagnosticDescriptor SW1007 = new(
        id: "SW1007",
        title: "DeepSpeed batch settings disagree",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Checks the DeepSpeed JSON named by `deepspeed:`: `train_batch_size` must equal `train_micro_batch_size_per_gpu` x `gradient_accumulation_steps` x world size, and fixed (non-\"auto\") values must equal the trainer's per_device_train_batch_size and gradient_accumulation_steps. DeepSpeed asserts the identity at start-up and the HF integration refuses mismatching fixed values (\"Please correct the following DeepSpeed config values that mismatch TrainingArguments values\"), after the model has loaded.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1007.md");

    public static readonly DiagnosticDescriptor SW1008 = new(
        id: "SW1008",
        title: "The training dataloader is empty",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports a training set that gives no batch at all: with `dataloader_drop_last: true` and fewer examples than per_device_train_batch_size x world size, every batch is incomplete and dropped (or the dataset has no examples). The Trainer plans one step per epoch anyway. With `max_steps` set it then finds no batch, logs the warning \"There seems not to be a single sample in your epoch_iterator\" and stops at step 0: the job ends \"successfully\" without training. Without `max_steps` it refuses to start (\"args.max_steps must be set to a positive value if dataloader does not have a length\"). axolotl passes its own max_steps, so it takes the first path.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1008.md");

    public static readonly DiagnosticDescriptor SW1009 = new(
        id: "SW1009",
        title: "Packed run: steps depend on token lengths",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "Reports a config that packs several examples into each sequence (axolotl `sample_packing`, TRL `packing`, LLaMA-Factory `packing` / `neat_packing`) when the token length of every example is not known, so the rows the packer makes, the steps per epoch and the epochs are left unknown instead of computed from the unpacked count. Also reports when the packer works on a shuffled order (axolotl's multipack sampler, a shuffled split before packing) and simulated shuffles give different step counts, and when axolotl would refuse an over-long example. Packing concatenates short examples into sequences of `sequence_len` / `max_length` tokens: 5,000 examples of about 30 tokens fit in a few dozen sequences of 2,048, so the run makes a few dozen steps, not the 1,875 the unpacked count gives. Every number derived from the steps (max_steps epochs, warmup, eval/save cadence, time) is then wrong too.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW1009.md");

    public static readonly DiagnosticDescriptor SW2001 = new(
        id: "SW2001",
        title: "fp16 and bf16 are both true",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `fp16` and `bf16` both set to true, and `fp16_full_eval` and `bf16_full_eval` both set to true. In axolotl, which drops fp16 when bf16 is on, it is a warning. A run has one mixed-precision mode. TrainingArguments raises a ValueError in `__post_init__` when both are asked for, so the job dies at start-up.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2001.md");

    public static readonly DiagnosticDescriptor SW2002 = new(
        id: "SW2002",
        title: "load_best_model_at_end needs matching eval and save strategies",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `load_best_model_at_end: true` when `eval_strategy` and `save_strategy` differ (defaults count: eval `no`, save `steps`), unless `save_strategy` is `best`. axolotl decides load_best_model_at_end itself and drops a written `true` unless save_steps is a multiple of eval_steps with an evaluation set: there it is a warning. The best checkpoint can only be picked among checkpoints that were evaluated, so TrainingArguments refuses the combination (\"--load_best_model_at_end requires the save and eval strategy to match\") after the model has loaded.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2002.md");

    public static readonly DiagnosticDescriptor SW2003 = new(
        id: "SW2003",
        title: "save_steps is not a round multiple of eval_steps",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "With `load_best_model_at_end` and `steps` for both strategies, reports a `save_steps` that is not a round multiple of `eval_steps` (which takes `logging_steps` when unset), and a ratio (below 1) mixed with an absolute count. Every checkpoint must come with a fresh evaluation for the best one to be known. TrainingArguments checks `save_steps % eval_steps` in `__post_init__` and raises ValueError; ratios and counts cannot be compared at all.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2003.md");

    public static readonly DiagnosticDescriptor SW2004 = new(
        id: "SW2004",
        title: "eval_strategy steps has no eval_steps to use",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `eval_strategy: steps` with `eval_steps` unset (or 0) while `logging_steps` is 0. An unset `eval_steps` silently takes the value of `logging_steps`; with `logging_steps: 0` there is nothing to take and TrainingArguments raises ValueError (\"evaluation strategy steps requires either non-zero --eval_steps or --logging_steps\").",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2004.md");

    public static readonly DiagnosticDescriptor SW2005 = new(
        id: "SW2005",
        title: "logging_steps is 0 with logging_strategy steps",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `logging_steps: 0` while `logging_strategy` is `steps` (its default). Logging every 0 steps is meaningless; TrainingArguments raises ValueError (\"logging strategy steps requires non-zero --logging_steps\") at start-up.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2005.md");

    public static readonly DiagnosticDescriptor SW2006 = new(
        id: "SW2006",
        title: "Step interval above 1 is not a whole number",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `logging_steps`, `eval_steps` or `save_steps` greater than 1 with a fractional part (`save_steps: 250.5`), when its strategy is `steps` (transformers checks nothing else). Below 1 these values are ratios of the total steps; above 1 they count steps and must be integers. TrainingArguments raises ValueError (\"--save_steps must be an integer if bigger than 1\").",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2006.md");

    public static readonly DiagnosticDescriptor SW2007 = new(
        id: "SW2007",
        title: "reduce_lr_on_plateau without evaluation",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `lr_scheduler_type: reduce_lr_on_plateau` while `eval_strategy` is `no`. This scheduler lowers the learning rate when the evaluation metric stops improving; without evaluations it has nothing to watch, and TrainingArguments raises ValueError (\"lr_scheduler_type reduce_lr_on_plateau requires an eval strategy\").",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2007.md");

    public static readonly DiagnosticDescriptor SW2008 = new(
        id: "SW2008",
        title: "Unknown optimizer, scheduler or strategy",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports values of `optim`, `lr_scheduler_type`, `eval_strategy`, `save_strategy` and `logging_strategy` that are not among the names the selected transformers release accepts, with the valid names and the closest one as a fix. The names are those of the assumed release in the generated key data (`adamw_hf` is gone from 4.50). axolotl's own optimizer names are not judged. TrainingArguments turns these strings into enums in `__post_init__`; an unknown one raises \"X is not a valid OptimizerNames, please select one of [...]\" after the job has started.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2008.md");

    public static readonly DiagnosticDescriptor SW2009 = new(
        id: "SW2009",
        title: "Warmup value out of range",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `warmup_ratio` outside [0, 1] and a negative `warmup_steps`; also a `warmup_steps` that is not a whole number where the class reading it declares an int at the assumed release (transformers before v5, which reads a float below 1 as a ratio of the total steps; axolotl's schema in every release). TrainingArguments checks the ratio range in `__post_init__` and raises ValueError; v4 declares warmup_steps an int, so `warmup_steps: 0.03` (meant as a ratio) fails or warms up for a fraction of one step. axolotl validates its config with pydantic before anything loads, and pydantic refuses a float with a fractional part for an int field.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2009.md");

    public static readonly DiagnosticDescriptor SW2010 = new(
        id: "SW2010",
        title: "dataloader_prefetch_factor without workers",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `dataloader_prefetch_factor` set while `dataloader_num_workers` is 0 (its default). Prefetching is done by worker processes; PyTorch's DataLoader refuses a prefetch factor in the main process, and TrainingArguments raises ValueError (\"--dataloader_prefetch_factor can only be set when data is loaded in a different process\").",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2010.md");

    public static readonly DiagnosticDescriptor SW2011 = new(
        id: "SW2011",
        title: "Evaluation is on but there is no evaluation dataset",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports an evaluation strategy other than `no` (or `do_eval`) in a config that names no evaluation data: LLaMA-Factory with no `val_size` and no `eval_dataset`; axolotl with `val_set_size: 0` and no `test_datasets` (an error), or with `val_set_size` not written (a warning: axolotl then turns evaluation off); an HF-style config with a `train_file` but no `validation_file` (hub datasets are not judged: their test split may serve). Trainer raises \"You have set args.eval_strategy to ... but you didn't pass an eval_dataset\" (LLaMA-Factory: \"Please make sure eval_dataset be provided or val_size >1e-6\"; axolotl: \"eval_steps and eval_strategy are not supported with val_set_size == 0\") once the model is loaded. When axolotl's `val_set_size` is left unset it silently passes `eval_strategy: no` instead, so the evaluations the config asks for never happen.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2011.md");

    public static readonly DiagnosticDescriptor SW2012 = new(
        id: "SW2012",
        title: "save_strategy best has no metric",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `save_strategy: best` without `metric_for_best_model` (and without `load_best_model_at_end`, which would default the metric to the loss). \"Best\" needs a metric to compare checkpoints by. Trainer raises ValueError (\"args.metric_for_best_model must be provided when using 'best' save_strategy\") when it is created, after the model has loaded.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2012.md");

    public static readonly DiagnosticDescriptor SW2013 = new(
        id: "SW2013",
        title: "Quantized model trained without an adapter",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports a 4- or 8-bit base model (`load_in_4bit` / `load_in_8bit`; LLaMA-Factory `quantization_bit`) that is fine-tuned in full: axolotl with no `adapter`, LLaMA-Factory with `finetuning_type` other than lora/oft, TRL-style configs with `use_peft: false`. Quantized weights cannot be trained directly. Trainer raises \"You cannot perform fine-tuning on purely quantized models. Please attach trainable adapters\"; LLaMA-Factory stops with \"Quantization is only compatible with the LoRA or OFT method\".",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2013.md");

    public static readonly DiagnosticDescriptor SW2014 = new(
        id: "SW2014",
        title: "Streamed dataset without max_steps",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `streaming: true` (and axolotl's `pretraining_dataset`) in a config with no positive `max_steps`. A streamed dataset has no length, so epochs cannot be turned into steps. Trainer raises \"args.max_steps must be set to a positive value if dataloader does not have a length\" (LLaMA-Factory: \"Please specify max_steps in streaming mode\").",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2014.md");

    public static readonly DiagnosticDescriptor SW2015 = new(
        id: "SW2015",
        title: "save_total_limit 1 keeps two checkpoints with load_best_model_at_end",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "Reports `save_total_limit: 1` together with `load_best_model_at_end: true`. Trainer never deletes the best checkpoint; when the newest is not the best it keeps both (`_sorted_checkpoints` raises the limit to 2), so the disk holds twice what the limit suggests.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2015.md");

    public static readonly DiagnosticDescriptor SW2016 = new(
        id: "SW2016",
        title: "SFTConfig trains in bf16 unless told otherwise",
        messageFormat: "{0}",
        category: "Validity",
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "Reports an `SFTConfig(...)` call (TRL) that writes neither `bf16` nor `fp16`. Unlike TrainingArguments (bf16 off by default), TRL's SFTConfig sets `bf16` to true when it is left unset and fp16 is off. On GPUs without bfloat16 (V100, T4) the run then stops at start-up, although the same arguments in TrainingArguments would not.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW2016.md");

    public static readonly DiagnosticDescriptor SW3001 = new(
        id: "SW3001",
        title: "load_in_4bit and load_in_8bit are both true",
        messageFormat: "{0}",
        category: "Quantization",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `load_in_4bit: true` together with `load_in_8bit: true`. A model is loaded at one bit width. BitsAndBytesConfig raises \"load_in_4bit and load_in_8bit are both True, but only one can be used at the same time\".",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3001.md");

    public static readonly DiagnosticDescriptor SW3002 = new(
        id: "SW3002",
        title: "Unknown 4-bit quantization type",
        messageFormat: "{0}",
        category: "Quantization",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `bnb_4bit_quant_type` (LLaMA-Factory `quantization_type`) other than `nf4` or `fp4`, spelled exactly so. bitsandbytes only has these two 4-bit data types. The config is accepted at first and the run fails deep inside `quantize_4bit` (\"4-bit quantization data type ... is not implemented\") while the weights are being loaded.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3002.md");

    public static readonly DiagnosticDescriptor SW3003 = new(
        id: "SW3003",
        title: "Unknown dtype for 4-bit storage or compute",
        messageFormat: "{0}",
        category: "Quantization",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `bnb_4bit_quant_storage` outside float16, float32, int8, uint8, float64, bfloat16, and `bnb_4bit_compute_dtype` that is not a torch floating dtype name (a `torch.` prefix is accepted). BitsAndBytesConfig looks the string up on `torch` and raises (\"bnb_4bit_quant_storage must be a string or a torch.dtype\", or an AttributeError for the compute dtype) when the model is loaded.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3003.md");

    public static readonly DiagnosticDescriptor SW3004 = new(
        id: "SW3004",
        title: "4-bit setup is not the QLoRA recipe",
        messageFormat: "{0}",
        category: "Quantization",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "In a config that loads the model in 4 bits, reports a quantization type of `fp4`, double quantization off, and a `float32` compute dtype, whether written or left at the default. BitsAndBytesConfig defaults to all three; axolotl and LLaMA-Factory default to the recipe, so there only written values are reported. In Python, only a BitsAndBytesConfig that a training call's run uses (the model passed to the trainer is loaded with it) is judged: one no training call is connected to may load a model for inference or a test. The QLoRA recipe is NF4 + double quantization + bfloat16 compute. fp4 loses accuracy against nf4 at the same size, no double quantization costs about 0.37 bits per parameter, and float32 compute makes every matmul slower with no quality gain.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3004.md");

    public static readonly DiagnosticDescriptor SW3005 = new(
        id: "SW3005",
        title: "LoRA rank is not positive",
        messageFormat: "{0}",
        category: "LoRA",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports a LoRA rank (`r`; axolotl `lora_r`, LLaMA-Factory `lora_rank`) of 0 or below, or not a whole number. The rank is the inner size of the adapter matrices. PEFT's LoraConfig raises \"`r` should be a positive integer value\".",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3005.md");

    public static readonly DiagnosticDescriptor SW3006 = new(
        id: "SW3006",
        title: "Unknown LoRA bias mode",
        messageFormat: "{0}",
        category: "LoRA",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports a LoraConfig `bias` other than `none`, `all` or `lora_only` (PEFT also takes any other `..._only`). PEFT decides which bias vectors to train from this string and raises NotImplementedError for any other value, when the adapter is attached.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3006.md");

    public static readonly DiagnosticDescriptor SW3007 = new(
        id: "SW3007",
        title: "Unknown PEFT task type",
        messageFormat: "{0}",
        category: "LoRA",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports a `task_type` that is not one of SEQ_CLS, SEQ_2_SEQ_LM, CAUSAL_LM, TOKEN_CLS, QUESTION_ANS, FEATURE_EXTRACTION (upper case). PeftConfig checks the name in `__post_init__` and raises \"Invalid task type\"; the task type decides which PEFT model class wraps the base model (and so which forward signature training uses).",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3007.md");

    public static readonly DiagnosticDescriptor SW3008 = new(
        id: "SW3008",
        title: "LoRA target module not in the base model",
        messageFormat: "{0}",
        category: "LoRA",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports LoRA target names (`target_modules`; axolotl `lora_target_modules`, LLaMA-Factory `lora_target`) that match no module of the base model, only when the model's modules are known: from its weights (model.safetensors or its index) or its config.json when they are on disk (the model folder, the Hugging Face hub cache, or a config.json beside the training config), or from a model id of a family whose modules are known (Llama 2/3, Mistral 7B, Qwen2/2.5/3 dense text models: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, embed_tokens, lm_head). Any other model says nothing. `all-linear` and LLaMA-Factory's `all` are accepted; regular expressions are not judged. PEFT matches each name against the model's module names (equal, or ending in `.name`). When none matches it raises \"Target modules ... not found in the base model\"; when only some match, the others are silently left without adapters (names from other architectures such as `query_key_value` or `c_attn` are the usual cause).",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3008.md");

    public static readonly DiagnosticDescriptor SW3009 = new(
        id: "SW3009",
        title: "adapter: qlora without load_in_4bit",
        messageFormat: "{0}",
        category: "LoRA",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports an axolotl config with `adapter: qlora` where `load_in_4bit` is not true. QLoRA means LoRA over a 4-bit base model. axolotl's config validation refuses `adapter: qlora` unless `load_in_4bit` is true, so the run stops before training.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3009.md");

    public static readonly DiagnosticDescriptor SW3010 = new(
        id: "SW3010",
        title: "gradient_accumulation_steps and batch_size both set",
        messageFormat: "{0}",
        category: "Batch",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports an axolotl config that sets both `gradient_accumulation_steps` and `batch_size` (a null or 0 is not set). axolotl derives one from the other (batch_size = micro_batch_size x gradient_accumulation_steps per process) and refuses a config that states both, since they can disagree.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3010.md");

    public static readonly DiagnosticDescriptor SW3011 = new(
        id: "SW3011",
        title: "warmup_steps and warmup_ratio both set",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `warmup_steps` and `warmup_ratio` written together: an error in axolotl (where a null or 0 is not set), a warning elsewhere when `warmup_steps` is above 0 (Hugging Face then ignores the ratio). axolotl refuses the pair (\"warmup_steps and warmup_ratio are mutually exclusive\"). TrainingArguments' `get_warmup_steps` uses warmup_steps whenever it is above 0, so the ratio is silently ignored.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3011.md");

    public static readonly DiagnosticDescriptor SW3012 = new(
        id: "SW3012",
        title: "Per-epoch count and step interval both set",
        messageFormat: "{0}",
        category: "Schedule",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports an axolotl config that sets `saves_per_epoch` with `save_steps`, or `evals_per_epoch` with `eval_steps`. As in axolotl, a value left empty (null) or 0 is not set. Both say how often to save (or evaluate). axolotl refuses the pair as mutually exclusive at config validation.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW3012.md");

    public static readonly DiagnosticDescriptor SW4001 = new(
        id: "SW4001",
        title: "evaluation_strategy was renamed eval_strategy",
        messageFormat: "{0}",
        category: "Deprecated",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports `evaluation_strategy`. For TrainingArguments (Python, Hugging Face / TRL YAML, LLaMA-Factory) it is an error for transformers 4.51 and later (and v5), where the argument no longer exists, and a warning for 4.41 to 4.50, where it still works but is deprecated; before 4.41 it is the right name. The release is the `transformers_version` setting. axolotl still accepts the old key (it warns and copies it to `eval_strategy`), so there it is a warning whatever the release, and a key left empty (null) says nothing. On current releases `TrainingArguments(evaluation_strategy=...)` raises \"unexpected keyword argument 'evaluation_strategy'\" (and YAML-driven trainers reject the key), after the model has been loaded.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW4001.md");

    public static readonly DiagnosticDescriptor SW4002 = new(
        id: "SW4002",
        title: "max_seq_length was renamed max_length",
        messageFormat: "{0}",
        category: "Deprecated",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Reports `max_seq_length` in a Hugging Face / TRL style config. TRL's SFTConfig renamed `max_seq_length` to `max_length` (deprecated in 0.16, removed in 0.20); newer TRL releases reject the old keyword, older scripts silently keep a different default (1024) for the new one.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW4002.md");

    public static readonly DiagnosticDescriptor SW4003 = new(
        id: "SW4003",
        title: "warmup_ratio is deprecated in transformers v5",
        messageFormat: "{0}",
        category: "Deprecated",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "When the transformers release in use (detected, pinned, stated, else the newest known) is 5 or later, reports `warmup_ratio` in Hugging Face and LLaMA-Factory configs. From 5.0 to 5.14 transformers only warns and uses it as `warmup_steps`: a warning when the release is known (installed, locked, pinned exactly, stated), information when it is the newest release a range pin allows. From 5.15.0, where the field is gone, the message says so: an error when the release is known, a warning when it is only assumed. transformers v5 folds the ratio into `warmup_steps`: a float below 1 is read as a ratio of the total steps. `warmup_ratio` still works for now but is slated for removal.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW4003.md");

    public static readonly DiagnosticDescriptor SW4004 = new(
        id: "SW4004",
        title: "report_to is left to a default that changed in v5",
        messageFormat: "{0}",
        category: "Deprecated",
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "When the transformers release in use is 5 or later (installed or pinned in the workspace, pinned by LLaMA-Factory, or stated by the setting; not when v5 is only the newest release assumed for want of anything else), reports a Hugging Face or LLaMA-Factory training config (LLaMA-Factory: `do_train: true`) that does not write `report_to`: its default changed from `all` (v4) to `none` (v5). Silent for v4 targets, where the unwritten default has always meant `all`. transformers v4 defaults to `all`: every installed integration (wandb, tensorboard, mlflow...) logs, and wandb may stop a headless job to ask for a login. v5 defaults to `none`: nothing is logged unless asked. The same config behaves differently across the upgrade.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW4004.md");

    public static readonly DiagnosticDescriptor SW5001 = new(
        id: "SW5001",
        title: "Setting the bundled Stepwise trainer does not do",
        messageFormat: "{0}",
        category: "Trainer",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Only when the config is trained by the bundled Stepwise trainer (`stepwise train`, `stepwise check --for-trainer stepwise`, the editor's Train command): reports each setting the trainer would not do as written: optimizers, schedulers, LoRA initialisations, tuner types, packing modes, multi-process and DeepSpeed runs it does not implement, keys it does not read that ask for something, and keys it does not know. What it does implement (LoRA and QLoRA with PEFT's rules: DoRA, rank_pattern / alpha_pattern, layers_to_transform, modules_to_save; AdamW and bitsandbytes' 8-bit AdamW; the linear, cosine and constant schedules; HF's step arithmetic and checkpoints) passes. Plain `stepwise check` and the editor's diagnostics never report it: the same settings are right for Hugging Face, axolotl or LLaMA-Factory. A trainer that skips a setting trains something other than what the config says, and the run looks fine. The bundled trainer refuses such a config before it loads a model, and this finding says which settings to change.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW5001.md");

    public static readonly DiagnosticDescriptor SW9001 = new(
        id: "SW9001",
        title: "The file could not be read",
        messageFormat: "{0}",
        category: "File",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports YAML/JSON syntax errors, binary or non-UTF-8 content, and files too deeply nested or too large to analyse. The trainer would fail to load this config, and nothing else can be checked until it parses.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW9001.md");

    public static readonly DiagnosticDescriptor SW9002 = new(
        id: "SW9002",
        title: "Invalid value for a setting",
        messageFormat: "{0}",
        category: "File",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Reports values of the wrong type or out of range for settings the step arithmetic needs (batch size, accumulation, max_steps, epochs, world size), numbers that are not finite (`.inf`, `.nan`, `1e309`, Python's `1e999`: an error where the step arithmetic needs them, a warning elsewhere), and counts too large for 64 bits (a run of more steps or samples than a 64-bit integer holds). TrainingArguments would reject them at start-up (after the model has loaded), or worse, accept a string and fail later; transformers turns `num_train_epochs: .inf` into `math.ceil(inf)` and stops with an OverflowError. Stepwise leaves such a value out of every check and reports what it could not compute as unknown.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW9002.md");

    public static readonly DiagnosticDescriptor SW9003 = new(
        id: "SW9003",
        title: "Unknown key",
        messageFormat: "{0}",
        category: "File",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Once the dialect is certain (its tell-tale keys are present), reports top-level keys that no class reading that file declares at the assumed library versions (the generated upstream key data: TrainingArguments and the TRL configs, ModelConfig and ScriptArguments for Hugging Face YAML; axolotl's input schema and its plugins' arguments; LLaMA-Factory's argument classes; in Python, the class of the call that holds the argument). Keys declared by a `@dataclass` of the workspace that a script passes to `HfArgumentParser`/`TrlParser` are known too. A key within a few letters of a known one is a warning with a \"did you mean\" fix; a key that exists in other releases says which release added or removed it, or that only the library's main branch declares it so far (a warning when the release is known, information when it is assumed); any other unknown key is information only. A Python call's key its class does not declare is a warning (a dataclass raises TypeError, BitsAndBytesConfig ignores it); in Python files without a known class only likely typos are reported, and the fields a subclass defined in the file declares are its own. LLaMA-Factory v1 files (`model_class`, `train_dataset`), which feed a trainer with keys of its own, are not judged. A misspelt key is silently dropped by some loaders (axolotl's pydantic schema ignores undeclared keys; BitsAndBytesConfig ignores unused keyword arguments) and stops others at start-up (HfArgumentParser: \"Some keys are not used by the HfArgumentParser\"; a dataclass call: TypeError). Either way the setting the user meant never takes effect.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW9003.md");

    public static readonly DiagnosticDescriptor SW9004 = new(
        id: "SW9004",
        title: "A referenced file is missing or unreadable",
        messageFormat: "{0}",
        category: "File",
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Reports a `deepspeed:` config, accelerate config or dataset file that the config names but that cannot be read. The run would stop at start-up; and the batch settings in that file cannot be checked.",
        helpLinkUri: "https://github.com/stepwise-tools/stepwise/blob/main/docs/rules/SW9004.md");

    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(SW0001, SW1001, SW1002, SW1003, SW1004, SW1005, SW1006, SW1007, SW1008, SW1009, SW2001, SW2002, SW2003, SW2004, SW2005, SW2006, SW2007, SW2008, SW2009, SW2010, SW2011, SW2012, SW2013, SW2014, SW2015, SW2016, SW3001, SW3002, SW3003, SW3004, SW3005, SW3006, SW3007, SW3008, SW3009, SW3010, SW3011, SW3012, SW4001, SW4002, SW4003, SW4004, SW5001, SW9001, SW9002, SW9003, SW9004);

    public static DiagnosticDescriptor? Find(string id) => id switch
    {
        "SW0001" => SW0001,
        "SW1001" => SW1001,
        "SW1002" => SW1002,
        "SW1003" => SW1003,
        "SW1004" => SW1004,
        "SW1005" => SW1005,
        "SW1006" => SW1006,
        "SW1007" => SW1007,
        "SW1008" => SW1008,
        "SW1009" => SW1009,
        "SW2001" => SW2001,
        "SW2002" => SW2002,
        "SW2003" => SW2003,
        "SW2004" => SW2004,
        "SW2005" => SW2005,
        "SW2006" => SW2006,
        "SW2007" => SW2007,
        "SW2008" => SW2008,
        "SW2009" => SW2009,
        "SW2010" => SW2010,
        "SW2011" => SW2011,
        "SW2012" => SW2012,
        "SW2013" => SW2013,
        "SW2014" => SW2014,
        "SW2015" => SW2015,
        "SW2016" => SW2016,
        "SW3001" => SW3001,
        "SW3002" => SW3002,
        "SW3003" => SW3003,
        "SW3004" => SW3004,
        "SW3005" => SW3005,
        "SW3006" => SW3006,
        "SW3007" => SW3007,
        "SW3008" => SW3008,
        "SW3009" => SW3009,
        "SW3010" => SW3010,
        "SW3011" => SW3011,
        "SW3012" => SW3012,
        "SW4001" => SW4001,
        "SW4002" => SW4002,
        "SW4003" => SW4003,
        "SW4004" => SW4004,
        "SW5001" => SW5001,
        "SW9001" => SW9001,
        "SW9002" => SW9002,
        "SW9003" => SW9003,
        "SW9004" => SW9004,
        _ => null,
    };
}
