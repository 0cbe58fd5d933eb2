#!/usr/bin/python3
"""Unicode normalization reference for the tokenizer's managed NFC/NFD/NFKC/NFKD, run with Debian's python3.

  unicode_reference.py IN_JSON OUT_JSON
      IN_JSON: {"texts": [...]}; OUT_JSON: {"version": unidata_version, "NFC": [...], "NFD": [...], "NFKC": [...], "NFKD": [...]}.
"""
import json
import sys
import unicodedata


def main():
    texts = json.load(open(sys.argv[1], encoding="utf-8"))["texts"]
    out = {"version": unicodedata.unidata_version}
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        out[form] = [unicodedata.normalize(form, t) for t in texts]
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=True)


if __name__ == "__main__":
    main()
