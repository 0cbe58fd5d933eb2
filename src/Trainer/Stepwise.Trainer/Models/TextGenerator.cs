using Stepwise.Trainer.Tokenization;

namespace Stepwise.Trainer.Models;

public sealed record GenerateOptions
{
    public int MaxNewTokens { get; init; } = 32;
    /// <summary>0 for greedy decoding; otherwise sample from softmax(logits / temperature).</summary>
    public double Temperature { get; init; }
    public int TopK { get; init; }
    public long Seed { get; init; }
}

/// <summary>Greedy or sampled decoding, recomputing the whole prefix each step (fine for short outputs on small models).</summary>
public static class TextGenerator
{
    public static IReadOnlyList<int> Generate(LlamaForCausalLM model, IReadOnlyList<int> prompt, GenerateOptions o, int? eos)
    {
        if (prompt.Count == 0) throw new ArgumentException("empty prompt");
        var ids = prompt.ToList();
        using var gen = new torch.Generator((ulong)o.Seed);
        using var _ = torch.no_grad();
        model.eval();
        for (int step = 0; step < o.MaxNewTokens && ids.Count < model.Config.MaxPositionEmbeddings; step++)
        {
            using var scope = torch.NewDisposeScope();
            var input = torch.tensor(ids.Select(i => (long)i).ToArray(), ScalarType.Int64, model.Device).unsqueeze(0);
            var logits = model.forward(input, null)[0, -1].to(ScalarType.Float32);
            int next;
            if (o.Temperature <= 0) next = (int)logits.argmax().item<long>();
            else
            {
                var l = logits / o.Temperature;
                if (o.TopK > 0 && o.TopK < l.shape[0])
                {
                    var kth = l.topk(o.TopK).values[-1];
                    l = l.masked_fill(l.lt(kth), double.NegativeInfinity);
                }
                var probs = functional.softmax(l, 0).cpu();
                next = (int)torch.multinomial(probs, 1, generator: gen).item<long>();
            }
            ids.Add(next);
            if (eos is int e && next == e) break;
        }
        return ids.Skip(prompt.Count).ToList();
    }

    public static string GenerateText(LlamaForCausalLM model, TextTokenizer tok, string prompt, GenerateOptions o)
    {
        var outIds = Generate(model, tok.Encode(prompt), o, tok.EosId);
        return tok.Decode(outIds);
    }
}
