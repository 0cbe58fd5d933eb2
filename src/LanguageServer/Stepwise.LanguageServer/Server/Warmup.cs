using System.Buffers;
using System.Text;
using System.Text.Json;
using Stepwise.LanguageServer.Handlers;
using Stepwise.LanguageServer.Protocol;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// Start-up warm-up on a background thread: runs, once and on made-up input, the code that answering initialize and
/// the first didOpen will run (JSON metadata and (de)serialization of the LSP records, the YAML reader, the engine's
/// rules, the diagnostics conversion, the features a client asks for right after opening a file). The first real
/// messages then find it compiled (ReadyToRun leaves generic instantiations, lambdas and the validators' compiled
/// expressions to the JIT). Nothing it does is visible to the client: no document is stored, nothing is sent, git is
/// not asked, and a failure only skips the rest of the warm-up.
/// </summary>
public static class Warmup
{
    // A typical Hugging Face Trainer config in YAML (what editors open most): the reader, the key table, the
    // schedule arithmetic and the rules all run on it.
    private const string SampleConfig = """
        model_name_or_path: meta-llama/Llama-2-7b-hf
        output_dir: out
        per_device_train_batch_size: 16
        gradient_accumulation_steps: 2
        learning_rate: 2.0e-4
        max_steps: 500
        num_train_epochs: 3
        lr_scheduler_type: cosine
        warmup_ratio: 0.03
        bf16: true
        save_strategy: steps
        save_steps: 100
        logging_steps: 10
        load_in_4bit: true
        bnb_4bit_quant_type: nf4

        """;

    private const string SampleInitialize = """
        {"processId":1,"rootUri":"file:///w","capabilities":{"workspace":{"configuration":true,"didChangeWatchedFiles":{"dynamicRegistration":true}},
         "textDocument":{"publishDiagnostics":{"versionSupport":true},"synchronization":{"didSave":true}}},"clientInfo":{"name":"warmup","version":"1"}}
        """;

    /// <summary>
    /// Whether to warm up: only with a core to spare. The warm-up does work the first messages need anyway, but on a
    /// machine with no idle core it competes with the main thread and delays initialize (measured on the 2-core dev
    /// box under load 8: initialize median 345 ms without, 435 ms with). <paramref name="setting"/> is
    /// STEPWISE_LSP_WARMUP: "0" never, "1" always, anything else decides by the 1-minute load average (Linux).
    /// </summary>
    /// <summary>Set (runtimeconfig) in the Native AOT build, see the csproj.</summary>
    public const string NativeAotSwitch = "Stepwise.LanguageServer.NativeAot";

    public static bool WorthIt(string? setting)
    {
        if (setting == "0") return false;
        if (setting == "1" || setting == "diagnostics") return true;
        // Compiled ahead of time (Native AOT): there is nothing to compile early, only the analysis to compete with.
        if (AppContext.TryGetSwitch(NativeAotSwitch, out var aot) && aot) return false;
        if (Environment.ProcessorCount < 2) return false;
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            var first = text.AsSpan(0, text.IndexOf(' '));
            return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var load)
                && load <= Environment.ProcessorCount - 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return true; // no /proc (Windows, macOS): assume the cores are there
        }
    }

    /// <summary>
    /// Loads the key data (every key of every pinned upstream release, parsed from the embedded keys.txt, and the key
    /// table built over it) on a background thread while the connection is set up. Unlike the warm-up this adds no
    /// work: the first analysis needs exactly this and otherwise does it on the request path (about a third of the
    /// CPU time to the first diagnostics); when the analysis gets there first it waits for the same one-time load.
    /// STEPWISE_LSP_PRELOAD=0 turns it off (to measure what it saves).
    /// </summary>
    public static void PreloadKeyData(string? setting)
    {
        if (setting == "0") return;
        var thread = new Thread(() =>
        {
            try
            {
                _ = Stepwise.Core.Keys.KeyTable.All.Count;
                StartupTrace.Mark("key data loaded");
            }
            catch (Exception)
            {
                // A broken key data resource is reported by the analysis that needs it, with the file and line.
            }
        }) { IsBackground = true, Name = "stepwise-lsp key data" };
        thread.Start();
    }

    public static Thread Start(StepwiseServer server, JsonSerializerOptions wire)
    {
        var thread = new Thread(() => Run(server, wire)) { IsBackground = true, Name = "stepwise-lsp warm-up" };
        thread.Start();
        return thread;
    }

    private static void Run(StepwiseServer server, JsonSerializerOptions wire)
    {
        try
        {
            StartupTrace.Mark("warm-up: start");
            // What initialize runs.
            using (var doc = JsonDocument.Parse(SampleInitialize))
            {
                var p = (JsonElement)doc.RootElement.Deserialize(wire.GetTypeInfo(typeof(JsonElement)))!;
                Write(InitializeAnswer.For(ClientCapabilities.From(p.GetProperty("capabilities")).PullDiagnostics, TrainCommands.All, "0"), wire);
            }
            StartupTrace.Mark("warm-up: initialize");

            var path = Path.Combine(AppContext.BaseDirectory, "warm-up", "train.yaml");
            var open = JsonSerializer.SerializeToElement(new DidOpenTextDocumentParams(new TextDocumentItem(DocumentUris.FromPath(path), "yaml", 1, SampleConfig)), wire.GetTypeInfo(typeof(DidOpenTextDocumentParams)));
            var item = ((DidOpenTextDocumentParams?)open.Deserialize(wire.GetTypeInfo(typeof(DidOpenTextDocumentParams))))!.TextDocument;
            var snapshot = server.WarmAnalysis(path, item.Text);
            var diagnostics = snapshot.Analysis.Diagnostics;
            Write(new PublishDiagnosticsParams(snapshot.Uri, snapshot.Version, diagnostics), wire);
            StartupTrace.Mark("warm-up: analysis and diagnostics");

            // What VS Code asks right after opening a file (STEPWISE_LSP_WARMUP=diagnostics stops before).
            if (Environment.GetEnvironmentVariable("STEPWISE_LSP_WARMUP") == "diagnostics") return;
            var all = new LspRange(new LspPosition(0, 0), new LspPosition(snapshot.Lines.LineCount, 0));
            Write(InlayHints.For(snapshot, all), wire);
            Write(CodeLenses.For(snapshot), wire);
            Write(DocumentSymbols.For(snapshot), wire);
            StartupTrace.Mark("warm-up: done");
        }
        catch (Exception ex)
        {
            if (StartupTrace.Enabled) Console.Error.WriteLine($"[trace] warm-up stopped: {ex}");
        }
    }

    private static void Write<T>(T value, JsonSerializerOptions wire)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var writer = new Utf8JsonWriter(buffer);
        JsonSerializer.Serialize(writer, value, wire.GetTypeInfo(typeof(T)));
    }
}
