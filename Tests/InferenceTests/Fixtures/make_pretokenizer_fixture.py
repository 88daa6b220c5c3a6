#!/usr/bin/env python3
"""Word splits of the Llama 3 and Qwen 2 pre-tokenizer patterns, by Hugging Face's `tokenizers`
(pip), on a Unicode-heavy corpus: the oracle for BPEPreTokenizer.

    python3 Tests/InferenceTests/Fixtures/make_pretokenizer_fixture.py
"""
import json
import os

import tokenizers
from tokenizers import Regex
from tokenizers.pre_tokenizers import Split

# The patterns as published in the models' tokenizer.json files.
PATTERNS = {
    "llama3": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "qwen2": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}
CORPUS = [
    "Hello world! It's 2024, and I'VE got 1234567 apples.",
    "Zürich, 東京 and 🚀: naïve café — déjà vu…",
    "def f(x):\n    return x**2  # square\n\n\n  end",
    "  leading spaces\t\ttabs\r\nwindows line\n",
    "Ünïcödé ÀÉÎÕÜ straße ΑΒΓ δεζ Кириллица 中文字符 日本語のテキスト 한국어",
    "numbers: ١٢٣ ٤٥ ½ ⅔ 3.14159 -42 +7e10 0x1F",
    "emoji 👨‍👩‍👧‍👦 flags 🇫🇷🇩🇪 skin 👍🏽 end.",
    "quotes 'single' \"double\" «guillemets» ‚low‘ they're we'll I'd",
    "tabs\tand\u00a0nbsp\u2003em-space\u200bzero-width",
    "multiple    spaces   before words and ... punctuation!!! ???",
    "mixed123abc456def 7890 a1b2c3",
    "line one\n\nline two\n \n line three   \n",
    "SHOUTING'S FUN'LL BE OK'D",
    "",
    " ",
    "\n\n",
]


def main():
    out = {"source": f"tokenizers {tokenizers.__version__}", "patterns": PATTERNS, "cases": []}
    for name, pat in PATTERNS.items():
        split = Split(Regex(pat), behavior="isolated", invert=False)
        for text in CORPUS:
            words = [w for w, _ in split.pre_tokenize_str(text)]
            out["cases"].append({"pre": name, "text": text, "words": words})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretokenizer_splits.json")
    with open(path, "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
