using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Trainer.Lora;
using Stepwise.Trainer.Models;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Training;

/// <summary>
/// checkpoint-&lt;step&gt;/ folders as HF Trainer lays them out (adapter files, trainer_state.json, the optimizer,
/// scheduler and RNG state), made atomic from a reader's point of view:
/// <list type="bullet">
/// <item>A save writes everything into a hidden <c>.tmp-checkpoint-*</c> folder, then the manifest
/// (<see cref="ManifestFile"/>: every file with its size, written last, itself through a temporary name), then renames
/// the folder into place. A checkpoint is complete when its manifest says so: each file listed is there with its
/// size. (Folders written before the manifest existed count when they hold the files a resume reads.)</item>
/// <item>A folder leaves its final name before anything in it is deleted: rotation and the re-save of a step rename it
/// to <c>.deleting-*</c> first. No half-deleted folder ever sits under a checkpoint-&lt;step&gt; name.</item>
/// <item>At the next start <see cref="CleanTemporary"/> removes the leftovers of a killed run: <c>.deleting-*</c>
/// folders, unfinished <c>.tmp-*</c> ones, and puts a finished one (killed between its manifest and its rename)
/// in place when its step has no checkpoint.</item>
/// </list>
/// Contract for whoever writes a checkpoint: put any files in the folder <see cref="Save"/> hands to its callback
/// (subfolders too); the manifest lists whatever is there when the callback returns. Durability across a power
/// loss (fsync) is not attempted, as HF Trainer does not either; a killed process loses nothing written.
/// </summary>
public static class Checkpoints
{
    public const string Prefix = "checkpoint-";
    /// <summary>The marker of a complete checkpoint: {"format":1,"step":N,"files":[{"path","bytes"}]}.</summary>
    public const string ManifestFile = "stepwise-checkpoint.json";
    private const string TempPrefix = ".tmp-checkpoint-";
    private const string DeletingPrefix = ".deleting-checkpoint-";

    /// <summary>What a resume reads, for checkpoint folders without a manifest (written before it existed, or by hand).</summary>
    private static readonly string[] LegacyRequired = { "trainer_state.json", PeftAdapter.WeightsFile, PeftAdapter.ConfigFile };
    private static readonly string[] LegacyOptimizerFiles = { "optimizer.torchsharp.bin", "optimizer.safetensors", "optimizer.pt" };

    public static string PathFor(string outputDir, long step) => Path.Combine(outputDir, Prefix + step.ToString(CultureInfo.InvariantCulture));

