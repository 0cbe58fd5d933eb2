using System.Text.RegularExpressions;

namespace Stepwise.Trainer.Lora;

/// <summary>
/// PEFT's LoraConfig fields that shape the adapters (names as in peft/tuners/lora/config.py), with PEFT 0.19.1's rules
/// for which modules get adapters (tuners_utils.check_target_module_exists), their rank and alpha
/// (utils/other.get_pattern_key) and which modules are trained in full (utils/other._set_trainable).
/// </summary>
public sealed record LoraConfig
{
    public int R { get; init; } = 8;
    public double LoraAlpha { get; init; } = 8;
    public double LoraDropout { get; init; }
    /// <summary>Module names ("q_proj", or a full path), or the single entry "all-linear".</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = new[] { "q_proj", "v_proj" };
    /// <summary>PEFT's target_modules given as one string: a regular expression the full module name must match whole.</summary>
    public string? TargetRegex { get; init; }
    public bool UseRslora { get; init; }
    /// <summary>DoRA: a trainable magnitude per output row beside the LoRA direction (peft/tuners/lora/dora.py).</summary>
    public bool UseDora { get; init; }
    /// <summary>rank_pattern in the config's order: the first key that matches a module wins (get_pattern_key).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> RankPattern { get; init; } = Array.Empty<KeyValuePair<string, int>>();
    /// <summary>alpha_pattern in the config's order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> AlphaPattern { get; init; } = Array.Empty<KeyValuePair<string, double>>();
    /// <summary>Only modules in these layer indices get adapters (null: every layer).</summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }
    /// <summary>The name(s) of the layer list whose index layers_to_transform means ("layers" for Llama); null: any.</summary>
    public IReadOnlyList<string>? LayersPattern { get; init; }
    /// <summary>exclude_modules as one string: a regular expression; modules whose whole name matches get no adapter.</summary>
    public string? ExcludeRegex { get; init; }
    /// <summary>exclude_modules as a list: full names or last name components that get no adapter.</summary>
    public IReadOnlyList<string>? ExcludeModules { get; init; }
    /// <summary>Modules trained in full and saved beside the adapter (PEFT's ModulesToSaveWrapper).</summary>
    public IReadOnlyList<string>? ModulesToSave { get; init; }
    public string BaseModelNameOrPath { get; init; } = "";

    public const string AllLinear = "all-linear";

    /// <summary>lora_alpha / r, or lora_alpha / sqrt(r) with rsLoRA (peft LoraLayer.update_layer), for the config's r and alpha.</summary>
    public double Scaling => ScalingOf(R, LoraAlpha);

    public double ScalingOf(int r, double alpha) => UseRslora ? alpha / Math.Sqrt(r) : alpha / r;

    /// <summary>The rank of the adapter on <paramref name="modulePath"/>: the first matching rank_pattern key, else r.</summary>
    public int RankFor(string modulePath) => PatternValue(RankPattern, modulePath, R);

    /// <summary>The alpha of the adapter on <paramref name="modulePath"/>: the first matching alpha_pattern key, else lora_alpha.</summary>
    public double AlphaFor(string modulePath) => PatternValue(AlphaPattern, modulePath, LoraAlpha);

    public double ScalingFor(string modulePath) => ScalingOf(RankFor(modulePath), AlphaFor(modulePath));

    /// <summary>
    /// PEFT &gt;= 0.15 get_pattern_key: a key matches when <c>re.match(rf"(.*\.)?({key})$", module)</c> does, so a key is
    /// a regular expression for the module's last name components, or its whole path. (PEFT 0.14 required a dot before
    /// the key, and before 0.14 rank and alpha shared one lookup; an adapter written for those versions with a key that
    /// differs between the rules loads here with 0.15's meaning.)
    /// </summary>
    public static bool PatternMatches(string key, string modulePath) =>
        Regex.IsMatch(modulePath, @"\A(?:.*\.)?(?:" + key + @")\z", RegexOptions.CultureInvariant);

