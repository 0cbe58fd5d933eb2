namespace Stepwise.Trainer.SafeTensors;

/// <summary>A checkpoint file or folder that cannot be used, with a message naming the file (and tensor).</summary>
public sealed class CheckpointFormatException : Exception
{
    public CheckpointFormatException(string message) : base(message) { }
}
