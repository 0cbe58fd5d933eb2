using System.Text.Json.Nodes;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Tests;

public class LoraTests
{
    private static readonly Tensor Ids = torch.tensor(new long[,] { { 1, 5, 9, 33, 2, 60 }, { 4, 4, 8, 15, 16, 23 } });

    private static Tensor Logits(LlamaForCausalLM m) { using var _ = torch.no_grad(); return m.forward(Ids, null); }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void At_init_the_adapted_model_equals_the_base_exactly(bool quantized)
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        using var model = LlamaLoader.Load(path, new LoadOptions { Quantize = quantized ? QuantType.Nf4 : null });
        using var before = Logits(model);
        LoraModel.Apply(model, new LoraConfig { R = 4, LoraAlpha = 8, LoraDropout = 0.5, TargetModules = new[] { LoraConfig.AllLinear } });
        model.train(); // dropout active: it only touches the LoRA input, and B = 0
        using var after = Logits(model);
        Assert.True(TestSupportExt.Same(before, after));
    }

    [Fact]
    public void Only_LoRA_parameters_require_grad_and_all_linear_skips_lm_head()
    {
        using var dir = new TempDir();
        using var model = LlamaLoader.Load(TestModels.Create(dir, "m"));
        var wrapped = LoraModel.Apply(model, new LoraConfig { R = 2, TargetModules = new[] { LoraConfig.AllLinear } });
        Assert.Equal(2 * 7, wrapped.Count);
        Assert.DoesNotContain("lm_head", wrapped);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Equal(2 * 7 * 2, trainable.Count);
        Assert.All(trainable, n => Assert.Matches(@"\.lora_[AB]\.weight$", n));
    }

    [Fact]
    public void An_explicit_lm_head_target_is_wrapped_trained_saved_and_loaded()
    {
        // Regression: the model's own child lm_head was missing from LinearLayers(), so an explicit "lm_head" target
        // was silently ignored (and the overfit test stalled at the frozen head's capacity).
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        using var model = LlamaLoader.Load(path);
        var config = new LoraConfig { R = 2, LoraAlpha = 4, TargetModules = new[] { "lm_head" } };
        Assert.Equal(new[] { "lm_head" }, LoraModel.Apply(model, config));
        Assert.IsType<LoraLinear>(model.lm_head);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(new[] { "lm_head.lora_A.weight", "lm_head.lora_B.weight" }, trainable);
        model.forward(Ids, null).pow(2).sum().backward();
        Assert.True(((LoraLinear)model.lm_head!).lora_B.weight.grad!.abs().max().item<float>() > 0);

        Perturb(model);
        PeftAdapter.Save(model, config, dir["adapter"]);
        using (var f = SafeTensorsFile.Open(dir["adapter/adapter_model.safetensors"]))
            Assert.Equal(new[] { "base_model.model.lm_head.lora_A.weight", "base_model.model.lm_head.lora_B.weight" },
                f.Tensors.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal));
        using var expected = Logits(model);
        using var fresh = LlamaLoader.Load(path);
        using var baseLogits = Logits(fresh);
        Assert.False(TestSupportExt.Same(baseLogits, expected));
        PeftAdapter.Load(fresh, dir["adapter"]);
        using var actual = Logits(fresh);
        Assert.True(TestSupportExt.Same(actual, expected));
    }

    [Fact]
    public void Target_modules_match_by_name_suffix_as_PEFT_does()
    {
        var c = new LoraConfig { TargetModules = new[] { "q_proj", "mlp.down_proj" } };
        Assert.True(c.Targets("model.layers.0.self_attn.q_proj"));
        Assert.True(c.Targets("model.layers.3.mlp.down_proj"));
        Assert.False(c.Targets("model.layers.0.self_attn.k_proj"));
        Assert.False(c.Targets("model.layers.0.self_attn.xq_proj"));
    }

    [Fact]
    public void Init_is_Kaiming_uniform_for_A_and_zero_for_B()
    {
        using var dir = new TempDir();
        using var model = LlamaLoader.Load(TestModels.Create(dir, "m"));
        LoraModel.Apply(model, new LoraConfig { R = 8, TargetModules = new[] { "gate_proj" } });
        var (_, layer) = LoraModel.Adapters(model).First();
        double bound = 1 / Math.Sqrt(32);
        var a = layer.lora_A.weight.data<float>().ToArray();
        Assert.All(a, v => Assert.InRange(v, -bound, bound));
        Assert.True(a.Max() > bound * 0.7 && a.Min() < -bound * 0.7, "A spans its bound");
        Assert.All(layer.lora_B.weight.data<float>().ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(false, 16.0 / 4)]
    [InlineData(true, 16.0 / 2)]
    public void Scaling_is_alpha_over_r_or_over_sqrt_r_with_rsLoRA(bool rslora, double expected)
    {
        var config = new LoraConfig { R = 4, LoraAlpha = 16, UseRslora = rslora };
        Assert.Equal(expected, config.Scaling);
        using var baseLayer = new DenseLinear(torch.randn(3, 5));
        using var lora = new LoraLinear(baseLayer, config, torch.CPU);
        using (torch.no_grad())
        {
            lora.lora_A.weight.copy_(torch.randn(4, 5));
            lora.lora_B.weight.copy_(torch.randn(3, 4));
        }
        using var x = torch.randn(2, 5);
        using var _ = torch.no_grad();
        var delta = lora.forward(x) - baseLayer.forward(x);
        var manual = x.matmul(lora.lora_A.weight.t()).matmul(lora.lora_B.weight.t()) * expected;
        Assert.True(delta.allclose(manual, rtol: 1e-5, atol: 1e-5));
    }

    private static void Perturb(LlamaForCausalLM model)
    {
        using var _ = torch.no_grad();
        using var gen = new torch.Generator(12);
        foreach (var (_, l) in LoraModel.Adapters(model)) l.lora_B.weight.copy_(torch.randn(l.lora_B.weight.shape, generator: gen) * 0.1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Merge_equals_the_unmerged_forward(bool quantized)
    {
        using var dir = new TempDir();
        using var model = LlamaLoader.Load(TestModels.Create(dir, "m"), new LoadOptions { Quantize = quantized ? QuantType.Nf4 : null });
        LoraModel.Apply(model, new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = new[] { LoraConfig.AllLinear } });
        Perturb(model);
        model.eval();
        using var unmerged = Logits(model);
        LoraModel.MergeAndUnload(model);
        Assert.Empty(LoraModel.Adapters(model));
        Assert.DoesNotContain(model.LinearLayers(), l => l.Layer is Linear4bit);
        using var merged = Logits(model);
        Assert.True(merged.allclose(unmerged, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Merged_model_exports_as_a_plain_folder_that_loads_to_the_same_logits()
    {
        using var dir = new TempDir();
        using var model = LlamaLoader.Load(TestModels.Create(dir, "m"), new LoadOptions { Quantize = QuantType.Nf4 });
        LoraModel.Apply(model, new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = new[] { "q_proj", "down_proj" } });
        Perturb(model);
        model.eval();
        using var expected = Logits(model);
        LoraModel.MergeAndUnload(model);
        ModelFiles.SaveFloat(model, dir["merged"], ScalarType.Float32);
        Assert.Null(JsonNode.Parse(File.ReadAllText(dir["merged/config.json"]))!["quantization_config"]);
        using var merged = LlamaLoader.Load(dir["merged"]);
        using var actual = Logits(merged);
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Adapter_saves_with_PEFT_key_names_and_config_and_loads_back()
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        using var model = LlamaLoader.Load(path);
        var config = new LoraConfig { R = 4, LoraAlpha = 16, LoraDropout = 0.05, TargetModules = new[] { "q_proj", "v_proj" }, BaseModelNameOrPath = "base" };
        LoraModel.Apply(model, config);
        Perturb(model);
        PeftAdapter.Save(model, config, dir["adapter"]);

        using (var f = SafeTensorsFile.Open(dir["adapter/adapter_model.safetensors"]))
        {
            Assert.Equal("pt", f.Metadata["format"]);
            Assert.Equal(new[]
            {
                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
                "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight",
            }, f.Tensors.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(new long[] { 4, 32 }, f["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
            Assert.Equal(new long[] { 16, 4 }, f["base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"].Shape);
        }
        var json = JsonNode.Parse(File.ReadAllText(dir["adapter/adapter_config.json"]))!.AsObject();
        var keys = json.Select(kv => kv.Key).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
        Assert.Equal("LORA", json["peft_type"]!.GetValue<string>());
        Assert.Equal("CAUSAL_LM", json["task_type"]!.GetValue<string>());
        Assert.Equal(4, json["r"]!.GetValue<int>());
        Assert.Equal(16, json["lora_alpha"]!.GetValue<int>());
        Assert.Equal("none", json["bias"]!.GetValue<string>());
        Assert.False(json["fan_in_fan_out"]!.GetValue<bool>());
        Assert.True(json["inference_mode"]!.GetValue<bool>());
        Assert.Equal(new[] { "q_proj", "v_proj" }, json["target_modules"]!.AsArray().Select(x => x!.GetValue<string>()));

        model.eval();
        using var expected = Logits(model);
        using var fresh = LlamaLoader.Load(path);
        PeftAdapter.Load(fresh, dir["adapter"]);
        fresh.eval();
        using var actual = Logits(fresh);
        Assert.True(TestSupportExt.Same(actual, expected));
    }
}
