using System.Linq;
using FluentValidation;
using Stepwise.Core.Model.Views;

namespace Stepwise.Core.Rules.Peft;

/// <summary>SW3003: bnb_4bit_quant_storage or bnb_4bit_compute_dtype that is not a torch dtype bitsandbytes takes.</summary>
public sealed class SW3003_UnknownQuantDtype : ValidatorRule, IChecks<BitsAndBytesConfigView>
{
    public static readonly RuleDescriptor Rule = new("SW3003", "Unknown dtype for 4-bit storage or compute", Severity.Error, "Quantization",
        "Reports `bnb_4bit_quant_storage` outside float16, float32, int8, uint8, float64, bfloat16, and `bnb_4bit_compute_dtype` " +
        "that is not a torch floating dtype name (a `torch.` prefix is accepted).",
        "BitsAndBytesConfig looks the string up on `torch` and raises (\"bnb_4bit_quant_storage must be a string or a torch.dtype\", or " +
        "an AttributeError for the compute dtype) when the model is loaded.",
        "```yaml\nbnb_4bit_compute_dtype: bf16\n```",
        "Write the torch name: `bfloat16`, `float16`, `float32`; the fix picks the closest.");

    public override RuleDescriptor Descriptor => Rule;

    internal static readonly string[] Storage = { "float16", "float32", "int8", "uint8", "float64", "bfloat16" };
    internal static readonly string[] Compute = { "float16", "float32", "bfloat16", "float64", "half", "float", "double" };

    private static string Bare(string v) => v.StartsWith("torch.", System.StringComparison.Ordinal) ? v.Substring(6) : v;

    private static string? Near(string v, string[] valid) =>
        Bare(v) is "bf16" ? "bfloat16" : Bare(v) is "fp16" ? "float16" : Bare(v) is "fp32" ? "float32" : Suggest.Closest(Bare(v), valid);

    public void Define(ConfigValidator<BitsAndBytesConfigView> checks)
    {
        checks.RuleFor(v => v.Bnb4bitQuantStorage).Must(f => f.Text is null || Storage.Contains(Bare(f.Text)))
            .Reports(v => Message(v.Spell("bnb_4bit_quant_storage"), v.Bnb4bitQuantStorage.Text!, Storage), (c, _, f) => Closest(c, f, Storage));
        checks.RuleFor(v => v.Bnb4bitComputeDtype).Must(f => f.Text is null || Compute.Contains(Bare(f.Text)))
            .Reports(v => Message(v.Spell("bnb_4bit_compute_dtype"), v.Bnb4bitComputeDtype.Text!, Compute), (c, _, f) => Closest(c, f, Compute));
    }

    private static string Message(string key, string v, string[] valid) =>
        $"{key}={v} is not a dtype BitsAndBytesConfig takes" + (Near(v, valid) is { } n ? $"; did you mean {n}?" : "") + $" Valid: {string.Join(", ", valid)}";

    private static Fix[] Closest(RuleContext c, Field f, string[] valid) =>
        f.Entry is { } e && f.Raw.AsString() is { } v && Near(v, valid) is { } near ? new[] { Fixes.Set(c, e, near) } : Fixes.None;
}
