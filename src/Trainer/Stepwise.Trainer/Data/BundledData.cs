namespace Stepwise.Trainer.Data;

/// <summary>The files embedded in the trainer: the demo dataset and the demo config.</summary>
public static class BundledData
{
    public const string DatasetName = "stepwise/default-dataset.jsonl";
    public const string ConfigName = "stepwise/default-train.yaml";

    public static string DatasetText() => Read("Stepwise.Trainer.default-dataset.jsonl");
    public static string ConfigText() => Read("Stepwise.Trainer.default-train.yaml");

    public static IReadOnlyList<DataRecord> Dataset() => RecordFiles.ParseJsonLines(DatasetText(), DatasetName);

    private static string Read(string name)
    {
        using var s = typeof(BundledData).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} missing from the build");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
