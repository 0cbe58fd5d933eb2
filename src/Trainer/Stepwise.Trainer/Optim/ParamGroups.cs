using System.Text.RegularExpressions;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;

namespace Stepwise.Trainer.Optim;

/// <summary>One optimizer parameter group: its parameters (with PEFT's names) and its weight decay.</summary>
public sealed record ParamGroup(IReadOnlyList<(string Name, Parameter Parameter)> Parameters, double WeightDecay);

/// <summary>
/// The parameter groups HF Trainer.create_optimizer builds (transformers v4.57.6 and v5.1.0 alike): group 0 holds the
/// trainable parameters that get weight decay, group 1 those that do not, each in the model's named_parameters order.
/// No decay for names matching bias / layernorm / rmsnorm / "norm" as a name component / "_norm" at a component's end
/// (Trainer.get_decay_parameter_names, searched in the lower-cased full name) or inside an nn.LayerNorm (Llama has none).
/// Both groups exist even when one is empty, so optimizer.pt has two param_groups as HF's has.
/// </summary>
public static class ParamGroups
{
    /// <summary>How many groups <see cref="For"/> makes (optimizer.pt and scheduler.pt hold one entry per group).</summary>
    public const int GroupCount = 2;

    private static readonly Regex[] NoDecay =
        new[] { @"bias", @"layernorm", @"rmsnorm", @"(?:^|\.)norm(?:$|\.)", @"_norm(?:$|\.)" }
            .Select(p => new Regex(p, RegexOptions.CultureInvariant)).ToArray();

    public static bool Decays(string peftName) => !NoDecay.Any(r => r.IsMatch(peftName.ToLowerInvariant()));

    public static IReadOnlyList<ParamGroup> For(LlamaForCausalLM model, double weightDecay)
    {
        var all = LoraModel.TrainableInPeftOrder(model);
        return new[]
        {
            new ParamGroup(all.Where(p => Decays(p.PeftName)).ToList(), weightDecay),
            new ParamGroup(all.Where(p => !Decays(p.PeftName)).ToList(), 0.0),
        };
    }

    /// <summary>One group holding <paramref name="parameters"/> (benchmarks and tests outside a model).</summary>
    public static IReadOnlyList<ParamGroup> Single(IReadOnlyList<Parameter> parameters, double weightDecay) =>
        new[] { new ParamGroup(parameters.Select((p, i) => ($"param{i}", p)).ToList(), weightDecay) };
}
