#!/usr/bin/python3
"""SentencePiece reference for the trainer's tokenizer tests, run with Debian's python3-sentencepiece.

  sentencepiece_reference.py train TEXT_FILE MODEL_PREFIX VOCAB_SIZE
      Trains a BPE model with Llama's tokenizer settings (byte fallback, split digits, a dummy prefix, no
      normalisation, <unk>=0 <s>=1 </s>=2) and writes MODEL_PREFIX.model.
  sentencepiece_reference.py encode MODEL IN_JSON OUT_JSON
      IN_JSON: {"texts": [...]}; OUT_JSON: {"ids": [[...]], "decoded": [...], "bos": id, "eos": id}.
"""
import json
import sys

import sentencepiece as spm


def main():
    if sys.argv[1] == "train":
        spm.SentencePieceTrainer.train(
            input=sys.argv[2], model_prefix=sys.argv[3], vocab_size=int(sys.argv[4]), model_type="bpe",
            byte_fallback=True, split_digits=True, add_dummy_prefix=True, normalization_rule_name="identity",
            remove_extra_whitespaces=False, character_coverage=0.9995, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
            hard_vocab_limit=False, minloglevel=2)
    elif sys.argv[1] == "encode":
        sp = spm.SentencePieceProcessor(model_file=sys.argv[2])
        texts = json.load(open(sys.argv[3], encoding="utf-8"))["texts"]
        ids = [sp.encode(t) for t in texts]
        json.dump({"ids": ids, "decoded": [sp.decode(i) for i in ids], "bos": sp.bos_id(), "eos": sp.eos_id()},
                  open(sys.argv[4], "w", encoding="utf-8"), ensure_ascii=False)
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]}")


if __name__ == "__main__":
    main()
