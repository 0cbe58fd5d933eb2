using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server;

namespace Stepwise.LanguageServer.Tests;

/// <summary>
/// The JSON every record of <see cref="LspJsonContext"/> puts on the wire: each root type is filled (every property
/// set, so none is left out as null), serialized with the server's options and compared with WireFormat.expected.txt,
/// captured from the server before the property names came from a naming policy instead of one attribute each. Each
/// value is also read back and written again, so the names the server reads are the same ones.
/// </summary>
public class WireFormatTests
{
    private static string ExpectedFile()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tooling.sln")))
                return Path.Combine(d.FullName, "tests", "Stepwise.LanguageServer.Tests", "WireFormat.expected.txt");
        throw new FileNotFoundException("Tooling.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The types listed with [JsonSerializable] on the context, less the plain values and StreamJsonRpc's own.</summary>
    private static IEnumerable<Type> Roots() => typeof(LspJsonContext).GetCustomAttributesData()
        .Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
        .Select(a => (Type)a.ConstructorArguments[0].Value!)
        .Where(t => t.Namespace?.StartsWith("Stepwise.", StringComparison.Ordinal) == true
            || (t.IsGenericType && t.GetGenericArguments()[0].Namespace?.StartsWith("Stepwise.", StringComparison.Ordinal) == true));

    private static string Name(Type t) => t.IsGenericType
        ? $"{t.Name[..t.Name.IndexOf('`')]}<{string.Join(",", t.GetGenericArguments().Select(Name))}>"
        : t.Name;

    /// <summary>A value of <paramref name="t"/> with every member set (lists with one element, recursion cut at depth 10).</summary>
    private static object? Make(Type t, int depth)
    {
        if (Nullable.GetUnderlyingType(t) is { } u) return Make(u, depth);
        if (t == typeof(string)) return "s";
        if (t == typeof(int)) return 1;
        if (t == typeof(long)) return 2L;
        if (t == typeof(uint)) return 3u;
        if (t == typeof(double)) return 0.5;
        if (t == typeof(bool)) return true;
        if (t == typeof(JsonElement)) return JsonDocument.Parse("{\"k\":[1]}").RootElement.Clone();
        // Registration.registerOptions is an object: the server puts the file-watcher options there.
        if (t == typeof(object)) return Make(typeof(DidChangeWatchedFilesRegistrationOptions), depth + 1);
        if (t.IsGenericType)
        {
            var args = t.GetGenericArguments();
            var def = t.GetGenericTypeDefinition();
            if (def == typeof(Dictionary<,>))
            {
                var dict = (IDictionary)Activator.CreateInstance(t)!;
                dict.Add("file:///k", Make(args[1], depth + 1));
                return dict;
            }
            if (def == typeof(List<>) || def == typeof(IReadOnlyList<>) || def == typeof(IList<>) || def == typeof(IEnumerable<>))
            {
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(args[0]))!;
                if (depth < 10) list.Add(Make(args[0], depth + 1));
                return list;
            }
        }
        Assert.True(t.IsClass && t.Namespace?.StartsWith("Stepwise.", StringComparison.Ordinal) == true, $"no sample value for {t}");
        var ctor = t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var parameters = ctor.GetParameters();
        var value = ctor.Invoke(parameters.Select(p => Make(p.ParameterType, depth + 1)).ToArray());
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (p.SetMethod is { IsPublic: true } && !parameters.Any(x => string.Equals(x.Name, p.Name, StringComparison.Ordinal)))
                p.SetValue(value, Make(p.PropertyType, depth + 1));
        return value;
    }

    private static List<string> Actual()
    {
        var lines = new List<string>();
        foreach (var t in Roots().OrderBy(Name, StringComparer.Ordinal))
        {
            var json = JsonSerializer.Serialize(Make(t, 0), t, LspJson.Options);
            var again = JsonSerializer.Serialize(JsonSerializer.Deserialize(json, t, LspJson.Options), t, LspJson.Options);
            Assert.True(json == again, $"{Name(t)} does not read back what it writes:\n{json}\n{again}");
            lines.Add($"{Name(t)}: {json}");
        }
        return lines;
    }

    [Fact]
    public void Every_record_writes_the_names_it_wrote_before_the_naming_policy()
    {
        var expected = File.ReadAllLines(ExpectedFile()).Where(l => l.Length > 0).ToList();
        var actual = Actual();
        // A new record adds its line here once its JSON has been checked against the LSP specification by hand.
        var differ = actual.Except(expected).ToList();
        var gone = expected.Except(actual).ToList();
        Assert.True(differ.Count == 0 && gone.Count == 0,
            $"the wire format changed ({ExpectedFile()}):\nnow:\n{string.Join("\n", differ)}\nbefore:\n{string.Join("\n", gone)}");
    }
}
