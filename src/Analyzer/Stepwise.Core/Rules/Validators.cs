using System.Collections.Generic;
using Stepwise.Core.Model;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules;

/// <summary>transformers <c>TrainingArguments</c>: what its <c>__post_init__</c>, and the Trainer reading it, refuse or
/// silently change. Every trainer dialect ends in one (axolotl and LLaMA-Factory build it from their own config).</summary>
public sealed class TrainingArgumentsValidator : ConfigValidator<TrainingArgumentsView>
{
    public TrainingArgumentsValidator(IEnumerable<Rule> rules) : base(v => v.TrainingArguments, _ => true, rules) { }
}

/// <summary>axolotl's config model (<c>AxolotlInputConfig</c>): its pydantic validators, and what axolotl's trainer
/// builder does with the values.</summary>
public sealed class AxolotlConfigValidator : ConfigValidator<AxolotlConfigView>
{
    public AxolotlConfigValidator(IEnumerable<Rule> rules) : base(v => v.AxolotlConfig, d => d == Dialect.Axolotl, rules) { }
}

/// <summary>LLaMA-Factory's argument classes (model, data, finetuning, ...), as its parser checks them together.</summary>
public sealed class LlamaFactoryArgumentsValidator : ConfigValidator<LlamaFactoryArgumentsView>
{
    public LlamaFactoryArgumentsValidator(IEnumerable<Rule> rules) : base(v => v.LlamaFactoryArguments, d => d == Dialect.LlamaFactory, rules) { }
}

/// <summary>TRL's <c>ModelConfig</c> (Hugging Face style files and scripts: how the model is loaded and whether PEFT is used).</summary>
public sealed class ModelConfigValidator : ConfigValidator<ModelConfigView>
{
    public ModelConfigValidator(IEnumerable<Rule> rules) : base(v => v.ModelConfig, d => d == Dialect.Hf, rules) { }
}

/// <summary>transformers <c>BitsAndBytesConfig</c>: every dialect's quantized loading ends in one.</summary>
public sealed class BitsAndBytesConfigValidator : ConfigValidator<BitsAndBytesConfigView>
{
    public BitsAndBytesConfigValidator(IEnumerable<Rule> rules) : base(v => v.BitsAndBytesConfig, _ => true, rules) { }
}

/// <summary>PEFT's <c>LoraConfig</c>: every dialect's adapter ends in one.</summary>
public sealed class LoraConfigValidator : ConfigValidator<LoraConfigView>
{
    public LoraConfigValidator(IEnumerable<Rule> rules) : base(v => v.LoraConfig, _ => true, rules) { }
}

/// <summary>The validators, built once from <see cref="RuleSet.All"/>.</summary>
public static class ConfigValidators
{
    private static IReadOnlyList<IConfigValidator>? _all;

    /// <summary>In a fixed order (a rule with checks in several classes reports in this order).</summary>
    public static IReadOnlyList<IConfigValidator> All => _all ??= new IConfigValidator[]
    {
        new TrainingArgumentsValidator(RuleSet.All),
        new AxolotlConfigValidator(RuleSet.All),
        new LlamaFactoryArgumentsValidator(RuleSet.All),
        new ModelConfigValidator(RuleSet.All),
        new BitsAndBytesConfigValidator(RuleSet.All),
        new LoraConfigValidator(RuleSet.All),
    };
}
