using System.Globalization;
using System.Reflection;
using Stepwise.Core;
using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Core.Rules.Trainer;
using Stepwise.Readers;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.Training;

namespace Stepwise.Trainer.Tests.Run;

/// <summary>
/// Every key of the key table that a training dialect has is either done by the bundled trainer or refused before a
/// model loads: the walk writes each key with a value other than its default and checks what SW5001 says against
/// the trainer's table; every key the trainer honours is read into the job (the planner test below) and has a test
/// of its behaviour.
/// </summary>
public sealed class TrainerKeyCoverageTests
{
    private static readonly Dialect[] TrainingDialects = { Dialect.Hf, Dialect.Axolotl, Dialect.LlamaFactory };

    private static string Base(Dialect d) => d switch
    {
        Dialect.Axolotl => $"base_model: {ModelFolder}\nadapter: lora\nmicro_batch_size: 2\nmax_steps: 2\nsave_strategy: \"no\"\nlora_r: 4\n",
        Dialect.LlamaFactory => $"model_name_or_path: {ModelFolder}\nstage: sft\nfinetuning_type: lora\nper_device_train_batch_size: 2\nmax_steps: 2\nsave_strategy: \"no\"\nlora_rank: 4\n",
        _ => $"model_name_or_path: {ModelFolder}\nper_device_train_batch_size: 2\nmax_steps: 2\nsave_strategy: \"no\"\nr: 4\n",
    };

    /// <summary>A YAML value other than the key's default in the dialect.</summary>
    private static string NonDefault(KeyInfo k, Dialect d)
    {
        var def = k.DefaultIn(d);
        string Str(string s) => "\"" + s + "\"";
        switch (k.Type)
        {
            case KeyType.Bool: return def is true ? "false" : "true";
            case KeyType.Integer: return ((def is long l ? l : 0) + 3).ToString(CultureInfo.InvariantCulture);
            case KeyType.Float: return ((def is double x ? x : def is long y ? y : 0) + 0.37).ToString("R", CultureInfo.InvariantCulture);
            case KeyType.List: return "[\"x\"]";
            case KeyType.Mapping: return "{x: 1}";
        }
        var other = k.Values.FirstOrDefault(v => !Equals(v, def as string));
        return Str(other ?? "x");
    }

