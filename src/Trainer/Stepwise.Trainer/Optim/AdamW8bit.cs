using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Optim;

/// <summary>
/// bitsandbytes' 8-bit blockwise AdamW (adamw_bnb_8bit / adamw_8bit / paged_adamw_8bit), as bitsandbytes 0.50.1 sets it
/// up in bitsandbytes/optim/optimizer.py (Optimizer2State.init_state): m and v live as uint8 codes in blocks of 256
/// with one float32 absmax per block, m on the signed dynamic map, v on the unsigned one (create_dynamic_map); tensors
/// under 4096 elements keep float32 state (min_8bit_size). A step
/// dequantizes, runs float32 AdamW (bias correction, decoupled weight decay applied first, as
/// kOptimizerStatic8bit2StateBlockwise), and re-quantizes with fresh per-block absmax. Codes are chosen by the CUDA
/// kernel's dQuantize search (<see cref="DynamicMap.Quantize"/>).
/// </summary>
public sealed class AdamW8bit : ITrainOptimizer
{
    public const int BlockSize = 256;
    public const int MinEightBitSize = 4096;
    private const string StateFile = "optimizer.safetensors";

    private readonly double _beta1, _beta2, _eps, _weightDecay;
    private readonly List<ParamState> _states;
    private long _step;

    private sealed class ParamState
    {
        public required Parameter Param;
        public bool EightBit;
        public float[] M = Array.Empty<float>(), V = Array.Empty<float>(); // float32 state (small tensors)
        public byte[] MCodes = Array.Empty<byte>(), VCodes = Array.Empty<byte>();
        public float[] MAbsmax = Array.Empty<float>(), VAbsmax = Array.Empty<float>();
    }

    public AdamW8bit(string name, IReadOnlyList<Parameter> parameters, double beta1, double beta2, double eps, double weightDecay)
    {
        Name = name;
        _beta1 = beta1; _beta2 = beta2; _eps = eps; _weightDecay = weightDecay;
        _states = parameters.Select(p =>
        {
            long n = p.numel();
            var s = new ParamState { Param = p, EightBit = n >= MinEightBitSize };
            if (s.EightBit)
            {
                int blocks = (int)((n + BlockSize - 1) / BlockSize);
                // Zero state: code of 0 with absmax 0 dequantizes to 0 (signed map: index 127; unsigned: index 0).
                s.MCodes = Enumerable.Repeat((byte)127, (int)n).ToArray();
                s.VCodes = new byte[n];
                s.MAbsmax = new float[blocks]; s.VAbsmax = new float[blocks];
            }
            else { s.M = new float[n]; s.V = new float[n]; }
            return s;
        }).ToList();
    }

    public string Name { get; }
    public long StepCount => _step;

    /// <summary>Bytes of state: 1 byte per element per moment + 4 bytes per block absmax for 8-bit tensors, 8 per element otherwise.</summary>
    public long StateBytes => _states.Sum(s => s.EightBit
        ? s.MCodes.LongLength + s.VCodes.LongLength + 4L * (s.MAbsmax.Length + s.VAbsmax.Length)
        : 4L * (s.M.LongLength + s.V.LongLength)) + 8;

    public void ZeroGrad()
    {
        foreach (var s in _states)
            if (s.Param.grad is { } g) g.zero_();
    }

