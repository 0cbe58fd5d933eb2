using System.Text.Json.Nodes;
using Stepwise.LanguageServer.Handlers;

namespace Stepwise.LanguageServer.Tests;

public class CodeActionTests
{
    [Fact]
    public async Task Preferred_quickfix_from_diagnostic_data_removes_the_warning_when_applied()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-fix.yaml";
        await h.Open(uri, Configs.Sw1001);
        var diagnostics = new JsonArray(h.Client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray().Where(x => (string?)x!["code"] == "SW1001").Select(x => x!.DeepClone()).ToArray());
        var actions = (await h.Client.Result("textDocument/codeAction", new JsonObject
        {
            ["textDocument"] = Harness.Doc(uri), ["range"] = diagnostics[0]!["range"]!.DeepClone(),
            ["context"] = new JsonObject { ["diagnostics"] = diagnostics.DeepClone() },
        }))!.AsArray();
        var preferred = Assert.Single(actions, a => (bool?)a!["isPreferred"] == true)!;
        Assert.Equal("Replace max_steps by num_train_epochs: 3", (string?)preferred["title"]);
        Assert.Equal("quickfix", (string?)preferred["kind"]);
        Assert.Equal(actions[0], preferred);
        var edits = preferred["edit"]!["changes"]![uri]!.AsArray();
        Assert.Equal("""[{"range":{"start":{"line":2,"character":0},"end":{"line":3,"character":0}},"newText":""}]""", edits.ToJsonString());
        Assert.All(actions, a => Assert.Equal("SW1001", (string?)a!["diagnostics"]![0]!["code"]));

