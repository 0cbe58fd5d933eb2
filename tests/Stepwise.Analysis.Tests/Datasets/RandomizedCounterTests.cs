using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Workspace.Datasets.Counting;

namespace Stepwise.Analysis.Tests.Datasets;

/// <summary>Random documents checked against an independent reader (System.Text.Json) or their construction.</summary>
public class RandomizedCounterTests
{
    private static readonly string[] Nasty = ["[", "]", "{", "}", ",", ":", "\"", "\\", "\\\"", "\n", "\r\n", "\t", "é", "数据", "😀", " ", "a", "null", "]]}}"];

    private static string RandomString(Random rng)
    {
        var sb = new StringBuilder();
        for (int i = rng.Next(0, 8); i > 0; i--) sb.Append(Nasty[rng.Next(Nasty.Length)]);
        return sb.ToString();
    }

    private static JsonNode? RandomNode(Random rng, int depth)
    {
        switch (rng.Next(depth > 4 ? 3 : 6))
        {
            case 0: return JsonValue.Create(RandomString(rng));
            case 1: return JsonValue.Create(rng.Next(-1000, 1000));
            case 2: return rng.Next(2) == 0 ? null : JsonValue.Create(true);
            case 3:
            case 4:
                var o = new JsonObject();
                for (int i = rng.Next(0, 4); i > 0; i--) o[RandomString(rng) + i] = RandomNode(rng, depth + 1);
                return o;
            default:
                var a = new JsonArray();
                for (int i = rng.Next(0, 4); i > 0; i--) a.Add(RandomNode(rng, depth + 1));
                return a;
        }
    }

    private static ChunkCount Feed(ChunkCounter c, byte[] bytes, int chunk)
    {
        for (int i = 0; i < bytes.Length; i += chunk) c.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        return c.Finish();
    }

    [Fact]
    public void JSON_array_counts_match_System_Text_Json()
    {
        var rng = new Random(7);
        for (int round = 0; round < 300; round++)
        {
            var array = new JsonArray();
            for (int i = rng.Next(0, 12); i > 0; i--) array.Add(RandomNode(rng, 0));
            var text = array.ToJsonString(new JsonSerializerOptions { WriteIndented = rng.Next(2) == 0, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            var bytes = Encoding.UTF8.GetBytes(text);
            using var doc = JsonDocument.Parse(bytes);
            int expected = doc.RootElement.GetArrayLength();
            // Whole (the 64-byte block path inside records) or in small pieces (the byte path across boundaries).
            var r = Feed(new JsonDocumentCounter(), bytes, rng.Next(3) == 0 ? int.MaxValue : rng.Next(1, 200));
            Assert.True(r.Rows == expected, $"round {round}: {r.Rows} ({r.Problem}) vs {expected} for {text}");
        }
    }

    [Fact]
    public void Backslash_runs_and_quotes_across_64_byte_blocks_are_read_as_JSON_reads_them()
    {
        // Strings ending in k backslashes (2k after escaping) and holding escaped quotes and brackets, at every
        // alignment against the 64-byte blocks.
        for (int k = 0; k < 70; k++)
        {
            for (int pad = 0; pad < 64; pad += 7)
            {
                var array = new JsonArray();
                for (int e = 0; e < 5; e++)
                    array.Add(new JsonObject
                    {
                        ["p"] = new string('x', pad),
                        ["s"] = new string('\\', k) + (e % 2 == 0 ? "\"]}{[" : ""),
                        ["n"] = new JsonArray(new string('\\', (k + e) % 5), "[\"", new JsonObject { ["q"] = "}" }),
                    });
                var text = array.ToJsonString();
                var bytes = Encoding.UTF8.GetBytes(text);
                using var doc = JsonDocument.Parse(bytes);
                Assert.Equal(doc.RootElement.GetArrayLength(), Feed(new JsonDocumentCounter(), bytes, int.MaxValue).Rows);
                Assert.Equal(5, Feed(new JsonDocumentCounter(), bytes, 64 + k).Rows);
            }
        }
    }

    [Fact]
    public void Large_nested_records_count_the_same_whole_and_in_pieces()
    {
        var rng = new Random(99);
        var array = new JsonArray();
        for (int i = 0; i < 400; i++) array.Add(RandomNode(rng, 0) is JsonObject o ? o : new JsonObject { ["v"] = RandomString(rng), ["deep"] = new JsonArray(new JsonArray(new JsonArray(RandomString(rng)))) });
        var bytes = Encoding.UTF8.GetBytes(array.ToJsonString());
        for (int chunk = 50; chunk < 5000; chunk += 97)
            Assert.Equal(400, Feed(new JsonDocumentCounter(), bytes, chunk).Rows);
        Assert.Equal(400, Feed(new JsonDocumentCounter(), bytes, int.MaxValue).Rows);
    }

    [Fact]
    public void JSON_object_list_counts_match_System_Text_Json()
    {
        var rng = new Random(11);
        for (int round = 0; round < 200; round++)
        {
            var list = new JsonArray();
            for (int i = rng.Next(0, 10); i > 0; i--) list.Add(RandomNode(rng, 1));
            var root = new JsonObject { ["version"] = RandomString(rng), ["meta"] = new JsonObject { ["x"] = new JsonArray(1, 2) }, ["rows" + RandomString(rng)] = list };
            var bytes = Encoding.UTF8.GetBytes(root.ToJsonString());
            var r = Feed(new JsonDocumentCounter(), bytes, rng.Next(1, 64));
            Assert.Equal(list.Count, r.Rows);
        }
    }

    [Fact]
    public void CSV_counts_match_the_rows_written()
    {
        var rng = new Random(3);
        string[] pieces = ["a", "b c", ",", "\"", "\n", "\r\n", "x\"y", " ", "数据", "\t"];
        for (int round = 0; round < 300; round++)
        {
            int rows = rng.Next(0, 15), cols = rng.Next(1, 4);
            var sb = new StringBuilder(string.Join(",", Enumerable.Range(0, cols).Select(c => "h" + c)) + "\n");
            for (int r = 0; r < rows; r++)
            {
                var fields = new List<string>();
                for (int c = 0; c < cols; c++)
                {
                    var f = string.Concat(Enumerable.Range(0, rng.Next(1, 4)).Select(_ => pieces[rng.Next(pieces.Length)]));
                    // RFC 4180 writer: quote a field holding a delimiter, quote, line break or edge spaces; double its quotes.
                    fields.Add(f.IndexOfAny([',', '"', '\n', '\r', ' ', '\t']) >= 0 ? "\"" + f.Replace("\"", "\"\"") + "\"" : f);
                }
                sb.Append(string.Join(",", fields)).Append(rng.Next(3) == 0 ? "\r\n" : "\n");
                if (rng.Next(5) == 0) sb.Append(rng.Next(2) == 0 ? "\n" : "  \n"); // blank lines are skipped
            }
            var bytes = Encoding.UTF8.GetBytes(sb.ToString());
            Assert.Equal(rows, Feed(new CsvCounter(), bytes, rng.Next(1, 40)).Rows);
        }
    }
}
