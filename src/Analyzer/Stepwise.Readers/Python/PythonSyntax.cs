namespace Stepwise.Readers.Python;

/// <summary>An expression as far as the reader needs to understand it. Start/End are UTF-16 offsets into the source.</summary>
public abstract record PyExpr(int Start, int End);

public sealed record PyName(string Name, int Start, int End) : PyExpr(Start, End);

public sealed record PyAttribute(PyExpr Target, string Name, int Start, int End) : PyExpr(Start, End);

public sealed record PyNumber(string Text, int Start, int End) : PyExpr(Start, End);

/// <summary>One string literal or several adjacent ones (implicit concatenation), as token indices.</summary>
public sealed record PyString(IReadOnlyList<Token> Parts, int Start, int End) : PyExpr(Start, End);

public enum PyDisplayKind { List, Tuple, Set }

public sealed record PyDisplay(PyDisplayKind Kind, IReadOnlyList<PyExpr> Items, int Start, int End) : PyExpr(Start, End);

/// <summary>One item of a dict display: key: value, or **value when Key is null.</summary>
public sealed record PyDictItem(PyExpr? Key, PyExpr Value, int Start, int End);

public sealed record PyDict(IReadOnlyList<PyDictItem> Items, int Start, int End) : PyExpr(Start, End);

public sealed record PyUnary(string Op, PyExpr Operand, int Start, int End) : PyExpr(Start, End);

public sealed record PyBinary(string Op, PyExpr Left, PyExpr Right, int Start, int End) : PyExpr(Start, End);

public sealed record PyStarred(PyExpr Value, int Start, int End) : PyExpr(Start, End);

public enum PyArgKind { Positional, Keyword, Star, DoubleStar }

/// <summary>One argument of a call: KeywordStart/End locate the keyword (Keyword kind only). Start/End cover the whole argument.</summary>
public sealed record PyArg(PyArgKind Kind, string? Keyword, int KeywordStart, int KeywordEnd, PyExpr Value, int Start, int End);

/// <summary>A call; OpenParen/CloseParen are offsets of its brackets (CloseParen is End when the call is never closed).</summary>
public sealed record PyCall(PyExpr Callee, IReadOnlyList<PyArg> Args, int OpenParen, int CloseParen, int Start, int End) : PyExpr(Start, End);

/// <summary>Anything the reader does not evaluate (subscripts, comparisons, lambdas, comprehensions...): the reason says what it is.</summary>
public sealed record PyOther(string What, int Start, int End) : PyExpr(Start, End);

public static class PyExprExtensions
{
    /// <summary>The dotted name of a name or attribute chain (transformers.TrainingArguments), or null.</summary>
    public static string? DottedName(this PyExpr e) => e switch
    {
        PyName n => n.Name,
        PyAttribute a when a.Target.DottedName() is { } t => t + "." + a.Name,
        _ => null,
    };

    /// <summary>The last segment of a dotted name: TrainingArguments for transformers.TrainingArguments.</summary>
    public static string? LastName(this PyExpr e) => e switch
    {
        PyName n => n.Name,
        PyAttribute a => a.Name,
        _ => null,
    };
}
