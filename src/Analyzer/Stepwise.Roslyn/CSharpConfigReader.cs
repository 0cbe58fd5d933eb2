using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Stepwise.Core.Model;
using Stepwise.Core.Text;

namespace Stepwise.Roslyn;

/// <summary>One creation of the target type, read as Core documents.</summary>
public sealed class CreationReading
{
    internal CreationReading(SyntaxNode node, TargetType target, ConfigDocument document, ConfigDocument? baseDocument, CSharpInitializerEditor editor)
    {
        Node = node; Target = target; Document = document; BaseDocument = baseDocument; Editor = editor;
    }

    /// <summary>The object creation or with-expression.</summary>
    public SyntaxNode Node { get; }
    public TargetType Target { get; }
    /// <summary>Every setting in effect: for a with-expression, the receiver's settings followed by the new ones.</summary>
    public ConfigDocument Document { get; }
    /// <summary>For a with-expression whose receiver could be followed: the receiver's settings alone.</summary>
    public ConfigDocument? BaseDocument { get; }
    public CSharpInitializerEditor Editor { get; }
    public bool IsWith => Node is WithExpressionSyntax;
}

/// <summary>
/// Reads <c>new TrainingArguments { ... }</c>, <c>new(...) { ... }</c>, constructor arguments and
/// <c>x with { ... }</c> into a <see cref="ConfigDocument"/> (syntax CSharp, dialect Hf): one entry per assigned
/// setting, keyed by its Hugging Face name (TargetType), with exact spans and the compile-time value (or Unknown).
/// </summary>
public static class CSharpConfigReader
{
    private const int MaxTraceDepth = 8;
    private static readonly ConditionalWeakTable<SyntaxTree, LineIndex> Lines = new();

    public static readonly SyntaxKind[] Kinds =
    {
        SyntaxKind.ObjectCreationExpression, SyntaxKind.ImplicitObjectCreationExpression, SyntaxKind.WithExpression,
    };

    /// <summary>Syntax-only pre-check: a creation with nothing written sets no setting.</summary>
    public static bool IsCandidate(SyntaxNode node) => node switch
    {
        BaseObjectCreationExpressionSyntax c => c.Initializer is { Expressions.Count: > 0 } || c.ArgumentList is { Arguments.Count: > 0 },
        WithExpressionSyntax w => w.Initializer.Expressions.Count > 0,
        _ => false,
    };

    public static CreationReading? Read(SyntaxNode node, SemanticModel model, TargetTypeCache cache, CancellationToken ct,
        IReadOnlyList<ReadProblem>? problems = null)
    {
        if (!IsCandidate(node)) return null;
        var target = cache.Get(model.GetTypeInfo(node, ct).Type);
        if (target is null) return null;

        var tree = node.SyntaxTree;
        var lines = Lines.GetValue(tree, t => new LineIndex(t.GetText(ct).ToString(), string.IsNullOrEmpty(t.FilePath) ? null : t.FilePath));
        var editor = new CSharpInitializerEditor(lines);
        var reader = new Reader(model, target, lines, editor, ct);
        var configSpan = lines.Span(node.SpanStart, node.Span.Length);

        List<ConfigEntry> entries;
        List<ConfigEntry>? baseEntries = null;
        if (node is WithExpressionSyntax with)
        {
            var own = reader.Assignments(with.Initializer);
            baseEntries = reader.Trace(with.Expression, 0);
            if (baseEntries is null)
            {
                entries = reader.Virtual(with.Expression, own);
            }
            else
            {
                entries = new List<ConfigEntry>(baseEntries);
            }
            var receiverKeys = new HashSet<string>(entries.Select(e => e.Key), StringComparer.Ordinal);
            foreach (var e in own)
                if (receiverKeys.Contains(e.Key)) editor.MarkShadowing(e);
            entries.AddRange(own);
        }
        else
        {
            entries = reader.Creation((BaseObjectCreationExpressionSyntax)node);
        }

        var document = new ConfigDocument(lines.File, lines.Text, ConfigSyntax.CSharp, Dialect.Hf, entries, editor,
            problems: problems, lines: lines, configSpan: configSpan, dialectCertain: true);
        var baseDocument = baseEntries is null ? null
            : new ConfigDocument(lines.File, lines.Text, ConfigSyntax.CSharp, Dialect.Hf, baseEntries, editor,
                lines: lines, configSpan: configSpan, dialectCertain: true);
        return new CreationReading(node, target, document, baseDocument, editor);
    }

    private sealed class Reader
    {
        private readonly SemanticModel _model;
        private readonly TargetType _target;
        private readonly LineIndex _lines;
        private readonly CSharpInitializerEditor _editor;
        private readonly CancellationToken _ct;

