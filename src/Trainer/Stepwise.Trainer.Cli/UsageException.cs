namespace Stepwise.Trainer.Cli;

/// <summary>A command line that cannot be run as written: exit code 2 with the message.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}
