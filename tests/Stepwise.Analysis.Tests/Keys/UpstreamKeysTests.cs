using System.Diagnostics;
using System.Text.Json;
using Stepwise.Core.Keys;
using Stepwise.Core.Keys.Upstream;
using Stepwise.Core.Model;

namespace Stepwise.Analysis.Tests.Keys;

/// <summary>
/// The generated key data (tools/keygen/keygen.py -> upstream.json -> keys.txt, embedded in Stepwise.Core) against
/// the upstream source lines it was read from, each named by release, file and line; and the embedded file against
/// the checked-in intermediate it is rendered from.
/// </summary>
public class UpstreamKeysTests
{
    private static UpstreamData Data => UpstreamData.Instance;

    private static UpstreamField FieldAt(string lib, string cls, string field, string version)
    {
        var l = Data.Library(lib)!;
        var release = l.Releases.Single(r => r.Version == version);
        var c = l.Class(cls)!;
        return Assert.Single(c.Fields, f => f.Name == field && f.Releases.Contains(release.Index));
    }

    private static bool Declares(string lib, string cls, string field, string version)
    {
        var l = Data.Library(lib)!;
        var release = l.Releases.Single(r => r.Version == version);
        return l.Class(cls)!.Fields.Any(f => f.Name == field && f.Releases.Contains(release.Index));
    }

    [Fact]
    public void Every_release_records_its_upstream_commit()
    {
        foreach (var lib in Data.Libraries)
        {
            Assert.NotEmpty(lib.Releases);
            foreach (var r in lib.Releases) Assert.Matches("^[0-9a-f]{40}$", r.Commit);
        }
        // v4.57.6 and v5.0.0 are upstream's release tags (the same commits in two independent forks).
        Assert.Equal("753d61104116eefc8ffc977327b441ee0c8d599f", Data.Library("transformers")!.Releases.Single(r => r.Version == "4.57.6").Commit);
        Assert.Equal("08810b1e278938278c50153ee1edfd7a20a759da", Data.Library("transformers")!.Releases.Single(r => r.Version == "5.0.0").Commit);
    }

    [Fact]
    public void Covers_the_releases_the_issue_asks_for()
    {
        string[] Versions(string lib) => Data.Library(lib)!.Releases.Select(r => r.Version).ToArray();
        Assert.Contains("4.45.2", Versions("transformers"));
        Assert.Contains("4.57.6", Versions("transformers"));
        Assert.Contains("5.14.1", Versions("transformers"));
        Assert.Contains("1.9.0", Versions("trl"));
        Assert.Contains("0.20.0", Versions("trl"));
        Assert.Contains("0.20.0", Versions("peft"));
        Assert.Contains("0.10.0", Versions("peft"));
        Assert.Contains("0.18.0", Versions("axolotl"));
        Assert.Contains("0.9.5", Versions("llamafactory"));
    }

