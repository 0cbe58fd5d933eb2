using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;
using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Tests;

public class LlamaTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_matches_the_independent_PyTorch_reference(bool tied)
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m", tied, seed: tied ? 5 : 6);
        long[,] ids = { { 0, 0, 7, 19, 42, 3, 60, 11 }, { 5, 9, 13, 2, 1, 58, 30, 44 } };
        long[,] mask = { { 0, 0, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1, 1, 1 } }; // left padding in row 0
        var input = new JsonObject
        {
            ["input_ids"] = new JsonArray(Rows(ids)), ["attention_mask"] = new JsonArray(Rows(mask)),
        };
        File.WriteAllText(dir["in.json"], input.ToJsonString());
        Oracle.Run("logits", path, dir["in.json"], dir["out.json"]);
        var o = JsonNode.Parse(File.ReadAllText(dir["out.json"]))!.AsObject();
        var expected = o["logits"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

        using var model = LlamaLoader.Load(path);
        using var _ = torch.no_grad();
        using var logits = model.forward(torch.tensor(ids), torch.tensor(mask));
        var actual = logits.reshape(-1).data<float>().ToArray();
        Assert.Equal(2 * 8 * 61, actual.Length);
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(maxDiff < 1e-4, $"max |logit difference| {maxDiff}");
        Assert.True(expected.Select(Math.Abs).Max() > 0.05, "logits are not trivially small");
    }

    [Theory]
    [InlineData("{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}")]
    [InlineData("{\"type\": \"linear\", \"factor\": 4.0}")]
    public void RoPE_scaling_matches_the_reference(string ropeScaling)
    {
        // Tiny heads (d = 8, theta 1e4): wavelengths 6.3, 63, 628 and 6283 positions, so with an original context of 64
        // the llama3 rule keeps one frequency, blends one and divides two: every branch is exercised.
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m", seed: 9);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(path, "config.json")))!.AsObject();
        config["rope_scaling"] = JsonNode.Parse(ropeScaling);
        File.WriteAllText(Path.Combine(path, "config.json"), config.ToJsonString());
        long[,] ids = { { 3, 7, 19, 42, 3, 60, 11, 5, 9, 13, 2, 58, 30, 44, 21, 8 } };
        File.WriteAllText(dir["in.json"], new JsonObject { ["input_ids"] = new JsonArray(Rows(ids)) }.ToJsonString());
        Oracle.Run("logits", path, dir["in.json"], dir["out.json"]);
        var expected = JsonNode.Parse(File.ReadAllText(dir["out.json"]))!["logits"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

        using var model = LlamaLoader.Load(path);
        Assert.NotNull(model.Config.RopeScaling);
        using var _ = torch.no_grad();
        var actual = model.forward(torch.tensor(ids), null).reshape(-1).data<float>().ToArray();
        double maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(maxDiff < 1e-4, $"max |logit difference| {maxDiff}");

        // And the scaling matters: the same weights without it give other logits.
        config.Remove("rope_scaling");
        File.WriteAllText(Path.Combine(path, "config.json"), config.ToJsonString());
        using var plain = LlamaLoader.Load(path);
        var unscaled = plain.forward(torch.tensor(ids), null).reshape(-1).data<float>().ToArray();
        Assert.True(unscaled.Zip(actual, (u, a) => Math.Abs(u - a)).Max() > 1e-3, "rope_scaling changed nothing");
    }

    [Theory]
    [InlineData("{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_scaling type 'yarn' is not supported")]
    [InlineData("{\"rope_type\": \"llama3\", \"factor\": 8.0}", "needs a positive \"low_freq_factor\"")]
    public void Unsupported_or_incomplete_RoPE_scaling_is_refused_with_the_reason(string ropeScaling, string message)
    {
        var config = JsonNode.Parse(JsonSerializer.Serialize(new { model_type = "llama", vocab_size = 10, hidden_size = 8, intermediate_size = 16,
            num_hidden_layers = 1, num_attention_heads = 2 }))!.AsObject();
        config["rope_scaling"] = JsonNode.Parse(ropeScaling);
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaConfig.FromJson(config, "m/config.json"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("m/config.json: ", e.Message);
    }

    private static JsonNode[] Rows(long[,] a) => Enumerable.Range(0, a.GetLength(0))
        .Select(r => (JsonNode)new JsonArray(Enumerable.Range(0, a.GetLength(1)).Select(c => (JsonNode)JsonValue.Create(a[r, c])).ToArray())).ToArray();

    [Fact]
    public void Dynamic_map_equals_the_one_torch_computes()
    {
        using var dir = new TempDir();
        Oracle.Run("dynamic_map", dir["map.json"]);
        var expected = JsonNode.Parse(File.ReadAllText(dir["map.json"]))!["map"]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();
        var actual = DynamicMap.Signed();
        Assert.Equal(expected.Length, actual.Length);
        // Equal to the last bit except where torch 1.13's linspace rounds its float32 points differently from the
        // libtorch 2.x that TorchSharp ships (and bitsandbytes users run): a few units in the last place.
        for (int i = 0; i < expected.Length; i++)
        {
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(expected[i]) - BitConverter.SingleToInt32Bits(actual[i]));
            Assert.True(ulps <= 4, $"entry {i}: torch {expected[i]:R} vs ours {actual[i]:R}");
        }
        int same = expected.Zip(actual).Count(p => p.First == p.Second);
        Assert.True(same > 128, $"only {same} of 256 entries are bit-identical");
    }

    [Fact]
    public void Padding_mask_hides_padded_keys()
    {
        using var dir = new TempDir();
        using var model = LlamaLoader.Load(TestModels.Create(dir, "m"));
        using var _ = torch.no_grad();
        // The same real tokens with different left padding give the same logits at the real positions... except
        // for rotary positions, so compare one sequence padded on the right instead: the prefix is unaffected.
        using var a = model.forward(torch.tensor(new long[,] { { 3, 4, 5, 6 } }), null);
        using var b = model.forward(torch.tensor(new long[,] { { 3, 4, 5, 6, 9, 9 } }), torch.tensor(new long[,] { { 1, 1, 1, 1, 0, 0 } }));
        Assert.True(a.allclose(b.narrow(1, 0, 4), rtol: 1e-5, atol: 1e-6));
        // and a padded key in the middle changes what later tokens see
        using var c = model.forward(torch.tensor(new long[,] { { 3, 4, 5, 6 } }), torch.tensor(new long[,] { { 1, 0, 1, 1 } }));
        Assert.False(a.narrow(1, 3, 1).allclose(c.narrow(1, 3, 1), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Refuses_a_non_Llama_architecture()
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(path, "config.json")))!.AsObject();
        cfg["model_type"] = "gpt2";
        cfg["architectures"] = new JsonArray("GPT2LMHeadModel");
        File.WriteAllText(Path.Combine(path, "config.json"), cfg.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaLoader.Load(path));
        Assert.Contains("not a Llama model", e.Message);
    }

    [Fact]
    public void Shape_mismatch_between_config_and_weights_names_the_tensor()
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(path, "config.json")))!.AsObject();
        cfg["intermediate_size"] = 64;
        File.WriteAllText(Path.Combine(path, "config.json"), cfg.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaLoader.Load(path));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", e.Message);
        Assert.Contains("[48, 32]", e.Message);
        Assert.Contains("[64, 32]", e.Message);
    }

    [Fact]
    public void Missing_tensor_and_non_float_weights_are_reported()
    {
        using var dir = new TempDir();
        string path = dir["m"];
        Directory.CreateDirectory(path);
        TestModels.Tiny().Save(path);
        SafeTensorsWriter.Write(Path.Combine(path, "model.safetensors"), new[] { TensorToWrite.Of("model.embed_tokens.weight", torch.zeros(new long[] { 61, 32 }, ScalarType.Int32)) });
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaLoader.Load(path));
        Assert.Contains("I32", e.Message);
        SafeTensorsWriter.Write(Path.Combine(path, "model.safetensors"), new[] { TensorToWrite.Of("model.embed_tokens.weight", torch.zeros(61, 32)) });
        e = Assert.Throws<CheckpointFormatException>(() => LlamaLoader.Load(path));
        Assert.Contains("missing 'model.layers.0.input_layernorm.weight'", e.Message);
    }

    [Fact]
    public void Streaming_quantize_equals_quantizing_the_loaded_weights()
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        using var dense = LlamaLoader.Load(path);
        using var q = LlamaLoader.Load(path, new LoadOptions { Quantize = QuantType.Nf4 });
        var denseLayers = dense.LinearLayers().ToDictionary(l => l.Path, l => l.Layer);
        var qLayers = q.LinearLayers().Where(l => l.Layer is Linear4bit).ToList();
        Assert.Equal(2 * 7, qLayers.Count);
        foreach (var (p, _, _, layer) in qLayers)
        {
            using var expected = FourBit.Quantize(((DenseLinear)denseLayers[p]).weight.detach(), QuantType.Nf4, true);
            Assert.Equal(expected.Packed.data<byte>().ToArray(), ((Linear4bit)layer).Weight.Packed.data<byte>().ToArray());
        }
        Assert.IsType<DenseLinear>(q.lm_head); // bitsandbytes leaves the output layer in floating point
    }

    [Fact]
    public void Quantized_folder_uses_the_bitsandbytes_layout_and_loads_without_requantizing()
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        using var q = LlamaLoader.Load(path, new LoadOptions { Quantize = QuantType.Nf4 });
        BnbLayout.SaveQuantized(q, path, dir["q"]);

        using (var f = SafeTensorsFile.Open(dir["q/model.safetensors"]))
        {
            string w = "model.layers.1.mlp.down_proj.weight"; // [32, 48]: 1536 values, 24 blocks
            Assert.Equal("U8", f[w].DType); Assert.Equal(new long[] { 768, 1 }, f[w].Shape);
            Assert.Equal("U8", f[w + ".absmax"].DType); Assert.Equal(new long[] { 24 }, f[w + ".absmax"].Shape);
            Assert.Equal("F32", f[w + ".quant_map"].DType); Assert.Equal(new long[] { 16 }, f[w + ".quant_map"].Shape);
            Assert.Equal("F32", f[w + ".nested_absmax"].DType); Assert.Equal(new long[] { 1 }, f[w + ".nested_absmax"].Shape);
            Assert.Equal("F32", f[w + ".nested_quant_map"].DType); Assert.Equal(new long[] { 256 }, f[w + ".nested_quant_map"].Shape);
            var state = System.Text.Encoding.UTF8.GetString(f.ReadRaw(f[w + ".quant_state.bitsandbytes__nf4"]));
            Assert.StartsWith("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [32, 48], \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": ", state);
            Assert.False(f.Contains("lm_head.weight.absmax"));
            Assert.Equal("F32", f["lm_head.weight"].DType);
        }
        var cfg = JsonNode.Parse(File.ReadAllText(dir["q/config.json"]))!["quantization_config"]!.AsObject();
        Assert.Equal("bitsandbytes", cfg["quant_method"]!.GetValue<string>());
        Assert.Equal("nf4", cfg["bnb_4bit_quant_type"]!.GetValue<string>());
        Assert.True(cfg["bnb_4bit_use_double_quant"]!.GetValue<bool>());
        Assert.True(cfg["load_in_4bit"]!.GetValue<bool>());

        using var loaded = LlamaLoader.Load(dir["q"]);
        var a = q.LinearLayers().Where(l => l.Layer is Linear4bit).ToList();
        var b = loaded.LinearLayers().Where(l => l.Layer is Linear4bit).ToDictionary(l => l.Path, l => ((Linear4bit)l.Layer).Weight);
        foreach (var (p, _, _, layer) in a)
        {
            var x = ((Linear4bit)layer).Weight;
            Assert.Equal(x.Packed.data<byte>().ToArray(), b[p].Packed.data<byte>().ToArray());
            Assert.Equal(x.QuantizedAbsmax!.data<byte>().ToArray(), b[p].QuantizedAbsmax!.data<byte>().ToArray());
            Assert.Equal(x.Offset, b[p].Offset);
        }
        using var _ = torch.no_grad();
        var ids = torch.tensor(new long[,] { { 1, 2, 3, 4 } });
        Assert.True(TestSupportExt.Same(q.forward(ids, null), loaded.forward(ids, null)));
    }

    [Fact]
    public void Quantizing_to_bfloat16_rounds_the_weights_first_and_records_bfloat16_in_the_quant_state()
    {
        // transformers casts each weight to the load dtype before bitsandbytes' quantize_4bit, which records dtype=A.dtype.
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m"); // float32
        using var q = LlamaLoader.Load(path, new LoadOptions { ComputeDtype = ScalarType.BFloat16, Quantize = QuantType.Nf4 });
        BnbLayout.SaveQuantized(q, path, dir["q"]);
        string w = "model.layers.0.self_attn.q_proj.weight";
        using (var f = SafeTensorsFile.Open(dir["q/model.safetensors"]))
        {
            var state = System.Text.Encoding.UTF8.GetString(f.ReadRaw(f[w + ".quant_state.bitsandbytes__nf4"]));
            Assert.StartsWith("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [32, 32]", state);
            Assert.Equal("BF16", f["lm_head.weight"].DType);
        }
        Assert.Equal("bfloat16", JsonNode.Parse(File.ReadAllText(dir["q/config.json"]))!["quantization_config"]!["bnb_4bit_compute_dtype"]!.GetValue<string>());
        using var src = SafeTensorsFile.Open(Path.Combine(path, "model.safetensors"));
        using var fp32 = src.Read(w);
        var ours = ((Linear4bit)q.model.layers[0].self_attn.q_proj).Weight;
        using var rounded = FourBit.Quantize(fp32.to(ScalarType.BFloat16), QuantType.Nf4, doubleQuant: true);
        using var unrounded = FourBit.Quantize(fp32, QuantType.Nf4, doubleQuant: true);
        Assert.Equal(rounded.Packed.data<byte>().ToArray(), ours.Packed.data<byte>().ToArray());
        Assert.Equal("bfloat16", ours.DType);
        // The rounding matters: quantizing the float32 values gives other codes or scales somewhere.
        Assert.False(unrounded.Packed.data<byte>().ToArray().SequenceEqual(ours.Packed.data<byte>().ToArray())
                     && unrounded.QuantizedAbsmax!.data<byte>().ToArray().SequenceEqual(ours.QuantizedAbsmax!.data<byte>().ToArray())
                     && unrounded.Offset == ours.Offset);
    }

    [Fact]
    public void Quantized_folder_with_a_missing_quant_state_is_rejected()
    {
        using var dir = new TempDir();
        string path = TestModels.Create(dir, "m");
        using var q = LlamaLoader.Load(path, new LoadOptions { Quantize = QuantType.Nf4 });
        BnbLayout.SaveQuantized(q, path, dir["q"]);
        // rewrite the file without one quant_state entry
        string file = dir["q/model.safetensors"];
        using (var f = SafeTensorsFile.Open(file))
        {
            var keep = f.Tensors.Where(t => t.Name != "model.layers.0.self_attn.k_proj.weight.quant_state.bitsandbytes__nf4")
                .Select(t => { var info = t; return new TensorToWrite(t.Name, t.DType, t.Shape, () => f.Read(info)); }).ToList();
            SafeTensorsWriter.Write(dir["q/tmp.safetensors"], keep);
        }
        File.Move(dir["q/tmp.safetensors"], file, overwrite: true);
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaLoader.Load(dir["q"]));
        Assert.Contains("model.layers.0.self_attn.k_proj.weight", e.Message);
        Assert.Contains("quant_state", e.Message);
    }

    [Fact]
    public void Default_model_is_deterministic_and_generates()
    {
        using var dir = new TempDir();
        DefaultModel.Create(dir["a"], seed: 3);
        DefaultModel.Create(dir["b"], seed: 3);
        Assert.Equal(File.ReadAllBytes(dir["a/model.safetensors"]), File.ReadAllBytes(dir["b/model.safetensors"]));
        var tok = TextTokenizer.Load(dir["a"]);
        Assert.IsType<ByteTokenizer>(tok);
        Assert.Equal(new[] { 1, 3 + 'h', 3 + 'i' }, tok.Encode("hi"));
        Assert.Equal("héllo", tok.Decode(tok.Encode("héllo")));
        using var model = LlamaLoader.Load(dir["a"]);
        Assert.Equal(DefaultModel.Config().ParameterCount(), model.parameters().Sum(p => p.numel()));
        var g1 = TextGenerator.Generate(model, tok.Encode("ab"), new GenerateOptions { MaxNewTokens = 5 }, null);
        var g2 = TextGenerator.Generate(model, tok.Encode("ab"), new GenerateOptions { MaxNewTokens = 5 }, null);
        Assert.Equal(5, g1.Count);
        Assert.Equal(g1, g2); // greedy is deterministic
        var s1 = TextGenerator.Generate(model, tok.Encode("ab"), new GenerateOptions { MaxNewTokens = 5, Temperature = 1, Seed = 4 }, null);
        var s2 = TextGenerator.Generate(model, tok.Encode("ab"), new GenerateOptions { MaxNewTokens = 5, Temperature = 1, Seed = 4 }, null);
        Assert.Equal(s1, s2); // sampling is seeded
    }
}
