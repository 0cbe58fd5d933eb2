namespace Stepwise.Jinja;

// The syntax tree JinjaParser builds and JinjaTemplate walks: statements (Node) and expressions (Expr), each with the
// template line:col its errors name.
public abstract record Node(int Line, int Col);
public sealed record DataNode(string Text, int Line, int Col) : Node(Line, Col);
public sealed record OutputNode(Expr Value, int Line, int Col) : Node(Line, Col);
public sealed record IfNode(List<(Expr Cond, List<Node> Body)> Branches, List<Node>? Else, int Line, int Col) : Node(Line, Col);
public sealed record ForNode(Target Target, Expr Iter, Expr? Filter, List<Node> Body, List<Node>? Else, int Line, int Col) : Node(Line, Col);
public sealed record SetNode(Target Target, Expr? Value, List<Node>? Body, int Line, int Col) : Node(Line, Col);
public sealed record BlockNode(List<Node> Body, int Line, int Col) : Node(Line, Col);
/// <summary>{% generation %}...{% endgeneration %}: HF's AssistantTracker marks the text the assistant generates.</summary>
public sealed record GenerationNode(List<Node> Body, int Line, int Col) : Node(Line, Col);
public sealed record LoopControlNode(bool Break, int Line, int Col) : Node(Line, Col);
public sealed record MacroNode(string Name, List<(string Name, Expr? Default)> Params, List<Node> Body, int Line, int Col) : Node(Line, Col);

/// <summary>An assignment target: a name, ns.attr, or a tuple of names.</summary>
public sealed record Target(string? Name, Expr? Owner, string? Attr, List<string>? Names);

public abstract record Expr(int Line, int Col);
public sealed record Literal(object? Value, int Line, int Col) : Expr(Line, Col);
public sealed record NameExpr(string Name, int Line, int Col) : Expr(Line, Col);
public sealed record ListExpr(List<Expr> Items, bool Tuple, int Line, int Col) : Expr(Line, Col);
public sealed record DictExpr(List<(Expr Key, Expr Value)> Items, int Line, int Col) : Expr(Line, Col);
public sealed record AttrExpr(Expr Obj, string Name, int Line, int Col) : Expr(Line, Col);
public sealed record ItemExpr(Expr Obj, Expr Key, int Line, int Col) : Expr(Line, Col);
public sealed record SliceExpr(Expr Obj, Expr? Start, Expr? Stop, Expr? Step, int Line, int Col) : Expr(Line, Col);
public sealed record CallExpr(Expr Fn, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line, int Col) : Expr(Line, Col);
public sealed record FilterExpr(Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line, int Col) : Expr(Line, Col);
public sealed record TestExpr(Expr Value, string Name, bool Negated, List<Expr> Args, int Line, int Col) : Expr(Line, Col);
public sealed record UnaryExpr(string Op, Expr Operand, int Line, int Col) : Expr(Line, Col);
public sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line, int Col) : Expr(Line, Col);
public sealed record CompareExpr(Expr First, List<(string Op, Expr Right)> Rest, int Line, int Col) : Expr(Line, Col);
public sealed record CondExpr(Expr Cond, Expr Then, Expr? Else, int Line, int Col) : Expr(Line, Col);