        var fixedText = Harness.Apply(Configs.Sw1001, edits);
        Assert.Equal("# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nnum_train_epochs: 3\n", fixedText);
        await h.Change(uri, 2, Harness.Full(fixedText));
        Assert.Empty(h.Client.WaitForDiagnostics(uri, 2)["diagnostics"]!.AsArray());
    }

    [Fact]
    public async Task Document_changes_client_gets_versioned_edits_and_stale_data_is_recomputed()
    {
        await using var h = await Harness.Start(new JsonObject { ["workspace"] = new JsonObject { ["workspaceEdit"] = new JsonObject { ["documentChanges"] = true } } });
        const string uri = "file:///tmp/stepwise-fix2.yaml";
        await h.Open(uri, Configs.Sw1001, 7);
        var diagnostics = h.Client.WaitForDiagnostics(uri, 7)["diagnostics"]!.AsArray();
        // An edit above the warning moves it one line down; the client's diagnostic (version 7) is now stale.
        await h.Change(uri, 8, Harness.Edit(0, 0, 0, 0, "learning_rate: 0.0002\n"));
        h.Client.WaitForDiagnostics(uri, 8);
        var actions = (await h.Client.Result("textDocument/codeAction", new JsonObject
        {
            ["textDocument"] = Harness.Doc(uri), ["range"] = Harness.Range(3, 11, 3, 15),
            ["context"] = new JsonObject { ["diagnostics"] = new JsonArray() },
        }))!.AsArray();
        var preferred = actions.First(a => (bool?)a!["isPreferred"] == true)!;
        Assert.Equal("Replace max_steps by num_train_epochs: 3", (string?)preferred["title"]);
        var change = Assert.Single(preferred["edit"]!["documentChanges"]!.AsArray())!;
        Assert.Equal($$"""{"uri":"{{uri}}","version":8}""", change["textDocument"]!.ToJsonString());
        Assert.Equal(Harness.Range(3, 0, 4, 0).ToJsonString(), change["edits"]![0]!["range"]!.ToJsonString());
        _ = diagnostics;
    }

    [Fact]
    public async Task Fix_all_applies_every_preferred_fix_of_the_rule()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-fixall.yaml";
        // 1000 max_steps of ceil(52,002 / 128) = 407 steps per epoch; each ratio below 1 becomes a share of 1000 steps.
        const string text = "# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nmax_steps: 1000\nnum_train_epochs: 3\nsave_steps: 0.25\neval_steps: 0.5\nlogging_steps: 0.1\n";
        await h.Open(uri, text);
        var diagnostics = h.Client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray();
        var sw1006 = diagnostics.Where(d => (string?)d!["code"] == "SW1006").ToList();
        Assert.Equal(3, sw1006.Count);
        var actions = (await h.Client.Result("textDocument/codeAction", new JsonObject
        {
            ["textDocument"] = Harness.Doc(uri), ["range"] = sw1006[0]!["range"]!.DeepClone(),
            ["context"] = new JsonObject { ["diagnostics"] = new JsonArray(sw1006[0]!.DeepClone()) },
        }))!.AsArray();
        var all = Assert.Single(actions, a => (string?)a!["title"] == "Fix all SW1006 in file")!;
        Assert.Equal(3, all["diagnostics"]!.AsArray().Count);
        var result = Harness.Apply(text, all["edit"]!["changes"]![uri]!.AsArray());
        // Absolute steps of an epoch: 0.25 x 407 = 102, 0.5 x 407 = 204 (rounded), 0.1 x 407 = 41.
        Assert.Contains("save_steps: 102\n", result);
        Assert.Contains("eval_steps: 204\n", result);
        Assert.Contains("logging_steps: 41\n", result);
    }

    [Fact]
    public async Task DeepSpeed_fix_edits_the_referenced_json_file()
    {
        using var dir = new TempDir();
        dir.Write("ds.json", "{\n  \"train_batch_size\": 64,\n  \"train_micro_batch_size_per_gpu\": 8,\n  \"gradient_accumulation_steps\": 4,\n  \"zero_optimization\": { \"stage\": 2 }\n}\n");
        var config = "# stepwise: dataset_size=1000 world_size=2\nper_device_train_batch_size: 16\ngradient_accumulation_steps: 2\nnum_train_epochs: 2\ndeepspeed: ds.json\n";
        dir.Write("train.yaml", config);
        await using var h = await Harness.Start();
        var uri = dir.Uri("train.yaml");
        await h.Open(uri, config);
        var diagnostics = h.Client.WaitForDiagnostics(uri, 1)["diagnostics"]!.AsArray();
        var sw1007 = Assert.Single(diagnostics, d => (string?)d!["code"] == "SW1007")!;
        Assert.Equal(Harness.Range(4, 11, 4, 18).ToJsonString(), sw1007["range"]!.ToJsonString());
        var actions = (await h.Client.Result("textDocument/codeAction", new JsonObject
        {
            ["textDocument"] = Harness.Doc(uri), ["range"] = sw1007["range"]!.DeepClone(),
            ["context"] = new JsonObject { ["diagnostics"] = new JsonArray(sw1007.DeepClone()) },
        }))!.AsArray();
        var fix = Assert.Single(actions)!;
        Assert.True((bool)fix["isPreferred"]!);
        var changes = fix["edit"]!["changes"]!.AsObject();
        var dsUri = dir.Uri("ds.json");
        Assert.Equal(new[] { dsUri }, changes.Select(kv => kv.Key));
        var fixedJson = Harness.Apply(File.ReadAllText(Path.Combine(dir.Path, "ds.json")), changes[dsUri]!.AsArray());
        // train_batch_size 64 = 8 x 4 x 2 agrees with the file's own values: left alone.
        Assert.Contains("\"train_batch_size\": 64", fixedJson);
        Assert.Contains("\"train_micro_batch_size_per_gpu\": \"auto\"", fixedJson);
        Assert.Contains("\"gradient_accumulation_steps\": \"auto\"", fixedJson);
    }
}