    [Fact]
    public void TrainingArguments_facts_match_upstream_lines()
    {
        // v4.57.6 src/transformers/training_args.py:861 `per_device_train_batch_size: int = field(default=8, ...)`
        var b = FieldAt("transformers", "TrainingArguments", "per_device_train_batch_size", "4.57.6");
        Assert.Equal(KeyType.Integer, b.Type);
        Assert.Equal(8L, b.Default);
        // v4.57.6 :942 `warmup_steps: int = field(default=0, ...)`; v5.0.0 :867 `warmup_steps: float = field(default=0, ...)`
        Assert.Equal(KeyType.Integer, FieldAt("transformers", "TrainingArguments", "warmup_steps", "4.57.6").Type);
        Assert.Equal(KeyType.Float, FieldAt("transformers", "TrainingArguments", "warmup_steps", "5.0.0").Type);
        // v5.0.0 :1194-1195 `report_to: None | str | list[str] = field(default="none", ...)`
        Assert.Equal("none", FieldAt("transformers", "TrainingArguments", "report_to", "5.0.0").Default);
        // v4.50.3 :1430 declares `evaluation_strategy`; v4.51.0 has no such field (the data holds 4.51.3).
        Assert.True(Declares("transformers", "TrainingArguments", "evaluation_strategy", "4.50.3"));
        Assert.False(Declares("transformers", "TrainingArguments", "evaluation_strategy", "4.51.3"));
        // v5.14.1 :1443 `warmup_ratio: float | None`; v5.15.0 removed it ("Remove deprecated training args", b6297c004c).
        Assert.True(Declares("transformers", "TrainingArguments", "warmup_ratio", "5.14.1"));
        Assert.False(Declares("transformers", "TrainingArguments", "warmup_ratio", "5.15.0"));
        var history = FieldHistory.Of("transformers", "TrainingArguments", "warmup_ratio");
        Assert.Equal("5.15.0", history.RemovedIn!.Version);
        // OptimizerNames: ADAMW_HF = "adamw_hf" in v4.49.0, gone in v4.50.0.
        Assert.Contains("adamw_hf", FieldAt("transformers", "TrainingArguments", "optim", "4.49.0").Choices);
        Assert.DoesNotContain("adamw_hf", FieldAt("transformers", "TrainingArguments", "optim", "4.50.3").Choices);
        // `default_optim = "adamw_torch"`, reassigned to "adamw_torch_fused" under a torch >= 2.8 check (v4.57.6 :1292-1295)
        var optim = FieldAt("transformers", "TrainingArguments", "optim", "4.57.6");
        Assert.Equal("adamw_torch", optim.Default);
        Assert.Contains("adamw_torch_fused", optim.AlternativeDefaults.Cast<string>());
    }

    [Fact]
    public void BitsAndBytesConfig_is_read_from_its_init_signature()
    {
        // v5.15.0 src/transformers/utils/quantization_config.py:449-450 `bnb_4bit_compute_dtype=None, bnb_4bit_quant_type="fp4",`
        // and **kwargs (unused keywords are accepted and ignored).
        var cls = Data.Library("transformers")!.Class("BitsAndBytesConfig")!;
        Assert.Equal("init", cls.Style);
        Assert.True(cls.AcceptsExtraKeywords);
        Assert.Equal("fp4", FieldAt("transformers", "BitsAndBytesConfig", "bnb_4bit_quant_type", "5.15.0").Default);
        Assert.Null(FieldAt("transformers", "BitsAndBytesConfig", "bnb_4bit_compute_dtype", "5.15.0").Default);
        Assert.False(Declares("transformers", "BitsAndBytesConfig", "bnb_4bit_compute_type", "5.15.0"));
    }

