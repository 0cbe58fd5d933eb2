using Stepwise.Trainer.Tests.Run;

namespace Stepwise.Trainer.Tests;

/// <summary>
/// The test assembly's entry point (Microsoft.NET.Test.Sdk's generated one is turned off in the csproj): the test
/// host never calls it; tests start this assembly as a child process (`dotnet Stepwise.Trainer.Tests.dll MODE ...`)
/// when they need a process they can kill -9 in the middle of real work.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == CheckpointKillTests.ChildMode) return CheckpointKillTests.Child(args[1..]);
        Console.Error.WriteLine("Stepwise.Trainer.Tests is a test assembly: run it with `dotnet test`.");
        return 2;
    }
}