        public Reader(SemanticModel model, TargetType target, LineIndex lines, CSharpInitializerEditor editor, CancellationToken ct)
        {
            _model = model; _target = target; _lines = lines; _editor = editor; _ct = ct;
        }

        public List<ConfigEntry> Creation(BaseObjectCreationExpressionSyntax creation)
        {
            var entries = new List<ConfigEntry>();
            if (creation.ArgumentList is { Arguments.Count: > 0 } args) entries.AddRange(Arguments(creation, args));
            if (creation.Initializer is { } init) entries.AddRange(Assignments(init));
            return entries;
        }

        public List<ConfigEntry> Assignments(InitializerExpressionSyntax initializer)
        {
            var entries = new List<ConfigEntry>();
            if (!initializer.IsKind(SyntaxKind.ObjectInitializerExpression) && !initializer.IsKind(SyntaxKind.WithInitializerExpression))
                return entries;
            var list = initializer.Expressions;
            for (int i = 0; i < list.Count; i++)
            {
                if (list[i] is not AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment) continue;
                var hf = _target.HfNameOf(name.Identifier.ValueText);
                if (hf is null) continue;
                // A nested initializer (TargetModules = { "q_proj" }) adds to an existing value: not a value of its own.
                var value = assignment.Right is InitializerExpressionSyntax
                    ? ConfigValue.Unknown("a nested initializer")
                    : ValueEvaluator.Evaluate(assignment.Right, _model, _ct);
                var removal = RemovalSpan(assignment, list.GetSeparators().ToList(), i, list.Count, trailingCommaAllowed: true);
                entries.Add(Entry(hf, value, name.Span, assignment.Right.Span, removal,
                    new EntrySite(assignment, _target.PropertyFor)));
            }
            return entries;
        }

        private List<ConfigEntry> Arguments(BaseObjectCreationExpressionSyntax creation, ArgumentListSyntax args)
        {
            var entries = new List<ConfigEntry>();
            if (_model.GetSymbolInfo(creation, _ct).Symbol is not IMethodSymbol ctor) return entries;
            var parameterByHf = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in ctor.Parameters)
                if (_target.HfNameOf(p) is { } phf && !parameterByHf.ContainsKey(phf)) parameterByHf[phf] = p.Name;
            string? ParameterFor(string hf) => parameterByHf.TryGetValue(hf, out var n) ? n : null;

            var list = args.Arguments;
            var separators = list.GetSeparators().ToList();
            for (int i = 0; i < list.Count; i++)
            {
                var arg = list[i];
                IParameterSymbol? parameter = arg.NameColon is { } nc
                    ? ctor.Parameters.FirstOrDefault(p => p.Name == nc.Name.Identifier.ValueText)
                    : i < ctor.Parameters.Length && !ctor.Parameters[i].IsParams ? ctor.Parameters[i] : null;
                if (parameter is null || _target.HfNameOf(parameter) is not { } hf) continue;
                var value = arg.RefKindKeyword.IsKind(SyntaxKind.None)
                    ? ValueEvaluator.Evaluate(arg.Expression, _model, _ct)
                    : ConfigValue.Unknown("a ref/out argument");
                var keySpan = arg.NameColon?.Name.Span ?? arg.Expression.Span;
                var removal = RemovalSpan(arg, separators, i, list.Count, trailingCommaAllowed: false);
                entries.Add(Entry(hf, value, keySpan, arg.Expression.Span, removal,
                    new EntrySite(arg, ParameterFor, isArgument: true, isPositional: arg.NameColon is null)));
            }
            return entries;
        }

        /// <summary>
        /// The settings of a with-expression's receiver when it is a creation, another with-expression, or a local
        /// initialised by one and never assigned again. Null when it cannot be followed.
        /// </summary>
        public List<ConfigEntry>? Trace(ExpressionSyntax receiver, int depth)
        {
            if (depth > MaxTraceDepth) return null;
            while (receiver is ParenthesizedExpressionSyntax p) receiver = p.Expression;
            switch (receiver)
            {
                case BaseObjectCreationExpressionSyntax creation when SameTarget(creation):
                    return Creation(creation);
                case WithExpressionSyntax inner:
                {
                    var before = Trace(inner.Expression, depth + 1);
                    if (before is null) return null;
                    before.AddRange(Assignments(inner.Initializer));
                    return before;
                }
                case IdentifierNameSyntax id when _model.GetSymbolInfo(id, _ct).Symbol is ILocalSymbol local:
                {
                    if (local.DeclaringSyntaxReferences.Length != 1) return null;
                    if (local.DeclaringSyntaxReferences[0].GetSyntax(_ct) is not VariableDeclaratorSyntax { Initializer.Value: { } init } declarator) return null;
                    if (declarator.SyntaxTree != receiver.SyntaxTree || IsWrittenAgain(declarator, local)) return null;
                    return Trace(init, depth + 1);
                }
                default:
                    return null;
            }
        }