    private static T PatternValue<T>(IReadOnlyList<KeyValuePair<string, T>> pattern, string modulePath, T fallback)
    {
        foreach (var (key, value) in pattern)
            if (PatternMatches(key, modulePath)) return value;
        return fallback;
    }

    /// <summary>
    /// PEFT's check_target_module_exists for a module's full name: excluded modules and modules trained in full never get
    /// adapters; a string
    /// target is a regular expression the whole name must match; a list entry matches the whole name or its last
    /// components after a dot, and only then does layers_to_transform (with layers_pattern) filter by layer index.
    /// "all-linear" means every linear layer except the output layer (lm_head).
    /// </summary>
    public bool Targets(string modulePath)
    {
        if (ExcludeRegex is { } ex && Regex.IsMatch(modulePath, @"\A(?:" + ex + @")\z", RegexOptions.CultureInvariant)) return false;
        if (ExcludeModules is { Count: > 0 } exl && exl.Any(e => modulePath == e || modulePath.EndsWith("." + e, StringComparison.Ordinal))) return false;
        if (ModulesToSave is { Count: > 0 } mts && mts.Any(m => Regex.IsMatch(modulePath, @"\A(?:|.*\.)(?:" + m + @")(?:\z|\..*)", RegexOptions.CultureInvariant)))
            return false;
        if (TargetRegex is { } regex) return Regex.IsMatch(modulePath, @"\A(?:" + regex + @")\z", RegexOptions.CultureInvariant);
        bool allLinear = TargetModules.Count == 1 && TargetModules[0] == AllLinear;
        if (allLinear && modulePath == "lm_head") return false;
        if (!allLinear && TargetModules.Contains(modulePath)) return true;
        bool found = allLinear || TargetModules.Any(t => modulePath.EndsWith("." + t, StringComparison.Ordinal));
        if (!found || LayersToTransform is not { Count: > 0 } layers) return found;
        int? index = LayerIndex(modulePath);
        return index is int i && layers.Contains(i);
    }

    /// <summary>The layer index PEFT reads from a module name: after the last "name.N." (or after one of layers_pattern).</summary>
    public int? LayerIndex(string modulePath)
    {
        Match m = Match.Empty;
        if (LayersPattern is not { Count: > 0 } patterns)
            m = Regex.Match(modulePath, @"\A.*\.[^.]*\.(\d+)\.", RegexOptions.CultureInvariant);
        else
            foreach (var p in patterns)
                if ((m = Regex.Match(modulePath, @"\A.*\." + p + @"\.(\d+)\.", RegexOptions.CultureInvariant)).Success) break;
        return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>PEFT's _set_trainable: a module is trained in full when its full name ends with an entry (no dot needed).</summary>
    public bool SavesInFull(string modulePath) => ModulesToSave is { Count: > 0 } m && m.Any(e => modulePath.EndsWith(e, StringComparison.Ordinal));

    public void Validate()
    {
        if (R <= 0) throw new ArgumentException($"r must be positive, got {R}");
        foreach (var (k, v) in RankPattern)
        {
            if (v <= 0) throw new ArgumentException($"rank_pattern '{k}': the rank must be positive, got {v}");
            CheckRegex("rank_pattern", k);
        }
        foreach (var (k, _) in AlphaPattern) CheckRegex("alpha_pattern", k);
        if (TargetRegex is { } t) CheckRegex("target_modules", t);
        if (ExcludeRegex is { } x) CheckRegex("exclude_modules", x);
        if (LoraDropout < 0 || LoraDropout >= 1) throw new ArgumentException($"lora_dropout must be in [0, 1), got {LoraDropout}");
        if (TargetRegex is null && TargetModules.Count == 0) throw new ArgumentException("target_modules is empty");
        if (LayersToTransform is { } l && l.Any(i => i < 0)) throw new ArgumentException($"layers_to_transform: layer indices are 0 or more, got {string.Join(", ", l)}");
    }

    private static void CheckRegex(string what, string pattern)
    {
        try { _ = new Regex(pattern, RegexOptions.CultureInvariant); }
        catch (ArgumentException e) { throw new ArgumentException($"{what}: '{pattern}' is not a valid regular expression: {e.Message}"); }
    }
}
