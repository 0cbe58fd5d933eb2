namespace Stepwise.Trainer.Quantization;

public enum QuantType { Nf4, Fp4 }

/// <summary>
/// The 4-bit code books of bitsandbytes (functional.get_4bit_type) and the decision thresholds its CUDA kernels use
/// (csrc/kernels.cu: dQuantizeNF4 / dQuantizeFP4). Every comparison there is a strict '>', so a value exactly on a
/// threshold takes the lower code.
/// </summary>
public static class FourBitCodes
{
    /// <summary>NF4 values by code 0..15 (QLoRA paper, bitsandbytes get_4bit_type("nf4")).</summary>
    public static readonly float[] Nf4 =
    {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    /// <summary>
    /// FP4 (E2M1 with bit 3 as sign) by code: get_4bit_type("fp4") lists these magnitudes and divides by their max, 12.
    /// </summary>
    public static readonly float[] Fp4 = new float[] { 0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f, -0f, -0.0625f, -8f, -12f, -4f, -6f, -2f, -3f }
        .Select(v => v / 12f).ToArray();

    /// <summary>
    /// NF4 thresholds: the midpoints of neighbouring code values, taken in double precision and stored as float,
    /// which reproduces the literals of dQuantizeNF4 (e.g. 0.03979014977812767f between codes 7 and 8).
    /// </summary>
    public static readonly float[] Nf4Thresholds =
        Enumerable.Range(0, 15).Select(i => (float)(((double)Nf4[i] + Nf4[i + 1]) / 2)).ToArray();

    /// <summary>
    /// FP4 thresholds on |x|, in increasing order, as literals of dQuantizeFP4 (sorted magnitudes 0, 0.0625, 2, 3, 4,
    /// 6, 8, 12 over 12, midpoints rounded as bitsandbytes writes them).
    /// </summary>
    public static readonly float[] Fp4MagnitudeThresholds =
        { 0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f, 0.583333f, 0.8333333f };

    /// <summary>The 3-bit magnitude code of each FP4 bucket above (0, 0.0625, 2, 3, 4, 6, 8, 12).</summary>
    public static readonly int[] Fp4BucketCodes = { 0b000, 0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011 };

    public static float[] Table(QuantType t) => t == QuantType.Nf4 ? Nf4 : Fp4;

    public static string Name(QuantType t) => t == QuantType.Nf4 ? "nf4" : "fp4";

    public static QuantType Parse(string s) => s switch
    {
        "nf4" => QuantType.Nf4,
        "fp4" => QuantType.Fp4,
        _ => throw new FormatException($"unknown 4-bit quant type '{s}' (expected nf4 or fp4)"),
    };

    /// <summary>Scalar reference of the kernel's code choice, for one already-scaled value.</summary>
    public static int Encode(QuantType t, float x)
    {
        if (t == QuantType.Nf4)
        {
            int code = 0;
            for (int i = 0; i < 15; i++) if (x > Nf4Thresholds[i]) code = i + 1;
            return code; // NaN fails every comparison: code 0, as in the kernel
        }
        int sign = x < 0 ? 8 : 0;
        float m = MathF.Abs(x);
        int bucket = 0;
        for (int i = 0; i < 7; i++) if (m > Fp4MagnitudeThresholds[i]) bucket = i + 1;
        return Fp4BucketCodes[bucket] + sign;
    }
}