    private static List<string> Refusals(Dialect d, string key, string value)
    {
        string text = Base(d).Split('\n').Where(l => !l.StartsWith(key + ":", StringComparison.Ordinal)).Aggregate("", (a, l) => l.Length == 0 ? a : a + l + "\n")
                      + $"{key}: {value}\n";
        string path = d == Dialect.Axolotl ? "axolotl.yaml" : "config.yaml";
        var doc = ConfigReaders.Read(text, path).Single();
        Assert.True(doc.Dialect == d, $"'{key}' in the {d} base was read as {doc.Dialect}");
        var r = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { ForBundledTrainer = true });
        return r.Findings.Where(f => f.Id == "SW5001" && f.Message.StartsWith(key + " ", StringComparison.Ordinal)).Select(f => f.Message).ToList();
    }

    [Fact]
    public void Every_key_of_the_training_dialects_is_honoured_or_refused()
    {
        var problems = new List<string>();
        int refused = 0, honoured = 0, noEffect = 0;
        foreach (var k in KeyTable.All)
            foreach (var d in TrainingDialects.Where(k.ExistsIn))
            {
                string spelled = k.SpellingIn(d);
                var value = NonDefault(k, d);
                var said = Refusals(d, spelled, value);
                // The name the trainer reads it as: axolotl's lora_rank_pattern is PEFT's rank_pattern (the key table
                // lists it as an axolotl key of its own).
                string canonical = BundledTrainerSupport.CanonicalOf(d, spelled) ?? k.Name;
                var support = BundledTrainerSupport.Get(canonical);
                switch (support?.Use)
                {
                    case null or TrainerUse.NotRead:
                        if (said.Count == 0) problems.Add($"{d} {spelled}: {value} is not read by the trainer yet not refused");
                        else refused++;
                        break;
                    case TrainerUse.NoEffect:
                        if (said.Count > 0) problems.Add($"{d} {spelled}: changes nothing the trainer computes, yet refused: {said[0]}");
                        else noEffect++;
                        break;
                    case TrainerUse.Honoured:
                        if (!Honoured.ContainsKey(canonical)) problems.Add($"{d} {spelled}: honoured by the trainer's table but no test in {nameof(Honoured)} shows it");
                        if (said.Count > 0) refused++; else honoured++;
                        break;
                }
            }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(refused > 100 && honoured > 40 && noEffect > 40, $"refused {refused}, honoured {honoured}, no effect {noEffect}");
    }

    /// <summary>
    /// Each honoured key: a config line in a dialect that spells it, what the planned job must then hold, and the test that
    /// shows the trainer does it (null: the trainer only accepts the value it always uses, and the walk shows the others refused).
    /// </summary>
    public static readonly Dictionary<string, (Dialect Dialect, string Line, Func<TrainJob, bool> Read, string? Proof)> Honoured = new()
    {
        ["per_device_train_batch_size"] = (Dialect.Hf, "per_device_train_batch_size: 3", j => j.Args.PerDeviceTrainBatchSize == 3 && j.Schedule.Inputs.PerDeviceBatch == 3, "ScheduleRunTests.Optimizer_steps_epoch_ends_and_samples_equal_the_engine"),
        ["per_device_eval_batch_size"] = (Dialect.Hf, "per_device_eval_batch_size: 5", j => j.Args.PerDeviceEvalBatchSize == 5, "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["gradient_accumulation_steps"] = (Dialect.Hf, "gradient_accumulation_steps: 4", j => j.Args.GradientAccumulationSteps == 4, "ScheduleRunTests.Optimizer_steps_epoch_ends_and_samples_equal_the_engine"),
        ["batch_size"] = (Dialect.Axolotl, "batch_size: 8", j => j.Args.GradientAccumulationSteps == 4 && j.Schedule.Inputs.GradientAccumulation == 4, "ScheduleRunTests.Optimizer_steps_epoch_ends_and_samples_equal_the_engine"),
        ["num_train_epochs"] = (Dialect.Axolotl, "num_epochs: 2\nmax_steps: -1", j => j.Args.NumTrainEpochs == 2 && j.Schedule.TotalSteps == 2 * j.Schedule.StepsPerEpoch, "ScheduleRunTests.Optimizer_steps_epoch_ends_and_samples_equal_the_engine"),
        ["max_steps"] = (Dialect.Hf, "max_steps: 7", j => j.Schedule.TotalSteps == 7, "ScheduleRunTests.Optimizer_steps_epoch_ends_and_samples_equal_the_engine"),
        ["dataloader_drop_last"] = (Dialect.Hf, "dataloader_drop_last: true", j => j.Args.DataloaderDropLast, "ScheduleRunTests.Optimizer_steps_epoch_ends_and_samples_equal_the_engine"),
        ["warmup_steps"] = (Dialect.Hf, "warmup_steps: 1", j => j.Schedule.WarmupSteps == 1, "TrainingOracleTests.LoRA_training_steps_match_a_PyTorch_reference_loss_for_loss_and_weight_for_weight"),
        ["warmup_ratio"] = (Dialect.Hf, "warmup_ratio: 0.5", j => j.Schedule.WarmupSteps == 1, "DataTests.Lr_schedules_match_transformers"),
        ["seed"] = (Dialect.Hf, "seed: 7", j => j.Args.Seed == 7, "CheckpointResumeTests.Resume_after_a_stop_reproduces_the_uninterrupted_losses_bit_for_bit"),
        ["learning_rate"] = (Dialect.Hf, "learning_rate: 0.003", j => j.Args.LearningRate == 0.003, "TrainingOracleTests.LoRA_training_steps_match_a_PyTorch_reference_loss_for_loss_and_weight_for_weight"),
        ["weight_decay"] = (Dialect.Hf, "weight_decay: 0.1", j => j.Args.WeightDecay == 0.1, "PeftFeatureTests.Training_steps_with_DoRA_patterns_layers_and_modules_to_save_match_the_reference"),
        ["adam_beta1"] = (Dialect.Hf, "adam_beta1: 0.85", j => j.Args.AdamBeta1 == 0.85, "PeftFeatureTests.Training_steps_with_DoRA_patterns_layers_and_modules_to_save_match_the_reference"),
        ["adam_beta2"] = (Dialect.Hf, "adam_beta2: 0.995", j => j.Args.AdamBeta2 == 0.995, "PeftFeatureTests.Training_steps_with_DoRA_patterns_layers_and_modules_to_save_match_the_reference"),
        ["adam_epsilon"] = (Dialect.Hf, "adam_epsilon: 0.0000001", j => j.Args.AdamEpsilon == 1e-7, "PeftFeatureTests.Training_steps_with_DoRA_patterns_layers_and_modules_to_save_match_the_reference"),
        ["max_grad_norm"] = (Dialect.Hf, "max_grad_norm: 0.5", j => j.Args.MaxGradNorm == 0.5, "TrainingOracleTests.LoRA_training_steps_match_a_PyTorch_reference_loss_for_loss_and_weight_for_weight"),
        ["optim"] = (Dialect.Hf, "optim: paged_adamw_8bit", j => j.Args.Optim == "paged_adamw_8bit", "HfCheckpointTests.Bitsandbytes_optimizers_write_Optimizer2States_state_dict"),
        ["lr_scheduler_type"] = (Dialect.Hf, "lr_scheduler_type: cosine", j => j.Args.LrSchedulerType == "cosine", "PeftFeatureTests.Training_steps_with_DoRA_patterns_layers_and_modules_to_save_match_the_reference"),
        ["eval_strategy"] = (Dialect.Hf, "eval_strategy: epoch\nval_size: 0.1", j => j.Args.EvalStrategy == "epoch", "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["evaluation_strategy"] = (Dialect.Hf, "evaluation_strategy: epoch\nval_size: 0.1", j => j.Args.EvalStrategy == "epoch", "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["logging_strategy"] = (Dialect.Hf, "logging_strategy: epoch", j => j.Args.LoggingStrategy == "epoch", "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["save_strategy"] = (Dialect.Hf, "save_strategy: epoch", j => j.Args.SaveStrategy == "epoch", "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["eval_steps"] = (Dialect.Hf, "eval_steps: 3", j => j.Args.EvalSteps == 3, "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["save_steps"] = (Dialect.Hf, "save_steps: 3", j => j.Args.SaveSteps == 3, "CheckpointResumeTests.Resume_after_a_stop_reproduces_the_uninterrupted_losses_bit_for_bit"),
        ["save_total_limit"] = (Dialect.Hf, "save_total_limit: 2", j => j.Args.SaveTotalLimit == 2, "CheckpointResumeTests.Rotation_keeps_the_limit_and_always_the_best_checkpoint"),
        ["load_best_model_at_end"] = (Dialect.Hf, "load_best_model_at_end: true", j => j.Args.LoadBestModelAtEnd, "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["greater_is_better"] = (Dialect.Hf, "greater_is_better: false", j => j.Args.GreaterIsBetter == false, "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["metric_for_best_model"] = (Dialect.Hf, "metric_for_best_model: eval_loss", j => j.Args.MetricForBestModel == "eval_loss", "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["logging_steps"] = (Dialect.Hf, "logging_steps: 2", j => j.Args.LoggingSteps == 2, "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["output_dir"] = (Dialect.Hf, "output_dir: elsewhere", j => j.OutputDir == "elsewhere", "CheckpointResumeTests.Outputs_follow_PEFT_and_HF_layouts"),
        ["resume_from_checkpoint"] = (Dialect.Hf, "resume_from_checkpoint: true", j => j.Args.ResumeFromCheckpoint == "true", "CheckpointResumeTests.Resume_after_a_stop_reproduces_the_uninterrupted_losses_bit_for_bit"),
        ["save_safetensors"] = (Dialect.Hf, "save_safetensors: true", _ => true, null),
        ["model_name_or_path"] = (Dialect.Hf, "model_name_or_path: {model}", j => j.ModelPath == ModelFolder && j.Lora.BaseModelNameOrPath == ModelFolder, "LlamaTests.Forward_matches_the_independent_PyTorch_reference"),
        ["load_in_4bit"] = (Dialect.Hf, "load_in_4bit: true\nbnb_4bit_quant_type: nf4", j => j.Load.Quantize == QuantType.Nf4, "OverfitTests.QLoRA_on_the_default_model_overfits_8_records_below_0_1_and_leaves_the_base_untouched"),
        ["bnb_4bit_use_double_quant"] = (Dialect.Hf, "load_in_4bit: true\nbnb_4bit_use_double_quant: true", j => j.Load.DoubleQuant, "FourBitTests.Double_quantized_NF4_costs_4_127_bits_per_parameter_as_in_the_QLoRA_paper"),
        ["bnb_4bit_quant_type"] = (Dialect.Hf, "load_in_4bit: true\nbnb_4bit_quant_type: fp4", j => j.Load.Quantize == QuantType.Fp4, "Linear4bitTests.Forward_equals_a_float32_matmul_with_the_dequantized_weight"),
        ["load_in_8bit"] = (Dialect.Hf, "load_in_8bit: false", j => j.Load.Quantize is null, null),
        ["quantization_bit"] = (Dialect.LlamaFactory, "quantization_bit: 4", j => j.Load.Quantize is not null, "OverfitTests.QLoRA_on_the_default_model_overfits_8_records_below_0_1_and_leaves_the_base_untouched"),
        ["quantization_method"] = (Dialect.LlamaFactory, "quantization_method: bnb", _ => true, null),
        ["r"] = (Dialect.LlamaFactory, "lora_rank: 6", j => j.Lora.R == 6, "LoraTests.Scaling_is_alpha_over_r_or_over_sqrt_r_with_rsLoRA"),
        ["lora_alpha"] = (Dialect.Axolotl, "lora_alpha: 12", j => j.Lora.LoraAlpha == 12, "LoraTests.Scaling_is_alpha_over_r_or_over_sqrt_r_with_rsLoRA"),
        ["lora_dropout"] = (Dialect.Hf, "lora_dropout: 0.1", j => j.Lora.LoraDropout == 0.1, "PeftFeatureTests.DoRA_with_dropout_in_training_recomputes_the_base_term_on_the_dropped_input_as_PEFT_does"),
        ["target_modules"] = (Dialect.Axolotl, "lora_target_modules: [q_proj, o_proj]", j => j.Lora.TargetModules.SequenceEqual(new[] { "q_proj", "o_proj" }), "LoraTests.Target_modules_match_by_name_suffix_as_PEFT_does"),
        ["lora_target_linear"] = (Dialect.Axolotl, "lora_target_linear: true", j => j.Lora.TargetModules.Count == 7, "LoraTests.Only_LoRA_parameters_require_grad_and_all_linear_skips_lm_head"),
        ["use_rslora"] = (Dialect.Axolotl, "peft_use_rslora: true", j => j.Lora.UseRslora, "LoraTests.Scaling_is_alpha_over_r_or_over_sqrt_r_with_rsLoRA"),
        ["use_dora"] = (Dialect.LlamaFactory, "use_dora: true", j => j.Lora.UseDora, "PeftFeatureTests.Forward_with_PEFT_features_matches_the_reference_and_the_saved_adapter_reloads_to_the_same_model"),
        ["peft_use_dora"] = (Dialect.Axolotl, "peft_use_dora: true", j => j.Lora.UseDora, "PeftFeatureTests.Training_steps_with_DoRA_patterns_layers_and_modules_to_save_match_the_reference"),
        ["rank_pattern"] = (Dialect.Hf, "rank_pattern: {q_proj: 2, \"layers\\\\.1\\\\..*\": 3}", j => j.Lora.RankPattern.Count == 2 && j.Lora.RankFor("model.layers.0.self_attn.q_proj") == 2 && j.Lora.RankFor("model.layers.1.mlp.up_proj") == 3, "PeftFeatureTests.Forward_with_PEFT_features_matches_the_reference_and_the_saved_adapter_reloads_to_the_same_model"),
        ["alpha_pattern"] = (Dialect.Axolotl, "lora_alpha_pattern: {v_proj: 32}", j => j.Lora.AlphaFor("model.layers.0.self_attn.v_proj") == 32, "PeftFeatureTests.Forward_with_PEFT_features_matches_the_reference_and_the_saved_adapter_reloads_to_the_same_model"),
        ["layers_to_transform"] = (Dialect.Axolotl, "peft_layers_to_transform: [1]", j => j.Lora.LayersToTransform!.SequenceEqual(new[] { 1 }), "PeftFeatureTests.Layers_to_transform_filters_by_the_index_after_the_layers_pattern"),
        ["layers_pattern"] = (Dialect.Hf, "layers_pattern: layers\nlayers_to_transform: 0", j => j.Lora.LayersPattern!.SequenceEqual(new[] { "layers" }) && j.Lora.LayersToTransform!.SequenceEqual(new[] { 0 }), "PeftFeatureTests.Layers_to_transform_filters_by_the_index_after_the_layers_pattern"),
        ["modules_to_save"] = (Dialect.LlamaFactory, "additional_target: lm_head,model.norm", j => j.Lora.ModulesToSave!.SequenceEqual(new[] { "lm_head", "model.norm" }), "PeftFeatureTests.Training_steps_with_DoRA_patterns_layers_and_modules_to_save_match_the_reference"),
        ["lora_modules_to_save"] = (Dialect.Axolotl, "lora_modules_to_save: [embed_tokens]", j => j.Lora.ModulesToSave!.SequenceEqual(new[] { "embed_tokens" }), "PeftFeatureTests.Forward_with_PEFT_features_matches_the_reference_and_the_saved_adapter_reloads_to_the_same_model"),
        ["exclude_modules"] = (Dialect.Hf, "exclude_modules: [\"model.layers.0.self_attn.v_proj\"]", j => !j.Lora.Targets("model.layers.0.self_attn.v_proj") && j.Lora.Targets("model.layers.1.self_attn.v_proj"), "PeftFeatureTests.Layers_to_transform_filters_by_the_index_after_the_layers_pattern"),
        ["adapter"] = (Dialect.Axolotl, "adapter: qlora", j => j.Load.Quantize is not null, "OverfitTests.QLoRA_on_the_default_model_overfits_8_records_below_0_1_and_leaves_the_base_untouched"),
        ["finetuning_type"] = (Dialect.LlamaFactory, "finetuning_type: lora", _ => true, null),
        ["stage"] = (Dialect.LlamaFactory, "stage: sft", _ => true, null),
        ["task_type"] = (Dialect.Hf, "task_type: CAUSAL_LM", _ => true, null),
        ["bias"] = (Dialect.Hf, "bias: none", _ => true, null),
        ["init_lora_weights"] = (Dialect.Hf, "init_lora_weights: true", _ => true, "LoraTests.Init_is_Kaiming_uniform_for_A_and_zero_for_B"),
        ["fan_in_fan_out"] = (Dialect.Hf, "fan_in_fan_out: false", _ => true, null),
        ["lora_fan_in_fan_out"] = (Dialect.Axolotl, "lora_fan_in_fan_out: false", _ => true, null),
        ["use_peft"] = (Dialect.Hf, "use_peft: true", _ => true, null),
        ["inference_mode"] = (Dialect.Hf, "inference_mode: false", _ => true, null),
        ["val_size"] = (Dialect.LlamaFactory, "val_size: 0.1", j => j.Args.ValSize == 0.1 && j.Eval.Count > 0, "DataTests.Validation_split_takes_ceil_of_the_fraction_or_the_count"),
        ["val_set_size"] = (Dialect.Axolotl, "val_set_size: 0.1", j => j.Args.ValSize == 0.1 && j.Eval.Count > 0, "DataTests.Validation_split_takes_ceil_of_the_fraction_or_the_count"),
        ["cutoff_len"] = (Dialect.LlamaFactory, "cutoff_len: 300", j => j.Args.MaxLength == 300 && j.Train.All(e => e.Length <= 300), "DataTests.Truncation_cuts_to_max_length_and_packing_counts_sequences"),
        ["sequence_len"] = (Dialect.Axolotl, "sequence_len: 300", j => j.Args.MaxLength == 300 && j.Train.All(e => e.Length <= 300), "DataTests.Truncation_cuts_to_max_length_and_packing_counts_sequences"),
        ["max_length"] = (Dialect.Hf, "max_length: 300", j => j.Args.MaxLength == 300 && j.Train.All(e => e.Length <= 300), "DataTests.Truncation_cuts_to_max_length_and_packing_counts_sequences"),
        ["max_seq_length"] = (Dialect.Hf, "max_seq_length: 300", j => j.Args.MaxLength == 300, "DataTests.Truncation_cuts_to_max_length_and_packing_counts_sequences"),
        ["train_on_inputs"] = (Dialect.Hf, "train_on_inputs: true", j => j.Args.TrainOnInputs, "DataTests.Alpaca_masks_the_prompt_and_trains_the_response_and_eos"),
        ["max_samples"] = (Dialect.LlamaFactory, "max_samples: 50", j => j.Train.Count + j.Eval.Count == 50, "TrainerKeyCoverageTests.Honoured_keys_are_read_into_the_job"),
        ["chat_template"] = (Dialect.Hf, "chat_template: builtin", _ => true, "ChatTemplateRunTests.Chat_template_builtin_forces_the_built_in_format"),
        ["chat_template_jinja"] = (Dialect.Hf, "", _ => true, "ChatTemplateRunTests.Chat_template_jinja_in_the_config_is_used_and_a_bad_one_is_refused_with_its_position"),
        ["dataset_format"] = (Dialect.Hf, "dataset_format: alpaca", _ => true, "DataTests.Alpaca_masks_the_prompt_and_trains_the_response_and_eos"),
        // Where the data comes from: `stepwise train` locates the one dataset these name (a local file or folder).
        ["train_file"] = (Dialect.Hf, "", _ => true, "ChatTemplateRunTests.A_model_with_a_ChatML_template_trains_on_records_rendered_with_it"),
        ["validation_file"] = (Dialect.Hf, "", _ => true, "ChatTemplateRunTests.A_model_with_a_ChatML_template_trains_on_records_rendered_with_it"),
        ["dataset_name"] = (Dialect.Hf, "", _ => true, "ChatTemplateRunTests.A_model_with_a_ChatML_template_trains_on_records_rendered_with_it"),
        ["dataset_path"] = (Dialect.Hf, "", _ => true, "ChatTemplateRunTests.A_model_with_a_ChatML_template_trains_on_records_rendered_with_it"),
        ["dataset_dir"] = (Dialect.LlamaFactory, "", _ => true, "ChatTemplateRunTests.A_model_with_a_ChatML_template_trains_on_records_rendered_with_it"),
        ["dataset"] = (Dialect.LlamaFactory, "", _ => true, "ChatTemplateRunTests.A_model_with_a_ChatML_template_trains_on_records_rendered_with_it"),
        ["datasets"] = (Dialect.Axolotl, "", _ => true, "ChatTemplateRunTests.A_model_with_a_ChatML_template_trains_on_records_rendered_with_it"),
        // Accepted only as "off": the walk shows the other values refused.
        ["packing"] = (Dialect.Hf, "packing: false", j => !j.Args.Packing, null),
        ["sample_packing"] = (Dialect.Axolotl, "sample_packing: false", j => !j.Args.Packing, null),
        ["streaming"] = (Dialect.LlamaFactory, "streaming: false", _ => true, null),
        ["world_size"] = (Dialect.Hf, "", _ => true, null),
        ["deepspeed"] = (Dialect.Hf, "", _ => true, null),
    };

    private static readonly string ModelFolder = Path.Combine(Path.GetTempPath(), "stepwise-trainer-tests-coverage-model-v1");

    public static IEnumerable<object[]> HonouredKeys() => Honoured.Where(h => h.Value.Line.Length > 0).Select(h => new object[] { h.Key });

    /// <summary>The default model in <see cref="ModelFolder"/>, written once (by whichever test gets there first).</summary>
    private static void EnsureModelFolder()
    {
        if (File.Exists(Path.Combine(ModelFolder, "model.safetensors"))) return;
        string tmp = ModelFolder + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        DefaultModel.Create(tmp, 0);
        try { Directory.Move(tmp, ModelFolder); } catch (IOException) { Directory.Delete(tmp, true); }
    }

    [Theory]
    [MemberData(nameof(HonouredKeys))]
    public void Honoured_keys_are_read_into_the_job(string key)
    {
        var (dialect, line, read, _) = Honoured[key];
        EnsureModelFolder();
        using var dir = new TempDir();
        var lines = line.Replace("{model}", ModelFolder).Split('\n');
        var keys = lines.Select(l => l[..l.IndexOf(':')]).ToHashSet();
        string text = string.Concat(Base(dialect).Split('\n').Where(l => l.Length > 0 && !keys.Contains(l[..l.IndexOf(':')])).Select(l => l + "\n"))
                      + string.Concat(lines.Select(l => l + "\n"));
        string path = dir[dialect == Dialect.Axolotl ? "axolotl.yaml" : "config.yaml"];
        File.WriteAllText(path, text);
        var doc = ConfigReaders.Read(text, path).Single();
        var analysis = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { ForBundledTrainer = true, DatasetSize = 100 });
        Assert.DoesNotContain(analysis.Findings, f => f.Id == "SW5001");
        var (job, _) = RunPlanner.Plan(analysis, path, null, new PlanOptions { OutputDir = key == "output_dir" ? null : dir["out"], DefaultModelFolder = ModelFolder });
        Assert.True(read(job), $"{key}: `{line}` did not reach the job");
    }

    [Theory]
    [InlineData(Dialect.Axolotl, "cosine", "adamw_torch_fused", 2, 1.0)]
    [InlineData(Dialect.LlamaFactory, "linear", "adamw_torch", 2, 3.0)]
    [InlineData(Dialect.Hf, "linear", "adamw_torch", 2, 3.0)]
    public void Keys_a_config_leaves_out_take_its_tool_s_default_not_Hugging_Face_s(Dialect dialect, string scheduler, string optim, int batch, double epochs)
    {
        // axolotl's AxolotlInputConfig defaults lr_scheduler to cosine, optimizer to adamw_torch_fused and num_epochs
        // to 1 (the key data, axolotl 0.18.0): a run of an axolotl file that leaves them out trains that, and its
        // training_args.json says so. LLaMA-Factory's files are read by HfArgumentParser into TrainingArguments.
        EnsureModelFolder();
        using var dir = new TempDir();
        string path = dir[dialect == Dialect.Axolotl ? "axolotl.yaml" : "config.yaml"];
        string text = Base(dialect);
        File.WriteAllText(path, text);
        var doc = ConfigReaders.Read(text, path).Single();
        Assert.Equal(dialect, doc.Dialect);
        var analysis = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { ForBundledTrainer = true, DatasetSize = 100 });
        var (job, _) = RunPlanner.Plan(analysis, path, null, new PlanOptions { OutputDir = dir["out"], DefaultModelFolder = ModelFolder });
        Assert.Equal(scheduler, job.Args.LrSchedulerType);
        Assert.Equal(optim, job.Args.Optim);
        Assert.Equal(batch, job.Args.PerDeviceTrainBatchSize);
        Assert.Equal(epochs, job.Args.NumTrainEpochs);
        Assert.Equal(scheduler, job.TrainingArgsJson["lr_scheduler_type"]!.GetValue<string>());
        Assert.Equal(optim, job.TrainingArgsJson["optim"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(Dialect.LlamaFactory, "lora_rank: 16", 32.0)]
    [InlineData(Dialect.LlamaFactory, "lora_rank: 16\nlora_alpha: 0", 32.0)]
    [InlineData(Dialect.LlamaFactory, "lora_rank: 16\nlora_alpha: 4", 4.0)]
    [InlineData(Dialect.Hf, "r: 16", 8.0)]
    [InlineData(Dialect.Axolotl, "lora_r: 16", 8.0)]
    public void LLaMA_Factory_s_unset_lora_alpha_is_twice_the_rank(Dialect dialect, string lines, double alpha)
    {
        // LLaMA-Factory 0.9.x FinetuningArguments.__post_init__: lora_alpha = lora_alpha or lora_rank * 2; PEFT's
        // LoraConfig (what Hugging Face files and axolotl build) keeps its default of 8.
        using var dir = new TempDir();
        string path = dir[dialect == Dialect.Axolotl ? "axolotl.yaml" : "config.yaml"];
        var stated = lines.Split('\n').Select(l => l[..l.IndexOf(':')]).ToHashSet();
        string text = string.Concat(Base(dialect).Split('\n').Where(l => l.Length > 0 && !stated.Contains(l[..l.IndexOf(':')])).Select(l => l + "\n")) + lines + "\n";
        File.WriteAllText(path, text);
        var doc = ConfigReaders.Read(text, path).Single();
        var analysis = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { ForBundledTrainer = true, DatasetSize = 100 });
        var lora = Stepwise.Trainer.Lora.PeftSettings.Read(analysis.Setup, TrainingArguments.FromSetup(analysis.Setup), ModelFolder);
        Assert.Equal(16, lora.R);
        Assert.Equal(alpha, lora.LoraAlpha);
    }

    [Fact]
    public void Without_a_model_the_adapter_names_the_default_model_folder_by_its_full_path()
    {
        // AutoPeftModelForCausalLM.from_pretrained(adapter) loads base_model_name_or_path: a full local path resolves.
        using var dir = new TempDir();
        string path = dir["config.yaml"];
        const string text = "per_device_train_batch_size: 2\nmax_steps: 2\nsave_strategy: \"no\"\n";
        File.WriteAllText(path, text);
        var doc = ConfigReaders.Read(text, path).Single();
        var analysis = Engine.Analyze(new AnalysisInputs(doc), new AnalysisOptions { ForBundledTrainer = true, DatasetSize = 100 });
        var folder = dir["default-model"];
        var (job, _) = RunPlanner.Plan(analysis, path, null, new PlanOptions { OutputDir = dir["out"], DefaultModelFolder = folder });
        Assert.Equal(Path.GetFullPath(folder), job.Lora.BaseModelNameOrPath);
        Assert.True(Path.IsPathFullyQualified(job.Lora.BaseModelNameOrPath));
        Assert.True(File.Exists(Path.Combine(job.Lora.BaseModelNameOrPath, "config.json")) && File.Exists(Path.Combine(job.Lora.BaseModelNameOrPath, "model.safetensors")));
    }

    [Fact]
    public void Every_honoured_key_names_an_existing_test_of_its_behaviour()
    {
        var tests = typeof(TrainerKeyCoverageTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods().Where(m => m.GetCustomAttributes<FactAttribute>().Any()).Select(m => $"{t.Name}.{m.Name}"))
            .ToHashSet();
        var honoured = BundledTrainerSupport.Keys.Where(k => k.Use == TrainerUse.Honoured).Select(k => k.Name).ToList();
        Assert.All(honoured, k => Assert.True(Honoured.ContainsKey(k), $"{k} is honoured by the trainer's table but has no entry here"));
        Assert.All(Honoured, h => Assert.True(h.Value.Proof is null || tests.Contains(h.Value.Proof), $"{h.Key}: no test {h.Value.Proof}"));
    }
}
