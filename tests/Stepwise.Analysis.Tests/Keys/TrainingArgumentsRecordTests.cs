using System.Globalization;
using Stepwise.Core.Keys;
using Stepwise.Core.Keys.Upstream;
using Args = Stepwise.Core.Model.TrainingArguments;

namespace Stepwise.Analysis.Tests.Keys;

/// <summary>
/// The C# <see cref="Args"/> record (the bundled trainer's typed settings, read by RunPlanner and the Roslyn analyzer)
/// still states its keys and defaults by hand. Until it reads the generated views, its keys must be keys the table knows
/// and its defaults what the upstream class it mirrors declares at the newest release in the key data.
/// </summary>
public class TrainingArgumentsRecordTests
{
    /// <summary>The classes the record mirrors, first match wins (TRL's SFTConfig for max_length and packing).</summary>
    private static readonly string[] Homes = { "transformers:TrainingArguments", "peft:LoraConfig", "transformers:BitsAndBytesConfig", "trl:SFTConfig" };

    /// <summary>Settings whose record default is the bundled trainer's own reading, not the field default.</summary>
    private static readonly Dictionary<string, string> OwnDefaults = new()
    {
        // TrainingArguments.warmup_ratio is None from 5.0 (deprecated, folded into warmup_steps): the record's 0 is "no ratio".
        ["warmup_ratio"] = "v5 None read as 0",
        // BitsAndBytesConfig.__init__ turns bnb_4bit_compute_dtype=None into torch.float32 (utils/quantization_config.py,
        // v5.15.0 lines 469-470): the record holds the resulting dtype.
        ["bnb_4bit_compute_dtype"] = "None means float32",
    };

    private static UpstreamField? Declared(string qualified, string name)
    {
        var cls = UpstreamData.Instance.Class(qualified);
        if (cls is null) return null;
        var newest = cls.Library.Releases.Last(r => cls.Releases.Contains(r.Index)).Index;
        var seen = new HashSet<string>();
        var queue = new Queue<UpstreamClass>(new[] { cls });
        while (queue.Count > 0)
        {
            var c = queue.Dequeue();
            if (!seen.Add(c.QualifiedName)) continue;
            if (c.Fields.FirstOrDefault(f => f.Name == name && f.Releases.Contains(newest)) is { } f) return f;
            foreach (var b in c.BasesIn(newest)) if (UpstreamData.Instance.Class(b) is { } bc) queue.Enqueue(bc);
        }
        return null;
    }

    [Fact]
    public void Every_record_key_is_a_known_key_and_its_default_is_the_mirrored_classs()
    {
        var record = new Args();
        int compared = 0;
        foreach (var (property, hf) in Args.Properties)
        {
            Assert.True(KeyTable.Get(hf) is not null, $"[HfName(\"{hf}\")] on {property} is not a key the table knows");
            if (OwnDefaults.ContainsKey(hf)) continue;
            var field = Homes.Select(h => Declared(h, hf)).FirstOrDefault(f => f is not null);
            if (field is null || field.DefaultExpression is not null) continue; // a Stepwise setting, or a computed default
            var mine = typeof(Args).GetProperty(property)!.GetValue(record);
            Assert.True(Same(mine, field.Default), $"{property} defaults to {Show(mine)} but {field.Owner} declares {hf} = {Show(field.Default)}");
            compared++;
        }
        Assert.True(compared >= 30, $"only {compared} defaults compared");
    }

    private static bool Same(object? mine, object? data) => (mine, data) switch
    {
        (null, null) => true,
        (int i, long l) => i == l,
        (double d, long l) => d == l,
        (double d, double e) => d == e,
        (bool b, bool c) => b == c,
        (string s, string t) => s == t,
        _ => false,
    };

    private static string Show(object? v) => v is null ? "null" : Convert.ToString(v, CultureInfo.InvariantCulture)!;
}
