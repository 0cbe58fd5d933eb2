using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Stepwise.Core.Model;

namespace Stepwise.Roslyn;

/// <summary>
/// The value of an expression as far as the compiler knows it at compile time: literals, consts and constant
/// arithmetic (the compiler's own constant folding), and arrays/collections of those. Anything else is Unknown.
/// </summary>
public static class ValueEvaluator
{
    public static ConfigValue Evaluate(ExpressionSyntax expression, SemanticModel model, CancellationToken ct)
    {
        var constant = model.GetConstantValue(expression, ct);
        if (constant.HasValue) return FromConstant(constant.Value);
        switch (expression)
        {
            case ArrayCreationExpressionSyntax { Initializer: { } init }:
                return Sequence(init.Expressions, model, ct) ?? Unknown(expression);
            case ImplicitArrayCreationExpressionSyntax implicitArray:
                return Sequence(implicitArray.Initializer.Expressions, model, ct) ?? Unknown(expression);
            case CollectionExpressionSyntax collection:
            {
                var items = new List<ExpressionSyntax>();
                foreach (var element in collection.Elements)
                {
                    if (element is not ExpressionElementSyntax e) return Unknown(expression);
                    items.Add(e.Expression);
                }
                return Sequence(items, model, ct) ?? Unknown(expression);
            }
            case ParenthesizedExpressionSyntax p:
                return Evaluate(p.Expression, model, ct);
        }
        return Unknown(expression);
    }

    private static ConfigValue? Sequence(IEnumerable<ExpressionSyntax> items, SemanticModel model, CancellationToken ct)
    {
        var list = new List<ConfigValue>();
        foreach (var item in items)
        {
            var v = Evaluate(item, model, ct);
            if (!v.IsKnown) return null;
            list.Add(v);
        }
        return ConfigValue.Sequence(list);
    }

    private static ConfigValue Unknown(ExpressionSyntax e)
    {
        var text = e.ToString();
        if (text.Length > 40) text = text.Substring(0, 37) + "...";
        return ConfigValue.Unknown($"'{text}' is not a compile-time constant");
    }

    public static ConfigValue FromConstant(object? value) => value switch
    {
        null => ConfigValue.Null,
        bool b => ConfigValue.Bool(b),
        string s => ConfigValue.String(s),
        char c => ConfigValue.String(c.ToString()),
        sbyte or byte or short or ushort or int or uint or long => ConfigValue.Integer(System.Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u when u <= long.MaxValue => ConfigValue.Integer((long)u),
        // float 0.1f is 0.100000001490116 as a double: keep the digits the user wrote.
        float f => ConfigValue.Float(double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)),
        double d => ConfigValue.Float(d),
        decimal m => ConfigValue.Float((double)m),
        _ => ConfigValue.Unknown($"a constant of type {value.GetType().Name}"),
    };
}
