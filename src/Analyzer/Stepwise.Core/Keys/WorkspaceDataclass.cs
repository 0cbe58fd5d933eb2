using System.Collections.Generic;

namespace Stepwise.Core.Keys;

/// <summary>
/// A <c>@dataclass</c> of the user's workspace that a script passes to <c>HfArgumentParser</c> / <c>TrlParser</c>: its
/// fields are keys of the YAML recipes that script reads, besides TrainingArguments and the TRL configs. Found by the
/// workspace layer (Core reads no files); <see cref="Bases"/> may name upstream classes (a subclass of ScriptArguments
/// or SFTConfig accepts their keys too).
/// </summary>
public sealed record WorkspaceDataclass(string Name, string File, int Line, IReadOnlyList<string> Fields, IReadOnlyList<string> Bases);
