using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using Stepwise.Trainer.SafeTensors;
using TorchSharp.PyBridge;

namespace Stepwise.Trainer.Optim;

/// <summary>
/// Files in torch.save's format (a zip holding data.pkl and one entry per tensor storage), read and written with
/// TorchSharp.PyBridge's pickler. Python values map to: dict = <see cref="OrderedDictionary"/> when written (insertion
/// order kept, as a Python dict) / <see cref="Hashtable"/> when read; list = <see cref="ArrayList"/>; tuple =
/// object[]; float = double; int = int/long; None = null; tensors = TorchSharp tensors.
/// </summary>
public static class TorchFiles
{
    public static void Write(string path, IDictionary root)
    {
        using var f = File.Create(path);
        PyTorchPickler.PickleStateDict(f, root);
    }

    public static Hashtable Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found", path);
        try { return PyTorchUnpickler.UnpickleStateDict(path); }
        catch (Exception e) when (e is not OutOfMemoryException and not IOException)
        {
            throw new CheckpointFormatException($"{path}: not a torch.save file this trainer can read ({e.GetType().Name}: {e.Message})");
        }
    }

    /// <summary>An ordered Python dict from (key, value) pairs.</summary>
    public static OrderedDictionary Dict(params (object Key, object? Value)[] items)
    {
        var d = new OrderedDictionary();
        foreach (var (k, v) in items) d.Add(k, v);
        return d;
    }

    public static ArrayList List(IEnumerable<object?> items) => new(items.ToList());

    // Reading: the values a Python pickle can hold, with errors that name the file and the field.

    public static Hashtable DictAt(IDictionary d, object key, string file) =>
        d[key] as Hashtable ?? throw new CheckpointFormatException($"{file}: '{key}' is not a dict");

    public static ArrayList ListAt(IDictionary d, object key, string file) =>
        d[key] as ArrayList ?? throw new CheckpointFormatException($"{file}: '{key}' is not a list");

    public static double Number(object? v, string what, string file) => v switch
    {
        double x => x,
        float x => x,
        int x => x,
        long x => x,
        bool b => b ? 1 : 0,
        Tensor t when t.numel() == 1 => t.to(ScalarType.Float64).cpu().item<double>(),
        _ => throw new CheckpointFormatException($"{file}: {what} is {(v is null ? "None" : v.GetType().Name)}, not a number"),
    };

    public static long Integer(object? v, string what, string file) => v switch
    {
        int x => x,
        long x => x,
        double x when x == Math.Floor(x) => (long)x,
        Tensor t when t.numel() == 1 => (long)t.to(ScalarType.Float64).cpu().item<double>(),
        _ => throw new CheckpointFormatException($"{file}: {what} is {(v is null ? "None" : v.GetType().Name)}, not an integer"),
    };

    public static Tensor TensorAt(IDictionary d, string key, string what, string file) =>
        d[key] as Tensor ?? throw new CheckpointFormatException($"{file}: {what} has no tensor '{key}'");

    public static string Show(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