        private bool SameTarget(ExpressionSyntax e) =>
            SymbolEqualityComparer.Default.Equals(_model.GetTypeInfo(e, _ct).Type, _target.Type);

        private bool IsWrittenAgain(VariableDeclaratorSyntax declarator, ILocalSymbol local)
        {
            SyntaxNode scope = (SyntaxNode?)declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? declarator.SyntaxTree.GetRoot(_ct);
            var name = local.Name;
            foreach (var id in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (id.Identifier.ValueText != name) continue;
                bool write = id.Parent switch
                {
                    AssignmentExpressionSyntax a => a.Left == id,
                    ArgumentSyntax arg => !arg.RefKindKeyword.IsKind(SyntaxKind.None),
                    RefExpressionSyntax => true,
                    _ => false,
                };
                if (write && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(id, _ct).Symbol, local)) return true;
            }
            return false;
        }

        /// <summary>
        /// For a receiver the analysis cannot follow: every other setting is unknown (not the defaults), so nothing is
        /// computed from values the code does not show.
        /// </summary>
        public List<ConfigEntry> Virtual(ExpressionSyntax receiver, List<ConfigEntry> own)
        {
            var entries = new List<ConfigEntry>();
            var written = new HashSet<string>(own.Select(e => e.Key), StringComparer.Ordinal);
            var text = receiver.ToString();
            if (text.Length > 40) text = text.Substring(0, 37) + "...";
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var hf in _target.HfByProperty.Values)
            {
                if (written.Contains(hf) || !seen.Add(hf)) continue;
                var value = ConfigValue.Unknown($"comes from '{text}', which the analyzer cannot follow");
                entries.Add(Entry(hf, value, receiver.Span, receiver.Span, receiver.Span, new EntrySite(receiver, _ => null, isVirtual: true)));
            }
            return entries;
        }

        private ConfigEntry Entry(string hf, ConfigValue value, Microsoft.CodeAnalysis.Text.TextSpan key, Microsoft.CodeAnalysis.Text.TextSpan valueSpan,
            Microsoft.CodeAnalysis.Text.TextSpan removal, EntrySite site)
        {
            var entry = new ConfigEntry(hf, hf, value, Span(key), Span(valueSpan), Span(removal),
                _lines.Text.Substring(valueSpan.Start, valueSpan.Length), _target.Type.Name);
            _editor.Register(entry, site);
            return entry;
        }

        private SourceSpan Span(Microsoft.CodeAnalysis.Text.TextSpan s) => _lines.Span(s.Start, s.Length);

        /// <summary>
        /// What to delete to remove one item of a comma-separated list: its whole line when it stands alone on it,
        /// else the item with its following comma (or the preceding one for the last item).
        /// </summary>
        private Microsoft.CodeAnalysis.Text.TextSpan RemovalSpan(SyntaxNode item, List<SyntaxToken> separators, int index, int count, bool trailingCommaAllowed)
        {
            var text = _lines.Text;
            int start = item.SpanStart, end = item.Span.End;
            SyntaxToken? following = index < separators.Count ? separators[index] : null;
            SyntaxToken? preceding = index > 0 ? separators[index - 1] : null;
            if (following is { } f) end = f.Span.End;

            int line = _lines.PositionOf(start).Line;
            int lineStart = _lines.LineStart(line);
            int lineEnd = _lines.LineContentEnd(_lines.PositionOf(end).Line);
            bool aloneBefore = text.Substring(lineStart, start - lineStart).Trim().Length == 0;
            var after = text.Substring(end, Math.Max(0, lineEnd - end)).Trim();
            bool aloneAfter = after.Length == 0 || after.StartsWith("//", StringComparison.Ordinal);
            if (aloneBefore && aloneAfter && (following is not null || trailingCommaAllowed || preceding is null))
            {
                int endLine = _lines.PositionOf(end).Line;
                return Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(lineStart, _lines.LineEndIncludingBreak(endLine));
            }
            if (following is not null)
            {
                while (end < text.Length && (text[end] == ' ' || text[end] == '\t')) end++;
                return Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(start, end);
            }
            if (preceding is { } p) return Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(p.SpanStart, end);
            return Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(start, end);
        }
    }
}
