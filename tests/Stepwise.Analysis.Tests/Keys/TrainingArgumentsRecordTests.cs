using System.Globalization;
using Stepwise.Core.Keys;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core;
using Stepwise.Core.Model;
using Stepwise.Readers;
using Args = Stepwise.Core.Model.TrainingArguments;

namespace Stepwise.Analysis.Tests.Keys;

/// <summary>
/// The C# <see cref="Args"/> record (the bundled trainer's typed settings, read by RunPlanner and the Roslyn analyzer) is
/// generated from the key data by tools/keygen/keygen.py. These tests check it against the data as Core reads it
/// (<see cref="KeyCatalog"/> over keys.txt, not the generator's own walk of upstream.json) and against the compiled
/// record itself (reflection here, never in the product).
/// </summary>
public class TrainingArgumentsRecordTests
{
    private static string Pin(string library) => library switch
    {
        "transformers" => Args.TransformersRelease,
        "peft" => Args.PeftRelease,
        "trl" => Args.TrlRelease,
        _ => throw new InvalidOperationException($"no pinned {library} release"),
    };

    private static UpstreamField? Declared(TrainingArgument s, string release)
    {
        var cls = UpstreamData.Instance.Class($"{s.Library}:{s.UpstreamClass}");
        Assert.True(cls is not null, $"{s.Property}: the key data has no {s.Library}:{s.UpstreamClass}");
        var versions = VersionAssumptions.Newest.With(s.Library!, release, "test");
        Assert.Equal(release, versions.Release(s.Library!)!.Version);
        return KeyCatalog.ForClass(cls!, versions).Declarations(s.Key).FirstOrDefault();
    }

    [Fact]
    public void Every_default_and_type_is_the_upstream_fields_at_the_release_the_record_follows_unless_it_says_why()
    {
        var values = new Args().Values().ToDictionary(v => v.Key, v => v.Value);
        int compared = 0;
        foreach (var s in Args.Settings.Where(s => s.Library is not null))
        {
            var field = Declared(s, s.Release!);
            Assert.True(field is not null, $"{s.Property}: {s.Library}:{s.UpstreamClass} declares no {s.Key} at {s.Library} {s.Release}");
            var type = typeof(Args).GetProperty(s.Property)!.PropertyType;
            bool typeAgrees = TypeAgrees(type, field!.Type, field.Default);
            bool defaultAgrees = field.DefaultExpression is null && Same(values[s.Key], field.Default);
            if (!typeAgrees || !defaultAgrees)
                Assert.True(s.Why is not null, $"{s.Property} is {type.Name} = {Show(values[s.Key])} but {field.Owner} {s.Release} declares {s.Key}: " +
                                               $"{field.Type} = {Show(field.Default)}, and the record says not why");
            if (defaultAgrees) compared++;
        }
        Assert.True(compared >= 40, $"only {compared} defaults agree with the data");
    }

    [Fact]
    public void The_release_is_the_pinned_one_or_the_newest_before_it_that_still_declares_the_key()
    {
        foreach (var s in Args.Settings.Where(s => s.Library is not null))
        {
            var pin = Pin(s.Library!);
            if (s.Release == pin) continue;
            Assert.True(Declared(s, pin) is null, $"{s.Property} is taken at {s.Release} although {s.Library} {pin} declares {s.Key}");
            var lib = UpstreamData.Instance.Library(s.Library!)!;
            var between = lib.Releases.Where(r => Versions(r) > Versions(lib.Releases.First(x => x.Version == s.Release)) && Versions(r) < Versions(lib.Releases.First(x => x.Version == pin)));
            foreach (var r in between)
                Assert.True(Declared(s, r.Version) is null, $"{s.Property} is taken at {s.Release} although the later {s.Library} {r.Version} declares {s.Key}");
        }
        static int Versions(UpstreamRelease r) => r.Index;
    }

    [Fact]
    public void Every_property_of_the_record_is_in_its_key_table_under_a_key_the_table_knows()
    {
        var properties = typeof(Args).GetProperties().Where(p => p.CanWrite && p.GetMethod!.IsPublic && !p.GetMethod.IsStatic).Select(p => p.Name).ToList();
        Assert.Equal(properties.OrderBy(p => p, StringComparer.Ordinal), Args.Settings.Select(s => s.Property).OrderBy(p => p, StringComparer.Ordinal));
        foreach (var s in Args.Settings)
        {
            Assert.True(KeyTable.Get(s.Key) is not null, $"{s.Property} stands for {s.Key}, which the key table does not know");
            Assert.Equal(s.Key, Args.HfNameOf(s.Property));
            Assert.Equal(s.Property, Args.PropertyFor(s.Key));
        }
    }

    [Fact]
    public void FromSetup_takes_stated_values_keeps_defaults_and_reports_what_does_not_convert()
    {
        var text = "output_dir: o\nr: 16\nlora_alpha: 32\nlearning_rate: 2.0e-4\ntarget_modules: q_proj, v_proj\nmax_steps: lots\neval_steps: 0.1\n";
        var setup = SetupBuilder.Build(ConfigReaders.Read(text, "config.yaml").Single());
        var problems = new List<string>();
        var args = Args.FromSetup(setup, problems);
        Assert.Equal(16, args.LoraR);
        Assert.Equal(32.0, args.LoraAlpha);
        Assert.Equal(2e-4, args.LearningRate);
        Assert.Equal(new[] { "q_proj", "v_proj" }, args.TargetModules);
        Assert.Equal(0.1, args.EvalSteps);
        Assert.Equal(-1, args.MaxSteps);
        Assert.Equal(8, args.PerDeviceTrainBatchSize);
        Assert.Equal(new[] { "max_steps: cannot use lots as Int32" }, problems);
    }

    private static bool TypeAgrees(Type type, KeyType kind, object? dataDefault)
    {
        var inner = Nullable.GetUnderlyingType(type) ?? type;
        bool nullable = Nullable.GetUnderlyingType(type) is not null;
        return kind switch
        {
            KeyType.Integer => inner == typeof(int) && nullable == (dataDefault is null),
            KeyType.Float => inner == typeof(double) && nullable == (dataDefault is null),
            KeyType.Bool => inner == typeof(bool) && nullable == (dataDefault is null),
            KeyType.String or KeyType.Enum => inner == typeof(string),
            _ => false,
        };
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