    [Fact]
    public void Trl_peft_axolotl_and_llamafactory_facts_match_upstream_lines()
    {
        // trl v0.19.1 trl/trainer/sft_config.py:244 declares max_seq_length; v0.20.0 only max_length (:176).
        Assert.True(Declares("trl", "SFTConfig", "max_seq_length", "0.19.1"));
        Assert.False(Declares("trl", "SFTConfig", "max_seq_length", "0.20.0"));
        Assert.True(Declares("trl", "SFTConfig", "max_length", "0.20.0"));
        // trl v1.9.0 trl/trainer/model_config.py:85 model_revision, :107 lora_r; dpo_config.py:283 beta; sft_config.py:195 dataset_num_proc
        Assert.True(Declares("trl", "ModelConfig", "model_revision", "1.9.0"));
        Assert.Equal(16L, FieldAt("trl", "ModelConfig", "lora_r", "1.9.0").Default);
        Assert.True(Declares("trl", "DPOConfig", "beta", "1.9.0"));
        Assert.True(Declares("trl", "SFTConfig", "dataset_num_proc", "1.9.0"));
        // TRL configs extend transformers' TrainingArguments (the data resolves the import across libraries).
        var sft = Data.Library("trl")!.Class("_BaseConfig")!;
        Assert.Contains("transformers:TrainingArguments", sft.BasesIn(Data.Library("trl")!.Releases.Count - 1));
        // peft v0.20.0 src/peft/tuners/lora/config.py:546 `r: int = field(default=8, ...)`, :787 use_qalora
        Assert.Equal(8L, FieldAt("peft", "LoraConfig", "r", "0.20.0").Default);
        Assert.True(Declares("peft", "LoraConfig", "use_qalora", "0.20.0"));
        // axolotl (main 067b021c8b) src/axolotl/integrations/liger/args.py:41 `liger_rms_norm: bool | None = None`,
        // mixed in because LigerPlugin.get_input_args() returns "axolotl.integrations.liger.LigerArgs".
        Assert.True(Declares("axolotl", "LigerArgs", "liger_rms_norm", "0.18.0+main"));
        var plugins = Data.Library("axolotl")!.Class("PluginInputArgs")!;
        Assert.Contains("axolotl:LigerArgs", plugins.BasesIn(Data.Library("axolotl")!.Newest.Index));
        // axolotl src/axolotl/utils/schemas/deprecated.py: `revision_of_model: ... = Field(alias="model_revision")`
        var alias = FieldAt("axolotl", "RemappedParameters", "model_revision", "0.18.0+main");
        Assert.Equal("revision_of_model", alias.Attribute);
        // axolotl 0.18.0 pins transformers==5.14.1, trl==1.8.0, peft==0.19.1 (pyproject.toml)
        var ax = Data.Library("axolotl")!.Releases.Single(r => r.Version == "0.18.0");
        Assert.Equal("==5.14.1", ax.Pins["transformers"]);
        Assert.Equal("==1.8.0", ax.Pins["trl"]);
        // LLaMA-Factory main src/llamafactory/hparams/megatron_bridge_args.py:125 mixed_precision, handed to
        // HfArgumentParser by hparams/parser.py
        Assert.True(Declares("llamafactory", "MegatronBridgeArguments", "mixed_precision", "0.9.6.dev0"));
        Assert.Contains("llamafactory:MegatronBridgeArguments", Data.Library("llamafactory")!.Class("ParserArguments")!.BasesIn(Data.Library("llamafactory")!.Newest.Index));
    }