public class HoverInlayLensTests
{
    [Fact]
    public async Task Hover_on_a_batch_key_shows_meaning_default_and_the_run_arithmetic()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-hover.yaml";
        await h.Open(uri, Configs.Sw1001);
        var hover = (await h.Client.Result("textDocument/hover", Harness.Pos(uri, 1, 5)))!;
        Assert.Equal(Harness.Range(1, 0, 1, 27).ToJsonString(), hover["range"]!.ToJsonString());
        Assert.Equal("markdown", (string?)hover["contents"]!["kind"]);
        var md = (string)hover["contents"]!["value"]!;
        Assert.StartsWith("**per_device_train_batch_size** · integer\n\nExamples per device", md);
        Assert.Contains("Default: `8`\n", md);
        Assert.Contains("batches per epoch = ceil(52,002 / 128) = 407\n", md);
        // The epoch trainer_state.json will record: 1,000 = 2 x 407 + 186 steps, so 186 batches into the third epoch.
        Assert.Contains("epoch in trainer_state.json = 2 + 186 / 407 = 2.457: step 1,000 ends after 186 of the 407 micro-batches of epoch 3", md);
        Assert.DoesNotContain("Time:", md);
    }

    [Fact]
    public async Task Hover_on_an_enum_key_lists_allowed_values_and_no_arithmetic()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-hover2.yaml";
        await h.Open(uri, Configs.Sw1001 + "optim: paged_adamw_8bit\n");
        var md = (string)(await h.Client.Result("textDocument/hover", Harness.Pos(uri, 4, 2)))!["contents"]!["value"]!;
        Assert.Contains("Default: `adamw_torch` · Allowed: `adamw_torch`, `adamw_torch_fused`", md);
        Assert.Contains("`paged_adamw_8bit`", md);
        Assert.DoesNotContain("The run", md);
        Assert.Null(await h.Client.Result("textDocument/hover", Harness.Pos(uri, 0, 3)));
    }

    [Fact]
    public async Task Hover_estimates_time_from_an_earlier_runs_throughput()
    {
        using var dir = new TempDir();
        dir.Write("out/all_results.json", "{\"epoch\": 0.15, \"train_samples_per_second\": 16.0, \"train_runtime\": 500.0}");
        var text = Configs.Sw1001 + "output_dir: out\n";
        dir.Write("train.yaml", text);
        await using var h = await Harness.Start();
        var uri = dir.Uri("train.yaml");
        await h.Open(uri, text);
        var md = (string)(await h.Client.Result("textDocument/hover", Harness.Pos(uri, 2, 3)))!["contents"]!["value"]!;
        // 1000 steps x 128 = 128,000 samples less the short last batch of each of the two whole epochs
        // (407 x 128 - 52,002 = 94): 127,812 samples / 16 per second = 7,988 s = 2 h 13 min.
        Assert.Contains("samples processed = 127,812", md);
        Assert.Contains("Time: ≈ 2 h 13 min: 127,812 samples at 16 samples/s", md);
    }

    [Fact]
    public async Task Inlay_hints_state_epochs_and_samples_per_step_within_43_characters()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-inlay.yaml";
        await h.Open(uri, "# stepwise: dataset_size=52002\nper_device_train_batch_size: 32\ngradient_accumulation_steps: 4\nmax_steps: 1000\nnum_train_epochs: 3\n");
        var hints = (await h.Client.Result("textDocument/inlayHint", new JsonObject { ["textDocument"] = Harness.Doc(uri), ["range"] = Harness.Range(0, 0, 10, 0) }))!.AsArray();
        var byLine = hints.ToDictionary(x => (int)x!["position"]!["line"]!, x => (string)x!["label"]!);
        // 32 x 4 = 128 per step; ceil(52,002 / 32) = 1,626 batches, ceil(1,626 / 4) = 407 steps per epoch; 1000 / 407 = 2.46.
        Assert.Equal("x4 accum = 128/step", byLine[1]);
        Assert.Equal("= 2.46 epochs (407 steps/epoch)", byLine[3]);
        Assert.Equal("ignored: max_steps sets the length", byLine[4]);
        Assert.All(hints, x => Assert.True(((string)x!["label"]!).Length <= 43));
        Assert.Equal(Harness.Range(3, 15, 3, 15)["start"]!.ToJsonString(), hints.First(x => (int)x!["position"]!["line"]! == 3)!["position"]!.ToJsonString());
        Assert.Contains("steps per epoch = max(ceil(1,626 / 4), 1) = 407", (string)hints[0]!["tooltip"]!["value"]!);
        var none = (await h.Client.Result("textDocument/inlayHint", new JsonObject { ["textDocument"] = Harness.Doc(uri), ["range"] = Harness.Range(0, 0, 0, 5) }))!.AsArray();
        Assert.Empty(none);
    }

    [Fact]
    public async Task Epoch_run_hints_total_steps_and_lens_summarises()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-lens.yaml";
        await h.Open(uri, "# stepwise: dataset_size=52002\nper_device_train_batch_size: 128\nnum_train_epochs: 3\n");
        var hints = (await h.Client.Result("textDocument/inlayHint", new JsonObject { ["textDocument"] = Harness.Doc(uri), ["range"] = Harness.Range(0, 0, 10, 0) }))!.AsArray();
        // ceil(3 x 407) = 1,221 steps.
        Assert.Equal(new[] { "= 1,221 steps (407/epoch)", "= 128/step" }, hints.OrderByDescending(x => (int)x!["position"]!["line"]!).Select(x => (string)x!["label"]!));
        var lenses = (await h.Client.Result("textDocument/codeLens", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!.AsArray();
        Assert.Equal(2, lenses.Count); // the summary, then "▶ Train" (Train/TrainTests.cs)
        var lens = lenses[0]!;
        Assert.Equal("""{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"command":{"title":"52,002 examples · 1,221 steps · 3.0 epochs","command":""}}""", lens.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }
}

public class CompletionAndSymbolTests
{
    [Fact]
    public async Task Key_completion_offers_unwritten_keys_of_the_dialect_and_the_qlora_snippet()
    {
        await using var h = await Harness.Start(new JsonObject { ["textDocument"] = new JsonObject { ["completion"] = new JsonObject { ["completionItem"] = new JsonObject { ["snippetSupport"] = true } } } });
        const string uri = "file:///tmp/stepwise-complete.yaml";
        await h.Open(uri, Configs.Sw1001 + "grad");
        var items = (await h.Client.Result("textDocument/completion", Harness.Pos(uri, 4, 4)))!["items"]!.AsArray();
        var accum = Assert.Single(items, i => (string?)i!["label"] == "gradient_accumulation_steps")!;
        Assert.Equal("""{"range":{"start":{"line":4,"character":0},"end":{"line":4,"character":4}},"newText":"gradient_accumulation_steps: "}""", accum["textEdit"]!.ToJsonString());
        Assert.Equal("integer = 1", (string?)accum["detail"]);
        Assert.StartsWith("Micro-batches whose gradients", (string?)accum["documentation"]!["value"]);
        Assert.DoesNotContain(items, i => (string?)i!["label"] == "max_steps");
        // axolotl's own spelling does not leak into a Hugging Face file (micro_batch_size would: TRL's PPOConfig declares it)
        Assert.DoesNotContain(items, i => (string?)i!["label"] == "sequence_len");
        var snippet = Assert.Single(items, i => (string?)i!["label"] == "qlora")!;
        Assert.Equal(2, (int)snippet["insertTextFormat"]!);
        Assert.StartsWith("load_in_4bit: true\nbnb_4bit_quant_type: nf4\n", (string?)snippet["textEdit"]!["newText"]);
    }

    [Fact]
    public async Task Axolotl_keys_are_spelled_as_axolotl_spells_them()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-axolotl.yaml";
        await h.Open(uri, "base_model: NousResearch/Llama-2-7b-hf\nmicro_batch_size: 2\nnum_epochs: 1\n\n");
        var items = (await h.Client.Result("textDocument/completion", Harness.Pos(uri, 3, 0)))!["items"]!.AsArray();
        Assert.Contains(items, i => (string?)i!["label"] == "lora_r");
        Assert.DoesNotContain(items, i => (string?)i!["label"] == "per_device_train_batch_size");
        Assert.DoesNotContain(items, i => (string?)i!["label"] == "qlora"); // no snippet support declared
    }

    [Fact]
    public async Task Value_completion_lists_optimizers_schedulers_and_booleans()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-values.yaml";
        await h.Open(uri, Configs.Sw1001 + "optim: paged\nlr_scheduler_type: \nsave_strategy: \nload_in_4bit: \n");
        var optim = (await h.Client.Result("textDocument/completion", Harness.Pos(uri, 4, 12)))!["items"]!.AsArray();
        var paged = Assert.Single(optim, i => (string?)i!["label"] == "paged_adamw_8bit")!;
        Assert.Equal(Harness.Range(4, 7, 4, 12).ToJsonString(), paged["textEdit"]!["range"]!.ToJsonString());
        Assert.Equal("default", (string?)Assert.Single(optim, i => (string?)i!["label"] == "adamw_torch")!["detail"]);
        var sched = (await h.Client.Result("textDocument/completion", Harness.Pos(uri, 5, 19)))!["items"]!.AsArray();
        Assert.Contains(sched, i => (string?)i!["label"] == "cosine");
        var save = (await h.Client.Result("textDocument/completion", Harness.Pos(uri, 6, 15)))!["items"]!.AsArray();
        Assert.Equal(new[] { "no", "steps", "epoch", "best" }, save.Select(i => (string)i!["label"]!));
        var b = (await h.Client.Result("textDocument/completion", Harness.Pos(uri, 7, 14)))!["items"]!.AsArray();
        Assert.Equal(new[] { "true", "false" }, b.Select(i => (string)i!["label"]!));
    }

    [Fact]
    public async Task Json_config_completes_quoted_keys()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-args.json";
        await h.Open(uri, "{\n  \"per_device_train_batch_size\": 8,\n  \"max_steps\": 100,\n  \"wa\n}\n", languageId: "json");
        var items = (await h.Client.Result("textDocument/completion", Harness.Pos(uri, 3, 5)))!["items"]!.AsArray();
        var warm = Assert.Single(items, i => (string?)i!["label"] == "warmup_steps")!;
        Assert.Equal("""{"range":{"start":{"line":3,"character":2},"end":{"line":3,"character":5}},"newText":"\u0022warmup_steps\u0022: "}""", warm["textEdit"]!.ToJsonString());
    }

    [Fact]
    public async Task Document_symbols_outline_nested_mappings_and_lists()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-outline.yaml";
        await h.Open(uri, "base_model: m\nmicro_batch_size: 2\ndatasets:\n  - path: a.jsonl\n    type: alpaca\n  - path: b.jsonl\n    type: alpaca\nnum_epochs: 1\n");
        var symbols = (await h.Client.Result("textDocument/documentSymbol", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!.AsArray();
        Assert.Equal(new[] { "base_model", "micro_batch_size", "datasets", "num_epochs" }, symbols.Select(s => (string)s!["name"]!));
        var datasets = symbols[2]!;
        Assert.Equal(18, (int)datasets["kind"]!);
        Assert.Equal(new[] { "[0]", "[1]" }, datasets["children"]!.AsArray().Select(s => (string)s!["name"]!));
        Assert.Equal(new[] { "path", "type" }, datasets["children"]![1]!["children"]!.AsArray().Select(s => (string)s!["name"]!));
        Assert.Equal(Harness.Range(2, 0, 6, 16).ToJsonString(), datasets["range"]!.ToJsonString());
        Assert.Equal(Harness.Range(1, 0, 1, 16).ToJsonString(), symbols[1]!["selectionRange"]!.ToJsonString());
    }

    [Fact]
    public async Task A_long_inline_list_is_outlined_item_by_item_up_to_the_cap_then_as_one_symbol()
    {
        await using var h = await Harness.Start();
        const string uri = "file:///tmp/stepwise-long-outline.yaml";
        int n = DocumentSymbols.MaxListItems + 50;
        var text = "base_model: m\nmicro_batch_size: 2\nnum_epochs: 1\ndatasets:\n" +
            string.Concat(Enumerable.Range(0, n).Select(i => $"  - path: d{i}.jsonl\n    type: alpaca\n"));
        await h.Open(uri, text);
        var symbols = (await h.Client.Result("textDocument/documentSymbol", new JsonObject { ["textDocument"] = Harness.Doc(uri) }))!.AsArray();
        var items = symbols[3]!["children"]!.AsArray();
        Assert.Equal(DocumentSymbols.MaxListItems + 1, items.Count);
        Assert.Equal($"[{DocumentSymbols.MaxListItems - 1}]", (string)items[DocumentSymbols.MaxListItems - 1]!["name"]!);
        var rest = items[^1]!;
        Assert.Equal($"[{DocumentSymbols.MaxListItems}..{n - 1}]", (string)rest["name"]!);
        Assert.Equal("50 more items", (string)rest["detail"]!);
        int firstLine = 4 + 2 * DocumentSymbols.MaxListItems, lastLine = 4 + 2 * n - 1;
        Assert.Equal(Harness.Range(firstLine, 4, lastLine, 16).ToJsonString(), rest["range"]!.ToJsonString());

        // Hover: a nested key inside the list is not a setting (nothing to show); a top-level key is.
        Assert.Null(await h.Client.Result("textDocument/hover", Harness.Pos(uri, lastLine - 1, 5)));
        var top = (await h.Client.Result("textDocument/hover", Harness.Pos(uri, 1, 3)))!;
        Assert.Equal(Harness.Range(1, 0, 1, 16).ToJsonString(), top["range"]!.ToJsonString()); // the key
    }
}
