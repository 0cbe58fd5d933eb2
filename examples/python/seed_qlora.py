# stepwise: dataset_size=52002
# QLoRA fine-tuning of OpenLLaMA 7B v2 with the Hugging Face Trainer, as in the article:
# first with a fixed number of steps, then trained by epochs with a smaller per-device batch.
import torch
from datasets import load_dataset
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    Trainer,
    TrainingArguments,
)

model_id = "openlm-research/open_llama_7b_v2"

bnb_config = BitsAndBytesConfig(
    load_in_4bit=True,
    bnb_4bit_use_double_quant=True,
    bnb_4bit_quant_type="nf4",
    bnb_4bit_compute_dtype=torch.bfloat16,
)

tokenizer = AutoTokenizer.from_pretrained(model_id)
model = AutoModelForCausalLM.from_pretrained(model_id, quantization_config=bnb_config, device_map={"": 0})
model = prepare_model_for_kbit_training(model)

lora_config = LoraConfig(
    r=8,
    lora_alpha=32,
    target_modules=["q_proj", "v_proj"],
    lora_dropout=0.05,
    bias="none",
    task_type="CAUSAL_LM",
)
model = get_peft_model(model, lora_config)

data = load_dataset("json", data_files="data.json")
data = data.map(lambda samples: tokenizer(samples["text"]), batched=True)

# First run: raising the batch size made training take much longer.
training_args = TrainingArguments(
    output_dir="output",
    per_device_train_batch_size=128,
    gradient_accumulation_steps=1,
    learning_rate=2e-4,
    max_steps=1000,
    num_train_epochs=3,
    optim="paged_adamw_8bit",
    fp16=True,
    evaluation_strategy="epoch",
    save_strategy="epoch",
    save_total_limit=2,
    load_best_model_at_end=True,
)

# Fixed: no max_steps, so num_train_epochs decides the length; 32 x 4 keeps 128 samples per step.
training_args = TrainingArguments(
    output_dir="output",
    per_device_train_batch_size=32,
    gradient_accumulation_steps=4,
    learning_rate=2e-4,
    # max_steps=1000,
    num_train_epochs=3,
    optim="paged_adamw_8bit",
    fp16=True,
    evaluation_strategy="epoch",
    save_strategy="epoch",
    save_total_limit=2,
    load_best_model_at_end=True,
)

trainer = Trainer(
    model=model,
    args=training_args,
    train_dataset=data["train"],
)
trainer.train()
