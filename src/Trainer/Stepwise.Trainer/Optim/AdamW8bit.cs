using System.Collections;
using Stepwise.Trainer.Quantization;
using Stepwise.Trainer.SafeTensors;

namespace Stepwise.Trainer.Optim;

/// <summary>
/// bitsandbytes' AdamW (bitsandbytes 0.49.1 optim/adamw.py on Optimizer2State "adam"), as HF Trainer creates it for
/// adamw_bnb_8bit / adamw_8bit / paged_adamw_8bit (optim_bits 8) and paged_adamw_32bit (optim_bits 32). With 8 bits,
/// m and v live as uint8 codes in blocks of 256 with one float32 absmax per block, m on the signed dynamic map, v on
/// the unsigned one; tensors under 4096 elements (min_8bit_size), and parameters registered for 32-bit optimization
/// (HF registers nn.Embedding weights), keep float32 state. A step dequantizes, runs float32 AdamW (bias correction,
/// decoupled weight decay applied first, as kOptimizerStatic8bit2StateBlockwise), and re-quantizes with fresh
/// per-block absmax. Codes are chosen by the CUDA kernel's dQuantize search (<see cref="DynamicMap.Quantize"/>).
/// Its state_dict is bnb's (Optimizer2State.init_state): per parameter {"step" (int), "state1", "qmap1", "state2",
/// "qmap2", "absmax1", "absmax2"} for 8-bit state, {"step", "state1", "state2"} (float32) otherwise.
/// </summary>
public sealed class AdamW8bit : ITrainOptimizer
{
    public const int BlockSize = 256;
    public const int MinEightBitSize = 4096;

    private readonly int _optimBits;
    private readonly double _initialLr;
    private readonly List<Group> _groups;

    private sealed class Group : AdamGroupSettings
    {
        public required List<ParamState> States;
    }

    private sealed class ParamState
    {
        public required Parameter Param;
        public bool EightBit;
        public long Step;
        public float[] M = Array.Empty<float>(), V = Array.Empty<float>(); // float32 state
        public byte[] MCodes = Array.Empty<byte>(), VCodes = Array.Empty<byte>();
        public float[] MAbsmax = Array.Empty<float>(), VAbsmax = Array.Empty<float>();

        public void Reset()
        {
            Step = 0;
            long n = Param.numel();
            if (EightBit)
            {
                int blocks = (int)((n + BlockSize - 1) / BlockSize);
                // Zero state: code of 0 with absmax 0 dequantizes to 0 (signed map: index 127; unsigned: index 0).
                MCodes = Enumerable.Repeat((byte)127, (int)n).ToArray();
                VCodes = new byte[n];
                MAbsmax = new float[blocks]; VAbsmax = new float[blocks];
            }
            else { M = new float[n]; V = new float[n]; }
        }
    }

    public AdamW8bit(string name, IReadOnlyList<ParamGroup> groups, double lr, double beta1, double beta2, double eps, int optimBits = 8,
        IReadOnlySet<Parameter>? keep32 = null)
    {
        if (optimBits is not (8 or 32)) throw new ArgumentException($"optim_bits must be 8 or 32, got {optimBits}");
        Name = name;
        _optimBits = optimBits;
        _initialLr = lr;
        _groups = groups.Select(g => new Group
        {
            States = g.Parameters.Select(p =>
            {
                var s = new ParamState
                {
                    Param = p.Parameter,
                    EightBit = optimBits == 8 && p.Parameter.numel() >= MinEightBitSize && keep32?.Contains(p.Parameter) != true,
                };
                s.Reset();
                return s;
            }).ToList(),
            WeightDecay = g.WeightDecay, Beta1 = beta1, Beta2 = beta2, Eps = eps,
        }).ToList();
    }

    /// <summary>One group of <paramref name="parameters"/> with 8-bit state (tests and benchmarks).</summary>
    public AdamW8bit(string name, IReadOnlyList<Parameter> parameters, double beta1, double beta2, double eps, double weightDecay)
        : this(name, ParamGroups.Single(parameters, weightDecay), 1e-3, beta1, beta2, eps) { }

    public string Name { get; }
    public long StepCount => _groups.SelectMany(g => g.States).Select(s => s.Step).DefaultIfEmpty(0).Max();

    /// <summary>Bytes of state: 1 byte per element per moment + 4 bytes per block absmax for 8-bit tensors, 8 per element otherwise.</summary>
    public long StateBytes => _groups.SelectMany(g => g.States).Sum(s => s.EightBit
        ? s.MCodes.LongLength + s.VCodes.LongLength + 4L * (s.MAbsmax.Length + s.VAbsmax.Length)
        : 4L * (s.M.LongLength + s.V.LongLength)) + 8;

    public void ZeroGrad()
    {
        foreach (var s in _groups.SelectMany(g => g.States))
            if (s.Param.grad is { } g) g.zero_();
    }