    [Fact]
    public void Embedded_keys_file_holds_exactly_what_the_checked_in_intermediate_says()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tools", "keygen", "upstream.json")));
        int fields = 0;
        foreach (var lib in json.RootElement.GetProperty("libraries").EnumerateObject())
        {
            var l = Data.Library(lib.Name)!;
            var releases = lib.Value.GetProperty("releases").EnumerateArray().ToList();
            Assert.Equal(releases.Count, l.Releases.Count);
            for (int i = 0; i < releases.Count; i++)
            {
                Assert.Equal(releases[i].GetProperty("version").GetString(), l.Releases[i].Version);
                Assert.Equal(releases[i].GetProperty("commit").GetString(), l.Releases[i].Commit);
            }
        }
        foreach (var cls in json.RootElement.GetProperty("classes").EnumerateArray())
        {
            var c = Data.Library(cls.GetProperty("lib").GetString()!)!.Class(cls.GetProperty("name").GetString()!);
            Assert.NotNull(c);
            Assert.Equal(ReleaseSet.Parse(cls.GetProperty("releases").GetString()!), c!.Releases);
            foreach (var f in cls.GetProperty("fields").EnumerateArray())
            {
                var name = f.GetProperty("name").GetString()!;
                if (name.StartsWith("**")) { Assert.True(c.AcceptsExtraKeywords); continue; }
                foreach (var v in f.GetProperty("variants").EnumerateArray())
                {
                    var set = ReleaseSet.Parse(v.GetProperty("releases").GetString()!);
                    var loaded = Assert.Single(c.Fields, x => x.Name == name && x.Releases.Equals(set));
                    var def = v.GetProperty("default");
                    if (def.ValueKind == JsonValueKind.Object && def.TryGetProperty("expr", out var expr)) Assert.Equal(expr.GetString(), loaded.DefaultExpression);
                    else if (def.ValueKind == JsonValueKind.Object) Assert.Equal(def.EnumerateObject().Count(), ((IReadOnlyDictionary<string, object?>)loaded.Default!).Count);
                    else if (def.ValueKind == JsonValueKind.String) Assert.Equal(def.GetString(), loaded.Default);
                    else if (def.ValueKind == JsonValueKind.Null) Assert.Null(loaded.Default);
                    else if (def.ValueKind is JsonValueKind.True or JsonValueKind.False) Assert.Equal(def.GetBoolean(), loaded.Default);
                    else if (def.ValueKind == JsonValueKind.Number)
                        Assert.Equal(def.GetDouble(), Convert.ToDouble(loaded.Default, System.Globalization.CultureInfo.InvariantCulture));
                    var choices = v.TryGetProperty("choices", out var ch) ? ch.GetArrayLength() : 0;
                    Assert.Equal(choices, loaded.Choices.Count);
                    fields++;
                }
            }
        }
        Assert.True(fields > 3000, $"only {fields} field declarations");
    }

    [Fact]
    public void Generator_render_is_fresh()
    {
        // The same comparison from the generator's side: keys.txt, the typed views (Model/Views/ConfigViews.g.cs) and the
        // TrainingArguments record (Model/TrainingArguments.g.cs) are
        // byte-for-byte what render() writes from upstream.json (Debian's /usr/bin/python3, no upstream access needed).
        // Regenerate them with `./stepwise dev generate` (it runs keygen.py render).
        if (!File.Exists("/usr/bin/python3")) return;
        var psi = new ProcessStartInfo("/usr/bin/python3", $"{Path.Combine(TestPaths.RepoRoot, "tools", "keygen", "keygen.py")} check")
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000));
        Assert.True(p.ExitCode == 0, err);
    }

    [Fact]
    public void Every_handwritten_hf_key_that_upstream_declares_takes_its_type_and_default_from_the_data()
    {
        var k = KeyTable.Get("per_device_train_batch_size")!;
        Assert.Equal(8L, k.Default);
        Assert.Equal(1L, k.DefaultIn(Stepwise.Core.Model.Dialect.Axolotl)); // axolotl micro_batch_size: int | None = Field(default=1)
        Assert.Equal("TrainingArguments", k.Declarations[Stepwise.Core.Model.Dialect.Hf].Owner.Name);
        // a key only the data knows joins the table with a description written from the facts
        var liger = KeyTable.Lookup(Stepwise.Core.Model.Dialect.Axolotl, "liger_rms_norm");
        Assert.NotNull(liger);
        Assert.False(liger!.Handwritten);
        Assert.Contains("LigerArgs", liger.Description);
    }
}

public class PeftKeyHomeTests
{
    // PEFT 0.19.1 tuners/lora/config.py LoraConfig: r: int = 8, lora_alpha: int = 8. Newer tuners declare the same names
    // with other defaults (AdamssConfig's r = 100); a LoRA / QLoRA file's r is LoraConfig's.
    // Python files and the key table read PEFT's classes for HF-style settings (KeyTable builds from python: true).
    [Fact]
    public void Lora_keys_shared_with_other_tuners_are_LoraConfig_s()
    {
        const Dialect dialect = Dialect.Hf;
        var ever = KeyCatalog.EverDeclared(dialect, python: true);
        Assert.Equal("LoraConfig", ever["r"].Owner.Name);
        Assert.Equal("LoraConfig", ever["lora_alpha"].Owner.Name);
        Assert.Equal(8L, Convert.ToInt64(KeyTable.Get("r")!.DefaultIn(dialect)));
    }
}