    private static string Unique(string outputDir, string prefix, string name) =>
        Path.Combine(outputDir, prefix + name + "-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Writes through <paramref name="write"/> into a temporary folder, adds the manifest, then renames it to
    /// checkpoint-&lt;step&gt; (an existing one of the same step, from a resumed run, is renamed away first).</summary>
    public static string Save(string outputDir, long step, Action<string> write)
    {
        Directory.CreateDirectory(outputDir);
        string final = PathFor(outputDir, step);
        string stepText = step.ToString(CultureInfo.InvariantCulture);
        string tmp = Unique(outputDir, TempPrefix, stepText);
        Directory.CreateDirectory(tmp);
        try
        {
            write(tmp);
            WriteManifest(tmp, step);
            string? old = null;
            if (Directory.Exists(final))
            {
                // A re-save of the same step: the old folder leaves its name whole before the new one takes it.
                old = Unique(outputDir, DeletingPrefix, stepText);
                Directory.Move(final, old);
            }
            Directory.Move(tmp, final);
            if (old is not null) TryDelete(old);
            return final;
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    private static void WriteManifest(string folder, long step)
    {
        var files = new JsonArray();
        foreach (var f in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(folder, f).Replace('\\', '/');
            if (rel == ManifestFile) continue;
            files.Add(new JsonObject { ["path"] = rel, ["bytes"] = new FileInfo(f).Length });
        }
        var manifest = new JsonObject { ["format"] = 1, ["step"] = step, ["files"] = files };
        string tmp = Path.Combine(folder, ManifestFile + ".tmp");
        WriteJson(tmp, manifest);
        File.Move(tmp, Path.Combine(folder, ManifestFile));
    }

    /// <summary>Null when the folder is a complete checkpoint, else why not ("adapter_model.safetensors is missing").</summary>
    public static string? Incomplete(string folder)
    {
        if (!Directory.Exists(folder)) return "it is not a folder";
        string manifest = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifest))
        {
            // Written before manifests existed: complete when what a resume reads is there.
            foreach (var name in LegacyRequired)
                if (!File.Exists(Path.Combine(folder, name))) return $"{name} is missing and there is no {ManifestFile}";
            if (!LegacyOptimizerFiles.Any(n => File.Exists(Path.Combine(folder, n))))
                return $"no optimizer state ({string.Join(", ", LegacyOptimizerFiles)}) and no {ManifestFile}";
            return null;
        }
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(manifest));
            if (node?["files"] is not JsonArray files) return $"{ManifestFile} lists no files";
            foreach (var f in files)
            {
                var rel = f?["path"]?.GetValue<string>();
                long? bytes = f?["bytes"]?.GetValue<long>();
                if (rel is null || bytes is null || rel.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(rel)) return $"{ManifestFile} is malformed";
                var info = new FileInfo(Path.Combine(folder, rel));
                if (!info.Exists) return $"{rel} is missing";
                if (info.Length != bytes) return $"{rel} has {info.Length:N0} bytes, {ManifestFile} says {bytes:N0}";
            }
            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            return $"{ManifestFile} cannot be read: {e.Message}";
        }
    }

    public static bool IsComplete(string folder) => Incomplete(folder) is null;

    /// <summary>
    /// The leftovers of a run that was killed, removed on start: <c>.deleting-*</c> folders, <c>.tmp-*</c> folders of
    /// unfinished saves. A finished one (its manifest complete) whose step has no checkpoint is put in place instead:
    /// the kill came between the manifest and the rename. Returns the folders removed or moved.
    /// </summary>
    public static IReadOnlyList<string> CleanTemporary(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return Array.Empty<string>();
        var touched = new List<string>();
        foreach (var d in Directory.EnumerateDirectories(outputDir, DeletingPrefix + "*").ToList())
            if (TryDelete(d)) touched.Add(d);
        foreach (var d in Directory.EnumerateDirectories(outputDir, TempPrefix + "*").ToList())
        {
            var name = Path.GetFileName(d)[TempPrefix.Length..];
            int dash = name.IndexOf('-');
            if (dash > 0 && long.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var step)
                && File.Exists(Path.Combine(d, ManifestFile)) && IsComplete(d) && !Directory.Exists(PathFor(outputDir, step)))
            {
                try { Directory.Move(d, PathFor(outputDir, step)); touched.Add(d); continue; }
                catch (IOException) { }
            }
            if (TryDelete(d)) touched.Add(d);
        }
        return touched;
    }

    private static bool TryDelete(string folder)
    {
        try { Directory.Delete(folder, true); return true; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Complete checkpoints, oldest step first (HF _sorted_checkpoints by step number). Incomplete folders
    /// under a checkpoint name are left out: nothing resumes from them and rotation does not count them.</summary>
    public static List<(long Step, string Path)> List(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return new();
        var list = new List<(long, string)>();
        foreach (var d in Directory.EnumerateDirectories(outputDir, Prefix + "*"))
            if (long.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && IsComplete(d))
                list.Add((s, d));
        return list.OrderBy(c => c.Item1).ToList();
    }

    /// <summary>resume_from_checkpoint: true (the latest complete one in output_dir) or a path, which must be complete.</summary>
    public static string? Resolve(string? resume, string outputDir)
    {
        if (string.IsNullOrWhiteSpace(resume) || resume.Equals("false", StringComparison.OrdinalIgnoreCase)) return null;
        if (resume.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            var latest = List(outputDir).LastOrDefault();
            if (latest.Path is null) throw new IOException($"resume_from_checkpoint is true but {outputDir} has no complete checkpoint-<step> folder to resume from");
            return latest.Path;
        }
        if (!Directory.Exists(resume)) throw new IOException($"resume_from_checkpoint: {resume} is not a folder");
        if (!File.Exists(Path.Combine(resume, "trainer_state.json")) && !File.Exists(Path.Combine(resume, ManifestFile)))
            throw new IOException($"resume_from_checkpoint: {resume} has no trainer_state.json (not a checkpoint)");
        if (Incomplete(resume) is { } why)
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(resume));
            var others = parent is null ? new() : List(parent);
            throw new IOException($"resume_from_checkpoint: {resume} is an incomplete checkpoint ({why}): a save or a deletion of it was interrupted. "
                + (others.Count > 0 ? $"Resume from {others[^1].Path} (the latest complete one) instead." : "No complete checkpoint is next to it."));
        }
        return resume;
    }

    /// <summary>
    /// save_total_limit rotation as transformers Trainer._rotate_checkpoints: the oldest go first, but the best
    /// checkpoint is moved out of the way (kept), and with a limit of 1 the latest is kept too so the run can resume.
    /// Each folder is renamed away before it is deleted.
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
            string away = Unique(outputDir, DeletingPrefix, Path.GetFileName(d)[Prefix.Length..]);
            Directory.Move(d, away);
            TryDelete(away);
            deleted.Add(d);
        }
        return deleted;
    }

    /// <summary>Fills the model's existing LoRA layers from an adapter folder (keys and shapes checked).</summary>
    public static void LoadAdapterWeights(LlamaForCausalLM model, string folder)
    {
        string path = Path.Combine(folder, PeftAdapter.WeightsFile);
        using var file = SafeTensorsFile.Open(path);
        using var _ = torch.no_grad();
        int n = 0;
        foreach (var (p, layer) in LoraModel.Adapters(model))
        {
            foreach (var (key, param) in new[] { (PeftAdapter.KeyA(p), layer.lora_A.weight), (PeftAdapter.KeyB(p), layer.lora_B.weight) })
            {
                if (!file.Contains(key)) throw new CheckpointFormatException($"{path}: missing '{key}' (the checkpoint was trained with other target_modules?)");
                var info = file[key];
                if (!info.Shape.SequenceEqual(param.shape))
                    throw new CheckpointFormatException($"{path}: '{key}' has shape {SafeTensorsFile.FormatShape(info.Shape)}, this run needs {SafeTensorsFile.FormatShape(param.shape)} (another r?)");
                using var t = file.Read(info);
                param.copy_(t);
                n++;
            }
        }
        if (n != file.Tensors.Count) throw new CheckpointFormatException($"{path}: holds {file.Tensors.Count} tensors, this run's adapters have {n}");
    }

    public static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
