using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Stepwise.Roslyn;
using Stepwise.Roslyn.CodeFixes;

namespace Stepwise.Roslyn.Tests;

/// <summary>Test harness: the analyzer and code fix against a .NET 8 compilation that references Stepwise.Core.</summary>
internal static class Verify
{
    public const string Usings = "using Stepwise.Core.Model;\n";

    public static MetadataReference CoreReference { get; } =
        MetadataReference.CreateFromFile(typeof(Stepwise.Core.Model.TrainingArguments).Assembly.Location);

    public static string Globalconfig(params string[] lines) => "is_global = true\n" + string.Join("\n", lines) + "\n";

    public sealed class AnalyzerTest : CSharpAnalyzerTest<StepwiseAnalyzer, DefaultVerifier>
    {
        public AnalyzerTest(string source, params string[] globalconfig)
        {
            ReferenceAssemblies = ReferenceAssemblies.Net.Net80;
            TestCode = Usings + source;
            TestState.AdditionalReferences.Add(CoreReference);
            TestState.OutputKind = OutputKind.ConsoleApplication;
            if (globalconfig.Length > 0) TestState.AnalyzerConfigFiles.Add(("/.globalconfig", Globalconfig(globalconfig)));
        }
    }

    public sealed class FixTest : CSharpCodeFixTest<StepwiseAnalyzer, StepwiseCodeFixProvider, DefaultVerifier>
    {
        public FixTest(string source, string fixedSource, params string[] globalconfig)
        {
            ReferenceAssemblies = ReferenceAssemblies.Net.Net80;
            TestCode = Usings + source;
            FixedCode = Usings + fixedSource;
            TestState.AdditionalReferences.Add(CoreReference);
            FixedState.AdditionalReferences.Add(CoreReference);
            TestState.OutputKind = OutputKind.ConsoleApplication;
            FixedState.OutputKind = OutputKind.ConsoleApplication;
            // Diagnostics left after the fix are written as markup in FixedCode (the default ignores fixable ones).
            FixedState.MarkupHandling = MarkupMode.Allow;
            if (globalconfig.Length > 0)
            {
                TestState.AnalyzerConfigFiles.Add(("/.globalconfig", Globalconfig(globalconfig)));
                FixedState.AnalyzerConfigFiles.Add(("/.globalconfig", Globalconfig(globalconfig)));
            }
        }
    }

    /// <summary>An expected diagnostic; its message is only compared when the test adds WithMessage.</summary>
    public static DiagnosticResult Diagnostic(string id) => new(id, StepwiseDescriptors.Find(id)!.DefaultSeverity);
}