    public void Step(double learningRate)
    {
        _step++;
        double bc1 = 1 - Math.Pow(_beta1, _step), bc2 = 1 - Math.Pow(_beta2, _step);
        float b1 = (float)_beta1, b2 = (float)_beta2, eps = (float)_eps;
        float stepSize = (float)(learningRate * Math.Sqrt(bc2) / bc1);
        float epsHat = (float)(_eps * Math.Sqrt(bc2));
        float decay = (float)(1 - learningRate * _weightDecay);
        var signed = DynamicMap.Signed();
        var unsigned = UnsignedMap();
        using var _ = torch.no_grad();
        foreach (var s in _states)
        {
            if (s.Param.grad is not { } gradTensor) continue;
            var p = s.Param.detach().cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();
            var g = gradTensor.detach().cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();
            int n = p.Length;
            float[] m = s.EightBit ? Dequantize(s.MCodes, s.MAbsmax, signed) : s.M;
            float[] v = s.EightBit ? Dequantize(s.VCodes, s.VAbsmax, unsigned) : s.V;
            for (int i = 0; i < n; i++)
            {
                m[i] = m[i] * b1 + (1 - b1) * g[i];
                v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i];
                p[i] *= decay;
                p[i] -= stepSize * (m[i] / (MathF.Sqrt(v[i]) + epsHat));
            }
            if (s.EightBit)
            {
                (s.MCodes, s.MAbsmax) = DynamicMap.QuantizeBlockwise(m, BlockSize, signed);
                (s.VCodes, s.VAbsmax) = DynamicMap.QuantizeBlockwise(v, BlockSize, unsigned);
            }
            using var updated = torch.tensor(p, s.Param.shape, ScalarType.Float32);
            s.Param.copy_(updated);
        }
    }

    private static float[] Dequantize(byte[] codes, float[] absmax, float[] map)
    {
        var x = new float[codes.Length];
        for (int i = 0; i < codes.Length; i++) x[i] = map[codes[i]] * absmax[i / BlockSize];
        return x;
    }

    private static float[]? _unsigned;

    /// <summary>
    /// bitsandbytes create_dynamic_map(signed=False): for i in 0..6 the means of neighbouring points of
    /// linspace(0.1, 1, 2^(i+1) + 1) scaled by 10^(i-6) (254 values), plus 0 and 1, sorted. float32 arithmetic as torch.
    /// </summary>
    public static float[] UnsignedMap()
    {
        if (_unsigned is not null) return _unsigned;
        var data = new List<float>();
        using (torch.NewDisposeScope())
        {
            for (int i = 0; i < 7; i++)
            {
                int items = (1 << (i + 1)) + 1;
                var b = torch.linspace(0.1, 1.0, items, ScalarType.Float32, torch.CPU);
                var means = (b.narrow(0, 0, items - 1) + b.narrow(0, 1, items - 1)) / 2.0;
                double scale = i == 6 ? 1 : Math.Pow(10, i - 6);
                data.AddRange(means.mul(scale).data<float>().ToArray());
            }
        }
        data.Add(0f);
        data.Add(1.0f);
        data.Sort();
        if (data.Count != 256) throw new InvalidOperationException($"unsigned dynamic map has {data.Count} entries");
        return _unsigned = data.ToArray();
    }

    public void Save(string folder)
    {
        var entries = new List<TensorToWrite>();
        for (int i = 0; i < _states.Count; i++)
        {
            var s = _states[i];
            if (s.EightBit)
            {
                entries.Add(TensorToWrite.Of($"{i}.m_codes", torch.tensor(s.MCodes, ScalarType.Byte)));
                entries.Add(TensorToWrite.Of($"{i}.v_codes", torch.tensor(s.VCodes, ScalarType.Byte)));
                entries.Add(TensorToWrite.Of($"{i}.m_absmax", torch.tensor(s.MAbsmax)));
                entries.Add(TensorToWrite.Of($"{i}.v_absmax", torch.tensor(s.VAbsmax)));
            }
            else
            {
                entries.Add(TensorToWrite.Of($"{i}.m", torch.tensor(s.M)));
                entries.Add(TensorToWrite.Of($"{i}.v", torch.tensor(s.V)));
            }
        }
        SafeTensorsWriter.Write(Path.Combine(folder, StateFile), entries, new Dictionary<string, string>
        {
            ["optim"] = Name, ["step"] = _step.ToString(System.Globalization.CultureInfo.InvariantCulture), ["params"] = _states.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public void Load(string folder)
    {
        string path = Path.Combine(folder, StateFile);
        if (!File.Exists(path)) throw new IOException($"{folder}: no {StateFile} (was the checkpoint written with another optimizer?)");
        using var f = SafeTensorsFile.Open(path);
        if (!f.Metadata.TryGetValue("params", out var count) || count != _states.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new CheckpointFormatException($"{path}: optimizer state is for {count ?? "?"} parameters, this model trains {_states.Count}");
        _step = long.Parse(f.Metadata["step"], System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 0; i < _states.Count; i++)
        {
            var s = _states[i];
            if (s.EightBit)
            {
                s.MCodes = f.ReadRaw(f[$"{i}.m_codes"]);
                s.VCodes = f.ReadRaw(f[$"{i}.v_codes"]);
                s.MAbsmax = Floats(f, $"{i}.m_absmax");
                s.VAbsmax = Floats(f, $"{i}.v_absmax");
            }
            else { s.M = Floats(f, $"{i}.m"); s.V = Floats(f, $"{i}.v"); }
        }
    }

    private static float[] Floats(SafeTensorsFile f, string name)
    {
        using var t = f.Read(name);
        return t.to(ScalarType.Float32).data<float>().ToArray();
    }

    public void Dispose() { }
}
