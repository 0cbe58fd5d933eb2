using Stepwise.Core.Keys;
using Stepwise.Core.Model;
using Stepwise.Workspace.Datasets;

namespace Stepwise.Workspace.Tokens;

/// <summary>
/// Where a config's tokenizer lives on disk: the model (axolotl tokenizer_config first, then base_model /
/// model_name_or_path) as a local folder (next to the config, then the working directory) or in the Hugging Face hub
/// cache (models--ORG--NAME/snapshots/REV, refs/main first). A folder qualifies with tokenizer.json or tokenizer.model.
/// </summary>
public static class TokenizerLocator
{
    private static readonly string[] TokenizerFiles = { "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "chat_template.jinja", "special_tokens_map.json" };

    public static IEnumerable<string> Files(string folder) => TokenizerFiles.Select(f => Path.Combine(folder, f)).Where(File.Exists);

    public static string Describe(string folder) => $"{(File.Exists(Path.Combine(folder, "tokenizer.json")) ? "tokenizer.json" : "tokenizer.model")} in {folder}";

    private static bool HasTokenizer(string folder) =>
        Directory.Exists(folder) && (File.Exists(Path.Combine(folder, "tokenizer.json")) || File.Exists(Path.Combine(folder, "tokenizer.model")));

    public static (string? Folder, string Looked) Find(ConfigDocument doc, TrainingSetup setup, string? configDir, string? workingDir, HuggingFaceCacheRoots roots)
    {
        var names = new List<string>();
        if (doc.Dialect == Dialect.Axolotl && doc.FindSet("tokenizer_config")?.Value.AsString() is { Length: > 0 } tc) names.Add(tc.Trim());
        if (doc.FindSet(KeyTable.Spelling("model_name_or_path", doc.Dialect))?.Value.AsString() is { Length: > 0 } m) names.Add(m.Trim());
        if (names.Count == 0) return (null, $"no base model named ({KeyTable.Spelling("model_name_or_path", doc.Dialect)}), so no tokenizer to count tokens with");
        var looked = new List<string>();
        foreach (var name in names)
        {
            var expanded = name.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + name[1..] : name;
            var candidates = Path.IsPathRooted(expanded) ? new[] { expanded }
                : new[] { configDir, workingDir, Directory.GetCurrentDirectory() }.Where(d => d is not null).Select(d => Path.GetFullPath(Path.Combine(d!, expanded))).Distinct();
            foreach (var c in candidates)
            {
                if (HasTokenizer(c)) return (c, "");
            }
            if (HuggingFaceCache.LooksLikeRepoId(name))
            {
                var repo = Path.Combine(roots.HubCache, "models--" + name.Replace("/", "--"));
                var snapshots = Path.Combine(repo, "snapshots");
                if (Directory.Exists(snapshots))
                {
                    var refMain = Path.Combine(repo, "refs", "main");
                    if (File.Exists(refMain) && File.ReadAllText(refMain).Trim() is { Length: > 0 } rev && HasTokenizer(Path.Combine(snapshots, rev)))
                        return (Path.Combine(snapshots, rev), "");
                    var newest = Directory.EnumerateDirectories(snapshots).Where(HasTokenizer).OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault();
                    if (newest is not null) return (newest, "");
                }
                looked.Add($"{name} is not in the Hugging Face cache ({repo})");
            }
            else looked.Add($"{name} is not a folder with tokenizer.json or tokenizer.model");
        }
        return (null, "no tokenizer found: " + string.Join("; ", looked));
    }
}
