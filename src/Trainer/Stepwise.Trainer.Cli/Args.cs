using System.Globalization;

namespace Stepwise.Trainer.Cli;

/// <summary>Positional arguments and --name value / --flag options of one subcommand.</summary>
public sealed class Args
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    public List<string> Positional { get; } = new();

    public Args(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                string name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                else if (!flags.Contains(name))
                {
                    if (i + 1 >= list.Count) throw new UsageException($"option --{name} needs a value");
                    value = list[++i];
                }
                _options[name] = value;
            }
            else Positional.Add(a);
        }
    }

    public string Required(int index, string what) =>
        index < Positional.Count ? Positional[index] : throw new UsageException($"missing {what}");

    public bool Flag(string name) { _used.Add(name); return _options.ContainsKey(name); }

    public string? Get(string name) { _used.Add(name); return _options.TryGetValue(name, out var v) ? v : null; }

    public string Get(string name, string dflt) => Get(name) ?? dflt;

    public int GetInt(string name, int dflt) => Get(name) is string s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"--{name} must be an integer, got '{s}'")
        : dflt;

    public double GetDouble(string name, double dflt) => Get(name) is string s
        ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"--{name} must be a number, got '{s}'")
        : dflt;

    /// <summary>Fails on options the command did not read (a typo should not be silently ignored).</summary>
    public void CheckAllUsed(int maxPositional)
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UsageException($"unknown option --{unknown[0]}");
        if (Positional.Count > maxPositional) throw new UsageException($"unexpected argument '{Positional[maxPositional]}'");
    }
}

public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}
