using Stepwise.Core;
using Stepwise.Core.Text;

namespace Stepwise.Analysis.Tests.RulesFull;

public static class RulesFullKit
{
    public static string ApplyPreferred(string text, Finding f)
    {
        var fix = f.Fixes.FirstOrDefault(x => x.IsPreferred) ?? f.Fixes[0];
        return TextEdit.Apply(text, fix.Edits.Where(e => e.Path is null).Select(e => e.Edit));
    }
}
