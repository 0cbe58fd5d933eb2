using System.Text.Json;
using System.Text.Json.Serialization;
using Stepwise.LanguageServer.Handlers;
using Stepwise.LanguageServer.Protocol;
using Stepwise.LanguageServer.Server.Training;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// Compile-time JSON metadata for every LSP record the server reads or writes. Without it System.Text.Json builds
/// each type's metadata by reflection on first use and emits IL for its accessors, which the JIT then compiles: most
/// of what the first initialize and the first diagnostics cost after the runtime itself. Types not listed here (the
/// It is the only resolver: every type that crosses the wire is listed here.
/// The options match <see cref="LspJson.Configure"/>.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = false, NumberHandling = JsonNumberHandling.Strict)]
// Requests and notifications the client sends.
[JsonSerializable(typeof(DidOpenTextDocumentParams))]
[JsonSerializable(typeof(DidChangeTextDocumentParams))]
[JsonSerializable(typeof(DidCloseTextDocumentParams))]
[JsonSerializable(typeof(DidSaveTextDocumentParams))]
[JsonSerializable(typeof(DidChangeConfigurationParams))]
[JsonSerializable(typeof(DidChangeWatchedFilesParams))]
[JsonSerializable(typeof(DocumentDiagnosticParams))]
[JsonSerializable(typeof(CodeActionParams))]
[JsonSerializable(typeof(TextDocumentPositionParams))]
[JsonSerializable(typeof(RangeParams))]
[JsonSerializable(typeof(TextDocumentParams))]
[JsonSerializable(typeof(CompletionParams))]
[JsonSerializable(typeof(ExecuteCommandParams))]
[JsonSerializable(typeof(WorkDoneProgressCancelParams))]
// Answers.
[JsonSerializable(typeof(DocumentDiagnosticReport))]
[JsonSerializable(typeof(List<CodeAction>))]
[JsonSerializable(typeof(Hover))]
[JsonSerializable(typeof(List<InlayHint>))]
[JsonSerializable(typeof(List<CodeLens>))]
[JsonSerializable(typeof(CompletionList))]
[JsonSerializable(typeof(List<DocumentSymbol>))]
[JsonSerializable(typeof(TrainStarted))]
[JsonSerializable(typeof(TrainOutcome))]
[JsonSerializable(typeof(CheckWorkspaceResult))]
[JsonSerializable(typeof(IReadOnlyList<RunInfo>))]
[JsonSerializable(typeof(List<RunInfo>))]
// What the server sends on its own.
[JsonSerializable(typeof(PublishDiagnosticsParams))]
[JsonSerializable(typeof(LogMessageParams))]
[JsonSerializable(typeof(ConfigurationParams))]
[JsonSerializable(typeof(RegistrationParams))]
[JsonSerializable(typeof(DidChangeWatchedFilesRegistrationOptions))]
[JsonSerializable(typeof(UnregistrationParams))]
[JsonSerializable(typeof(WorkDoneProgressCreateParams))]
[JsonSerializable(typeof(ProgressParams))]
// Diagnostic.data and plain values.
[JsonSerializable(typeof(DiagnosticData))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(object))]
// StreamJsonRpc's own: $/cancelRequest's id goes through these options too (the formatter's converter writes it).
[JsonSerializable(typeof(StreamJsonRpc.RequestId))]
public sealed partial class LspJsonContext : JsonSerializerContext
{
}