    public void Step(double learningRate)
    {
        var signed = DynamicMap.Signed();
        var unsigned = UnsignedMap();
        using var _ = torch.no_grad();
        foreach (var group in _groups)
        {
            float b1 = (float)group.Beta1, b2 = (float)group.Beta2;
            float decay = (float)(1 - learningRate * group.WeightDecay);
            foreach (var s in group.States)
            {
                if (s.Param.grad is not { } gradTensor) continue;
                s.Step++;
                double bc1 = 1 - Math.Pow(group.Beta1, s.Step), bc2 = 1 - Math.Pow(group.Beta2, s.Step);
                float stepSize = (float)(learningRate * Math.Sqrt(bc2) / bc1);
                float epsHat = (float)(group.Eps * Math.Sqrt(bc2));
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

    public void Save(string folder, double learningRate) => OptimizerFile.Write(folder, _groups.Select(g => new OptimizerFile.GroupToWrite(
        g.States.Select(s => s.Step <= 0 ? null // never stepped: no state, as torch keeps none
            : s.EightBit
                ? TorchFiles.Dict(("step", s.Step), ("state1", Bytes(s.MCodes, s.Param.shape)), ("qmap1", torch.tensor(DynamicMap.Signed())),
                    ("state2", Bytes(s.VCodes, s.Param.shape)), ("qmap2", torch.tensor(UnsignedMap())),
                    ("absmax1", torch.tensor(s.MAbsmax)), ("absmax2", torch.tensor(s.VAbsmax)))
                : TorchFiles.Dict(("step", s.Step), ("state1", torch.tensor(s.M, s.Param.shape)), ("state2", torch.tensor(s.V, s.Param.shape)))),
        // HF passes {"params", "weight_decay"}; torch adds bnb's defaults (lr, betas, eps, weight_decay, alpha,
        // t_alpha, t_beta3), LambdaLR adds initial_lr.
        new (object, object?)[] { ("weight_decay", g.WeightDecay), ("lr", learningRate), ("betas", new object[] { g.Beta1, g.Beta2 }), ("eps", g.Eps),
            ("alpha", 0.0), ("t_alpha", null), ("t_beta3", null), ("initial_lr", _initialLr) })));

    private static Tensor Bytes(byte[] codes, long[] shape) => torch.tensor(codes, ScalarType.Byte).reshape(shape);

    public IReadOnlyList<string> Load(string folder)
    {
        var (file, saved) = OptimizerFile.Read(folder, _groups.Select(g => g.States.Count).ToList());
        var notes = new List<string>();
        var signed = DynamicMap.Signed();
        var unsigned = UnsignedMap();
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            var g = _groups[gi];
            OptimizerFile.Adopt(g, saved[gi], gi, file, notes);
            for (int i = 0; i < g.States.Count; i++)
            {
                var s = g.States[i];
                s.Reset();
                var (key, ps) = saved[gi].Parameters[i];
                if (ps is null) continue;
                if (ps.ContainsKey("exp_avg")) throw new CheckpointFormatException($"{file}: parameter {key} holds torch AdamW state (exp_avg); this run's optim is {Name} (bitsandbytes)");
                foreach (var unsupported in new[] { "max1", "gnorm_vec", "unorm_vec" })
                    if (ps.ContainsKey(unsupported)) throw new CheckpointFormatException($"{file}: parameter {key} holds '{unsupported}' (non-blockwise state or percentile/unorm clipping), which the bundled trainer does not do");
                s.Step = TorchFiles.Integer(ps["step"], $"state {key} step", file);
                var s1 = TorchFiles.TensorAt(ps, "state1", $"state {key}", file);
                var s2 = TorchFiles.TensorAt(ps, "state2", $"state {key}", file);
                if (s1.numel() != s.Param.numel() || s2.numel() != s.Param.numel())
                    throw new CheckpointFormatException($"{file}: state {key} has {s1.numel()} elements, the parameter {s.Param.numel()} (another r?)");
                bool eightBit = s1.dtype == ScalarType.Byte;
                if (eightBit != s.EightBit)
                    throw new CheckpointFormatException($"{file}: state {key} is {(eightBit ? "8-bit" : "32-bit")}, this run keeps {(s.EightBit ? "8-bit" : "32-bit")} state for it (optim {Name})");
                if (eightBit)
                {
                    CheckMap(ps, "qmap1", signed, key, file);
                    CheckMap(ps, "qmap2", unsigned, key, file);
                    s.MCodes = s1.contiguous().data<byte>().ToArray();
                    s.VCodes = s2.contiguous().data<byte>().ToArray();
                    s.MAbsmax = Floats(TorchFiles.TensorAt(ps, "absmax1", $"state {key}", file));
                    s.VAbsmax = Floats(TorchFiles.TensorAt(ps, "absmax2", $"state {key}", file));
                    int blocks = (int)((s.Param.numel() + BlockSize - 1) / BlockSize);
                    if (s.MAbsmax.Length != blocks || s.VAbsmax.Length != blocks)
                        throw new CheckpointFormatException($"{file}: state {key} has {s.MAbsmax.Length} absmax blocks, {blocks} expected (blocksize {BlockSize})");
                }
                else { s.M = Floats(s1); s.V = Floats(s2); }
            }
        }
        return notes;
    }

    private static void CheckMap(Hashtable ps, string name, float[] expected, object key, string file)
    {
        var map = Floats(TorchFiles.TensorAt(ps, name, $"state {key}", file));
        if (map.Length != expected.Length || map.Zip(expected).Any(p => Math.Abs(p.First - p.Second) > 1e-7f))
            throw new CheckpointFormatException($"{file}: state {key} {name} is not bitsandbytes' dynamic map (the codes would mean other values)");
    }

    private static float[] Floats(Tensor t) => t.to(ScalarType.Float32).contiguous().data<float>().ToArray();

    public void Dispose() { }
}
