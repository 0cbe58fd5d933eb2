using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Stepwise.Analysis.Tests")]
[assembly: InternalsVisibleTo("Stepwise.Fuzz")]
