using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Stepwise.Trainer.Tests")]
