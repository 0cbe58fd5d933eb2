using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Training;

/// <summary>
/// checkpoint-&lt;step&gt;/ folders as HF Trainer lays them out (adapter files, trainer_state.json, the optimizer,
/// scheduler and RNG state), written whole into a hidden temporary folder and renamed into place, so a crash or a
/// kill mid-save leaves the previous checkpoints intact and no half-written checkpoint-&lt;step&gt;.
/// </summary>
public static class Checkpoints
{
    public const string Prefix = "checkpoint-";
    private const string TempPrefix = ".tmp-checkpoint-";

    public static string PathFor(string outputDir, long step) => Path.Combine(outputDir, Prefix + step.ToString(CultureInfo.InvariantCulture));

    /// <summary>Writes through <paramref name="write"/> into a temporary folder, then renames it to checkpoint-&lt;step&gt;.</summary>
    public static string Save(string outputDir, long step, Action<string> write)
    {
        Directory.CreateDirectory(outputDir);
        string final = PathFor(outputDir, step);
        string tmp = Path.Combine(outputDir, TempPrefix + step.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(tmp);
        try
        {
            write(tmp);
            if (Directory.Exists(final)) Directory.Delete(final, true); // a re-save of the same step (resumed run)
            Directory.Move(tmp, final);
            return final;
        }
        catch
        {
            try { Directory.Delete(tmp, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Leftover temporary folders of saves that never finished (a killed run): removed on start.</summary>
    public static IReadOnlyList<string> CleanTemporary(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return Array.Empty<string>();
        var stale = Directory.EnumerateDirectories(outputDir, TempPrefix + "*").ToList();
        foreach (var d in stale) { try { Directory.Delete(d, true); } catch (IOException) { } }
        return stale;
    }

    /// <summary>Complete checkpoints, oldest step first (HF _sorted_checkpoints by step number).</summary>
    public static List<(long Step, string Path)> List(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return new();
        var list = new List<(long, string)>();
        foreach (var d in Directory.EnumerateDirectories(outputDir, Prefix + "*"))
            if (long.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                && File.Exists(Path.Combine(d, "trainer_state.json")))
                list.Add((s, d));
        return list.OrderBy(c => c.Item1).ToList();
    }

    /// <summary>resume_from_checkpoint: true (the latest in output_dir) or a path.</summary>
    public static string? Resolve(string? resume, string outputDir)
    {
        if (string.IsNullOrWhiteSpace(resume) || resume.Equals("false", StringComparison.OrdinalIgnoreCase)) return null;
        if (resume.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            var latest = List(outputDir).LastOrDefault();
            if (latest.Path is null) throw new IOException($"resume_from_checkpoint is true but {outputDir} has no checkpoint-<step> folder to resume from");
            return latest.Path;
        }
        if (!Directory.Exists(resume)) throw new IOException($"resume_from_checkpoint: {resume} is not a folder");
        if (!File.Exists(Path.Combine(resume, "trainer_state.json"))) throw new IOException($"resume_from_checkpoint: {resume} has no trainer_state.json (not a checkpoint)");
        return resume;
    }

    /// <summary>
    /// save_total_limit rotation as transformers Trainer._rotate_checkpoints: the oldest go first, but the best
    /// checkpoint is moved out of the way (kept), and with a limit of 1 the latest is kept too so the run can resume.
    /// </summary>
    public static List<string> Rotate(string outputDir, int? saveTotalLimit, string? bestCheckpoint)
    {
        var deleted = new List<string>();
        if (saveTotalLimit is not int limit || limit <= 0) return deleted;
        var sorted = List(outputDir).Select(c => c.Path).ToList();
        if (sorted.Count <= limit) return deleted;
        string? best = bestCheckpoint is null ? null : Path.GetFullPath(bestCheckpoint);
        int bestIndex = best is null ? -1 : sorted.FindIndex(p => Path.GetFullPath(p) == best);
        if (bestIndex >= 0)
            for (int i = bestIndex; i < sorted.Count - 2; i++) (sorted[i], sorted[i + 1]) = (sorted[i + 1], sorted[i]);
        if (best is not null && limit == 1 && Path.GetFullPath(sorted[^1]) != best) limit = 2;
        int toDelete = Math.Max(0, sorted.Count - limit);
        foreach (var d in sorted.Take(toDelete))
        {
            Directory.Delete(d, true);
            deleted.Add(d);
        }
        return deleted;
    }

    /// <summary>Fills the model's existing LoRA layers (and modules_to_save) from an adapter folder (keys and shapes checked).</summary>
    public static void LoadAdapterWeights(LlamaForCausalLM model, LoraConfig config, string folder) =>
        PeftAdapter.LoadWeights(model, config, Path.Combine(folder, PeftAdapter.WeightsFile));

    public static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
