using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Stepwise.LanguageServer.Server;

/// <summary>The serializer settings of the wire format: property names in camelCase (unless a [JsonPropertyName] says
/// otherwise), nulls left out, metadata from <see cref="LspJsonContext"/>.</summary>
public static class LspJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        // Set here too, not only on the context: the names are resolved against these options at run time, and
        // StreamJsonRpc's formatter brings options of its own.
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.PropertyNameCaseInsensitive = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        // Generated metadata only: no reflection, so the same code runs compiled ahead of time (Native AOT). A type
        // missing from the context fails loudly (NotSupportedException) in the tests rather than silently reflecting.
        options.TypeInfoResolver = LspJsonContext.Default;
    }

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions();
        Configure(o);
        return o;
    }

    /// <summary>Follows a property path in a JSON value; null when any step is missing.</summary>
    public static JsonElement? Probe(JsonElement? root, params string[] path)
    {
        if (root is not { } e) return null;
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out var next)) return null;
            e = next;
        }
        return e;
    }

    public static bool IsTrue(JsonElement? root, params string[] path) => Probe(root, path) is { ValueKind: JsonValueKind.True };
}
