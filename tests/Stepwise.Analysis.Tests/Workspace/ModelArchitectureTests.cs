using System.Text;
using Stepwise.Core;
using Stepwise.Workspace;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Analysis.Tests.Workspace;

/// <summary>
/// SW3008 speaks only when the base model's modules are known: from weights or a config.json on disk (model folder,
/// Hugging Face hub cache, beside the config) or from a model id of a family whose modules are known.
/// </summary>
public class ModelArchitectureTests
{
    private static (string Dir, ConfigChecker Checker, string Hub) Workspace()
    {
        var dir = TestPaths.TempDir();
        var hub = Path.Combine(dir, "hf", "hub");
        Directory.CreateDirectory(hub);
        var checker = new ConfigChecker(new WorkspaceOptions
        {
            UseGit = false, UseDefaultAccelerateConfig = false,
            ModelCache = new HuggingFaceCacheRoots(Path.Combine(dir, "hf", "datasets"), hub),
        });
        return (dir, checker, hub);
    }

    private static string Axolotl(string model, string targets) =>
        $"base_model: {model}\nadapter: lora\nmicro_batch_size: 2\nnum_epochs: 1\nlora_target_modules: {targets}\noutput_dir: out\n";

    private static IReadOnlyList<Finding> Check(ConfigChecker checker, string dir, string text)
    {
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, text);
        return checker.AnalyzeFile(path).Configs.Single().Result.Findings;
    }

    private static void WriteModel(string folder, string modelType, params string[] weights)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), $"{{\"model_type\": \"{modelType}\", \"architectures\": [\"X\"]}}");
        if (weights.Length > 0)
            File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
                "{\"metadata\": {}, \"weight_map\": {" + string.Join(", ", weights.Select(w => $"\"{w}\": \"model-00001-of-00001.safetensors\"")) + "}}");
    }

    [Theory]
    // axolotl's own examples: the architecture is not known from the file, so nothing is said.
    [InlineData("Qwen/Qwen3-Next-80B-A3B-Instruct", "[linear_attn.in_proj_qkvz, linear_attn.out_proj, shared_expert_gate]")]
    [InlineData("axolotl-quants/Llama-4-Scout-17B-16E-Linearized-bnb-nf4-bf16", "[q_proj, vision_adapter.mlp.fc1]")]
    [InlineData("Qwen/Qwen3-30B-A3B", "[q_proj, mlp.gate]")]
    [InlineData("./my-model", "[c_attn]")]
    public void Unknown_architectures_get_no_finding(string model, string targets)
    {
        var (dir, checker, _) = Workspace();
        Assert.DoesNotContain(Check(checker, dir, Axolotl(model, targets)), f => f.Id == "SW3008");
    }

    [Fact]
    public void A_known_family_by_model_id_is_judged()
    {
        var (dir, checker, _) = Workspace();
        var f = Assert.Single(Check(checker, dir, Axolotl("meta-llama/Llama-3.1-8B", "[q_proj, v_prj]")), x => x.Id == "SW3008");
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("v_prj (did you mean v_proj?)", f.Message);
    }

    [Fact]
    public void Config_json_in_the_hub_cache_overrides_the_name()
    {
        var (dir, checker, hub) = Workspace();
        // A Llama-looking name whose cached config.json says llama4: not a family we know -> nothing said.
        var repo = Path.Combine(hub, "models--someone--Llama-3.1-8B-Vision-Custom");
        WriteModel(Path.Combine(repo, "snapshots", "abc123"), "llama4");
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), "abc123");
        Assert.DoesNotContain(Check(checker, dir, Axolotl("someone/Llama-3.1-8B-Vision-Custom", "[q_proj, v_prj]")), x => x.Id == "SW3008");

        // An unrecognised name whose cached config.json says llama: judged as Llama.
        WriteModel(Path.Combine(hub, "models--acme--house-model-7b", "snapshots", "r1"), "llama");
        var f = Assert.Single(Check(checker, dir, Axolotl("acme/house-model-7b", "[q_proj, v_prj]")), x => x.Id == "SW3008");
        Assert.Contains("llama model", f.Message);
        Assert.Contains("hub", f.Message);
    }

    [Fact]
    public void Weights_give_the_exact_module_names()
    {
        var (dir, checker, hub) = Workspace();
        WriteModel(Path.Combine(hub, "models--acme--scout", "snapshots", "r1"), "llama4",
            "language_model.model.layers.0.self_attn.q_proj.weight", "vision_model.vision_adapter.mlp.fc1.weight",
            "vision_model.vision_adapter.mlp.fc2.weight", "language_model.model.layers.0.self_attn.q_proj.weight.absmax");
        Assert.DoesNotContain(Check(checker, dir, Axolotl("acme/scout", "[self_attn.q_proj, vision_adapter.mlp.fc1]")), x => x.Id == "SW3008");
        var some = Assert.Single(Check(checker, dir, Axolotl("acme/scout", "[q_proj, fc3]")), x => x.Id == "SW3008");
        Assert.Equal(Severity.Warning, some.Severity);
        Assert.Contains("fc3 (did you mean fc1?)", some.Message);
        var none = Assert.Single(Check(checker, dir, Axolotl("acme/scout", "[query_key_value]")), x => x.Id == "SW3008");
        Assert.Equal(Severity.Error, none.Severity);
    }

    [Fact]
    public void A_local_model_folder_and_a_single_safetensors_header_are_read()
    {
        var (dir, checker, _) = Workspace();
        var model = Path.Combine(dir, "my-model");
        WriteModel(model, "qwen3_next");
        // model.safetensors: 8-byte little-endian header length, then the JSON header.
        var header = Encoding.UTF8.GetBytes("{\"__metadata__\": {}, \"model.layers.0.linear_attn.in_proj_qkvz.weight\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}");
        using (var f = File.Create(Path.Combine(model, "model.safetensors")))
        {
            f.Write(BitConverter.GetBytes((long)header.Length));
            f.Write(header);
            f.Write(new byte[4]);
        }
        Assert.DoesNotContain(Check(checker, dir, Axolotl("./my-model", "[linear_attn.in_proj_qkvz]")), x => x.Id == "SW3008");
        Assert.Single(Check(checker, dir, Axolotl("./my-model", "[linear_attn.in_proj_qkv]")), x => x.Id == "SW3008");
    }

    [Fact]
    public void A_config_json_beside_the_training_config_names_the_architecture()
    {
        var (dir, checker, _) = Workspace();
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\": \"mistral\"}");
        Assert.Single(Check(checker, dir, Axolotl("acme/unreleased", "[q_proj, v_prj]")), x => x.Id == "SW3008");
    }
}
