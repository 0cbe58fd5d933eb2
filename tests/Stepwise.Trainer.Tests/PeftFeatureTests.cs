using Stepwise.Trainer.Training;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Optim;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;
using Stepwise.Trainer.Tests.Run;

namespace Stepwise.Trainer.Tests;

/// <summary>
/// DoRA, rank_pattern / alpha_pattern, layers_to_transform / layers_pattern and modules_to_save against the float64
/// reference's own implementation of PEFT 0.19.1's rules (oracle/llama_reference.py): which modules get adapters with
/// which rank and scaling, the forward pass, training steps, and the adapter files both ways.
/// </summary>
public sealed class PeftFeatureTests
{
    private static readonly long[,] Ids = { { 1, 5, 9, 33, 2, 60, 7 }, { 4, 4, 8, 15, 16, 23, 42 } };

    /// <summary>DoRA with a full-path, a suffix and a regex rank key, a regex alpha key, and lm_head + the final norm trained in full.</summary>
    public static LoraConfig DoraPatterns => new()
    {
        R = 4, LoraAlpha = 8, UseDora = true,
        TargetModules = new[] { "q_proj", "v_proj", "o_proj", "down_proj" },
        RankPattern = new[] { KV("model.layers.1.self_attn.q_proj", 6), KV("v_proj", 2), KV(@"layers\.\d\.mlp\.down_proj", 3) },
        AlphaPattern = new[] { KV(@"model\.layers\.0\..*_proj", 3.0) },
        ModulesToSave = new[] { "lm_head", "model.norm" },
    };

    /// <summary>Only layer 1 (layers_pattern "layers"), rsLoRA, the embeddings trained in full.</summary>
    public static LoraConfig LayersRslora => new()
    {
        R = 4, LoraAlpha = 6, UseRslora = true, TargetModules = new[] { "q_proj", "k_proj", "gate_proj", "up_proj" },
        LayersToTransform = new[] { 1 }, LayersPattern = new[] { "layers" }, ModulesToSave = new[] { "embed_tokens" },
        AlphaPattern = new[] { KV("gate_proj", 12.0) },
    };

    private static KeyValuePair<string, T> KV<T>(string k, T v) => new(k, v);

    private static Tensor Logits(LlamaForCausalLM m)
    {
        using var _ = torch.no_grad();
        m.eval();
        return m.forward(torch.tensor(Ids), null);
    }

    /// <summary>Moves every trainable tensor away from its init so each rule changes the output.</summary>
    private static void Perturb(LlamaForCausalLM model, long seed)
    {
        using var _ = torch.no_grad();
        using var gen = new torch.Generator((ulong)seed);
        foreach (var (name, p) in LoraModel.TrainableInPeftOrder(model))
        {
            var noise = torch.randn(p.shape, generator: gen);
            if (name.Contains(".lora_B.")) p.copy_(noise * 0.2);
            else if (name.Contains("magnitude")) p.mul_(1 + noise * 0.2);
            else p.add_(noise * 0.05);
        }
    }

    private static void WriteInput(string path)
    {
        var rows = new JsonArray();
        for (int b = 0; b < Ids.GetLength(0); b++)
            rows.Add(new JsonArray(Enumerable.Range(0, Ids.GetLength(1)).Select(i => (JsonNode)Ids[b, i]).ToArray()));
        File.WriteAllText(path, new JsonObject { ["input_ids"] = rows }.ToJsonString());
    }

    private static void AssertClose(Tensor ours, double[] reference, double tolerance, string what)
    {
        var a = ours.to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
        Assert.Equal(reference.Length, a.Length);
        double worst = a.Zip(reference, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst < tolerance, $"{what}: max |ours - reference| = {worst}");
    }

    /// <summary>Our adapters' (path, rank, alpha, scaling) against the reference's resolution of the same settings.</summary>
    private static void AssertSameTargets(LlamaForCausalLM model, JsonObject reference)
    {
        var refTargets = reference["targets"]!.AsObject();
        var ours = LoraModel.Adapters(model).ToDictionary(a => a.Path, a => a.Layer);
        Assert.Equal(refTargets.Select(t => t.Key).OrderBy(k => k, StringComparer.Ordinal), ours.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (path, t) in refTargets)
        {
            Assert.Equal(t!["r"]!.GetValue<int>(), ours[path].Rank);
            Assert.Equal(t["alpha"]!.GetValue<double>(), ours[path].Alpha);
            Assert.Equal(t["scaling"]!.GetValue<double>(), ours[path].Scaling, 12);
        }
    }

    [Theory]
    [InlineData("dora-patterns", false)]
    [InlineData("dora-patterns", true)]
    [InlineData("layers-rslora", false)]
    public void Forward_with_PEFT_features_matches_the_reference_and_the_saved_adapter_reloads_to_the_same_model(string which, bool quantized)
    {
        var config = which == "dora-patterns" ? DoraPatterns : LayersRslora;
        using var dir = new TempDir();
        string modelPath = TestModels.Create(dir, "m");
        using var model = LlamaLoader.Load(modelPath, new LoadOptions { Quantize = quantized ? QuantType.Nf4 : null });
        // The reference runs on the weights our model computes with: for a 4-bit base, the dequantized ones (DoRA's
        // weight norm uses them too, as PEFT's dequantize_module_weight does for Linear4bit).
        string basePath = modelPath;
        if (quantized) { ModelFiles.SaveFloat(model, dir["deq"], ScalarType.Float32); basePath = dir["deq"]; }
        LoraModel.Apply(model, config, seed: 5);
        Perturb(model, 9);
        using var ours = Logits(model);
        PeftAdapter.Save(model, config, dir["adapter"]);
        WriteInput(dir["in.json"]);
        File.WriteAllText(dir["lora.json"], ReferenceSpec.Lora(config).ToJsonString());

        // The reference applies PEFT's rules to the settings as written ...
        Oracle.Run("peft_logits", basePath, dir["adapter"], dir["in.json"], dir["ref.json"], dir["lora.json"]);
        var reference = JsonNode.Parse(File.ReadAllText(dir["ref.json"]))!.AsObject();
        AssertSameTargets(model, reference);
        AssertClose(ours, ReferenceSpec.Doubles(reference["logits"]), 2e-4, "logits");
        Assert.Equal(config.ModulesToSave!.Count, reference["saved"]!.AsArray().Count);

        // ... and to our adapter_config.json, which must describe the same model to PEFT.
        Oracle.Run("peft_logits", basePath, dir["adapter"], dir["in.json"], dir["ref2.json"]);
        var fromFile = JsonNode.Parse(File.ReadAllText(dir["ref2.json"]))!.AsObject();
        AssertSameTargets(model, fromFile);
        AssertClose(ours, ReferenceSpec.Doubles(fromFile["logits"]), 2e-4, "logits from adapter_config.json");

        // Our own loader reads it back to the same logits, bit for bit.
        using var fresh = LlamaLoader.Load(modelPath, new LoadOptions { Quantize = quantized ? QuantType.Nf4 : null });
        var loaded = PeftAdapter.Load(fresh, dir["adapter"]);
        Assert.Equal(config.UseDora, loaded.UseDora);
        Assert.Equal(config.RankPattern, loaded.RankPattern);
        Assert.Equal(config.AlphaPattern, loaded.AlphaPattern);
        using var again = Logits(fresh);
        Assert.True(TestSupportExt.Same(ours, again));

        // Every rule changed the result: without the adapter the logits differ.
        using var plain = LlamaLoader.Load(modelPath, new LoadOptions { Quantize = quantized ? QuantType.Nf4 : null });
        using var baseLogits = Logits(plain);
        Assert.False(baseLogits.allclose(ours, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void The_adapter_files_use_PEFTs_keys_and_config_fields_for_DoRA_patterns_and_modules_to_save()
    {
        using var dir = new TempDir();
        using var model = LlamaLoader.Load(TestModels.Create(dir, "m"));
        LoraModel.Apply(model, DoraPatterns with { LayersToTransform = new[] { 0, 1 } });
        PeftAdapter.Save(model, DoraPatterns with { LayersToTransform = new[] { 0, 1 } }, dir["a"]);
        using (var f = SafeTensorsFile.Open(dir["a/adapter_model.safetensors"]))
        {
            var keys = f.Tensors.Select(t => t.Name).ToHashSet();
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", keys);
            Assert.Equal(new long[] { 32 }, f["base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"].Shape);
            Assert.Equal(new long[] { 6, 32 }, f["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"].Shape);
            Assert.Equal(new long[] { 2, 32 }, f["base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight"].Shape);
            Assert.Equal(new long[] { 3, 48 }, f["base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"].Shape);
            Assert.Contains("base_model.model.lm_head.weight", keys);
            Assert.Contains("base_model.model.model.norm.weight", keys);
            Assert.DoesNotContain(keys, k => k.Contains("lm_head.lora_"));
            Assert.Equal(4 * 2 * 3 + 2, keys.Count);
        }
        var cfg = JsonNode.Parse(File.ReadAllText(dir["a/adapter_config.json"]))!.AsObject();
        Assert.True(cfg["use_dora"]!.GetValue<bool>());
        Assert.Equal(new[] { "model.layers.1.self_attn.q_proj", "v_proj", @"layers\.\d\.mlp\.down_proj" }, cfg["rank_pattern"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal(3, cfg["alpha_pattern"]![@"model\.layers\.0\..*_proj"]!.GetValue<int>());
        Assert.Equal(new[] { 0, 1 }, cfg["layers_to_transform"]!.AsArray().Select(x => x!.GetValue<int>()));
        Assert.Equal(new[] { "lm_head", "model.norm" }, cfg["modules_to_save"]!.AsArray().Select(x => x!.GetValue<string>()));
    }

    [Fact]
    public void Pattern_keys_follow_PEFTs_regex_rule_and_the_first_matching_key_wins()
    {
        // get_pattern_key: re.match(rf"(.*\.)?({key})$", module) over the keys in their order.
        var c = new LoraConfig
        {
            R = 8,
            RankPattern = new[] { KV(@"layers\.1\..*", 16), KV("q_proj", 2), KV("model.layers.0.mlp.up_proj", 5), KV("proj", 3) },
        };
        Assert.Equal(16, c.RankFor("model.layers.1.self_attn.q_proj")); // the earlier key wins over "q_proj"
        Assert.Equal(2, c.RankFor("model.layers.0.self_attn.q_proj"));
        Assert.Equal(5, c.RankFor("model.layers.0.mlp.up_proj"));         // a full path
        Assert.Equal(8, c.RankFor("model.layers.0.mlp.gate_proj"));       // "proj" must be a whole name component
        Assert.Equal(8, c.RankFor("model.layers.0.self_attn.xq_proj"));
        Assert.Equal(8, c.RankFor("lm_head"));
        Assert.Equal(3, new LoraConfig { RankPattern = new[] { KV("proj", 3) } }.RankFor("proj"));
    }

    [Fact]
    public void Layers_to_transform_filters_by_the_index_after_the_layers_pattern()
    {
        var c = new LoraConfig { TargetModules = new[] { "q_proj" }, LayersToTransform = new[] { 1 }, LayersPattern = new[] { "layers" } };
        Assert.True(c.Targets("model.layers.1.self_attn.q_proj"));
        Assert.False(c.Targets("model.layers.0.self_attn.q_proj"));
        Assert.False(c.Targets("model.layers.11.self_attn.q_proj"));
        Assert.False(new LoraConfig { TargetModules = new[] { "q_proj" }, LayersToTransform = new[] { 1 }, LayersPattern = new[] { "blocks" } }
            .Targets("model.layers.1.self_attn.q_proj"));
        // A full module name in target_modules bypasses the layer filter (PEFT checks it before the filter).
        Assert.True(new LoraConfig { TargetModules = new[] { "model.layers.0.self_attn.q_proj" }, LayersToTransform = new[] { 1 } }
            .Targets("model.layers.0.self_attn.q_proj"));
        // modules_to_save wins over target_modules; a string target is a whole-name regex.
        Assert.False(new LoraConfig { TargetModules = new[] { "q_proj" }, ModulesToSave = new[] { "q_proj" } }.Targets("model.layers.0.self_attn.q_proj"));
        Assert.True(new LoraConfig { TargetRegex = @".*layers\.0\.self_attn\.(q|v)_proj" }.Targets("model.layers.0.self_attn.v_proj"));
        Assert.False(new LoraConfig { TargetRegex = @"(q|v)_proj" }.Targets("model.layers.0.self_attn.v_proj"));
    }

    [Fact]
    public void DoRA_with_dropout_in_training_recomputes_the_base_term_on_the_dropped_input_as_PEFT_does()
    {
        var config = new LoraConfig { R = 2, LoraAlpha = 4, LoraDropout = 0.5, UseDora = true };
        using var baseLayer = new DenseLinear(torch.randn(3, 5));
        using var layer = new LoraLinear(baseLayer, config, torch.CPU);
        using (torch.no_grad())
        {
            layer.lora_B.weight.copy_(torch.randn(3, 2));
            layer.lora_magnitude_vector!.weight.mul_(1.3);
        }
        // PEFT's init: the magnitude is the row norm of W + s B A at creation (B = 0 then).
        layer.train();
        using var x = torch.randn(4, 5);
        torch.manual_seed(17);
        using var dropped = torch.nn.functional.dropout(x, 0.5, true);
        torch.manual_seed(17);
        using var y = layer.forward(x);
        using var _ = torch.no_grad();
        var w = baseLayer.weight;
        var norm = torch.linalg.norm(w + layer.lora_B.weight.matmul(layer.lora_A.weight) * 2.0, dims: new long[] { 1 });
        var scale = (layer.lora_magnitude_vector.weight / norm).view(1, -1);
        var expected = x.matmul(w.t()) + (scale - 1) * dropped.matmul(w.t())
            + scale * dropped.matmul(layer.lora_A.weight.t()).matmul(layer.lora_B.weight.t()) * 2.0;
        Assert.True(y.allclose(expected, rtol: 1e-5, atol: 1e-5));
        // In eval mode the base output is reused: y = m / n * (x W^T + s x A^T B^T).
        layer.eval();
        using var ye = layer.forward(x);
        var expectedEval = scale * (x.matmul(w.t()) + x.matmul(layer.lora_A.weight.t()).matmul(layer.lora_B.weight.t()) * 2.0);
        Assert.True(ye.allclose(expectedEval, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void DoRA_merges_to_the_same_function_as_the_unmerged_layer()
    {
        using var dir = new TempDir();
        using var model = LlamaLoader.Load(TestModels.Create(dir, "m"), new LoadOptions { Quantize = QuantType.Nf4 });
        LoraModel.Apply(model, DoraPatterns with { ModulesToSave = null });
        Perturb(model, 3);
        using var unmerged = Logits(model);
        LoraModel.MergeAndUnload(model);
        using var merged = Logits(model);
        Assert.True(merged.allclose(unmerged, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Training_steps_with_DoRA_patterns_layers_and_modules_to_save_match_the_reference()
    {
        const string optim = "adamw_torch";
        using var dir = new TempDir();
        string modelPath = TestModels.Create(dir, "m");
        var examples = RunSupport.Synthetic(8, seed: 21);
        var lora = DoraPatterns with { LayersToTransform = new[] { 0, 1 }, LayersPattern = new[] { "layers" } };
        var args = RunSupport.Args(2, 2, maxSteps: 4) with
        {
            LearningRate = 1e-2, LrSchedulerType = "cosine", WarmupSteps = 1, WeightDecay = 0.1, MaxGradNorm = 0.7, Optim = optim,
            AdamBeta1 = 0.85, AdamBeta2 = 0.995, AdamEpsilon = 1e-7, // not the defaults, so the reference shows they are used
        };
        var job = RunSupport.Job(modelPath, dir["out"], args, examples, lora: lora) with { Shuffle = false };
        using (var copy = LlamaLoader.Load(modelPath))
        {
            LoraModel.Apply(copy, lora, args.Seed);
            PeftAdapter.Save(copy, lora, dir["init"]);
            // Both groups are used: the final norm (modules_to_save) gets no weight decay, as HF's get_decay_parameter_names says.
            var groups = ParamGroups.For(copy, 0.1);
            Assert.Equal(new[] { "base_model.model.model.norm.modules_to_save.default.weight" }, groups[1].Parameters.Select(p => p.Name));
        }
        var r = TrainingLoop.Run(job, new RecordingSink());

        File.WriteAllText(dir["spec.json"], ReferenceSpec.Train(examples, args, 4, job.PadId, lora, "cosine").ToJsonString());
        Oracle.Run("train", modelPath, dir["init"], dir["spec.json"], dir["ref.json"]);
        var reference = JsonNode.Parse(File.ReadAllText(dir["ref.json"]))!.AsObject();
        Assert.True(reference["dora_init_error"]!.GetValue<double>() < 1e-5, "DoRA magnitudes start at PEFT's ||W + s B A||");

        using (var m = LlamaLoader.Load(modelPath))
        {
            LoraModel.Apply(m, lora, 0);
            Assert.Equal(reference["order"]!.AsArray().Select(x => x!.GetValue<string>()), LoraModel.TrainableInPeftOrder(m).Select(p => p.PeftName));
            Assert.Equal(reference["decay"]!.AsArray().Select(x => x!.GetValue<bool>()), LoraModel.TrainableInPeftOrder(m).Select(p => ParamGroups.Decays(p.PeftName)));
        }
        var refLosses = ReferenceSpec.Doubles(reference["losses"]);
        Assert.Equal(4, r.StepLosses.Count);
        for (int i = 0; i < 4; i++)
            Assert.True(Math.Abs(r.StepLosses[i].Loss - refLosses[i]) < 1e-4 * refLosses[i], $"step {i + 1}: ours {r.StepLosses[i].Loss}, reference {refLosses[i]}");
        Assert.True(refLosses[^1] < refLosses[0] - 0.05, string.Join(", ", refLosses));
        using var trained = SafeTensorsFile.Open(Path.Combine(dir["out"], PeftAdapter.WeightsFile));
        var refAdapter = reference["adapter"]!.AsObject();
        Assert.Equal(refAdapter.Select(kv => kv.Key).OrderBy(k => k, StringComparer.Ordinal), trained.Tensors.Select(t => t.Name).OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (name, values) in refAdapter)
        {
            var expected = ReferenceSpec.Doubles(values);
            var actual = trained.Read(name).to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
            double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst < 2e-4, $"{name}: max |ours - reference| = {worst}");
        }
    }
}
