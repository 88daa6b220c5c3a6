#!/usr/bin/env python3
"""Hugging Face folders (config.json, model.safetensors, tokenizer.json, tokenizer_config.json)
holding the same weights as the tiny architecture GGUFs of make_arch_fixtures.py, laid out as
Hugging Face keeps them (Llama's q/k not permuted), so a folder must generate what llama.cpp
generates from its GGUF (the expectations in Fixtures/arch/).

    python3 Tests/InferenceTests/Fixtures/make_arch_fixtures.py --models-only
    python3 Tests/InferenceTests/Fixtures/make_hf_fixtures.py [--models-only]

Folders go to $HF_MODELS_DIR (default .build-fixtures/hf). Without --models-only the script also
writes Fixtures/hf_tokenizer_ids.json: Hugging Face `tokenizers`' ids for a corpus in the folders'
tokenizer.json, the oracle for the engine's tokenizer.json loader.
"""
import argparse
import json
import os
import struct

import numpy as np
from gguf import GGUFReader

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ARCH = os.environ.get("ARCH_MODELS_DIR") or os.path.join(ROOT, ".build-fixtures", "arch")
OUT = os.environ.get("HF_MODELS_DIR") or os.path.join(ROOT, ".build-fixtures", "hf")
MODELS = {"llama-gqa": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
          "qwen2-yarn": "Qwen2ForCausalLM"}
CORPUS = ["The capital of France is", "def fibonacci(n):\n    return n", "Zürich, 東京 and 🚀: 12345 apples",
          "<|im_start|>user\nHi<|im_end|>\n"]
# Decomposed forms (e + combining acute, A + ring, Hangul jamo), a composed control, a special token.
NFC_CORPUS = ["Cafe\u0301 au lait", "A\u030angstro\u0308m", "\u1112\u1161\u11ab\u1100\u1173\u11af",
              "déjà vu", "<|im_start|>e\u0301<|im_end|>"]


def field(r, k):
    f = r.fields[k]
    return f.parts[f.data[0]][0] if len(f.data) == 1 and f.types[0].name != "STRING" else f


def strings(r, k):
    f = r.fields[k]
    return [bytes(f.parts[i]).decode("utf-8") for i in f.data]


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def unpermute(w, heads):
    # Inverse of the GGUF conversion's permute for Llama's neighbour-pair RoPE.
    return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def convert(name, cls):
    r = GGUFReader(os.path.join(ARCH, f"{name}.gguf"))
    arch = bytes(r.fields["general.architecture"].parts[r.fields["general.architecture"].data[0]]).decode()
    g = lambda k: field(r, f"{arch}.{k}")
    heads, kv = int(g("attention.head_count")), int(g("attention.head_count_kv"))
    dim, layers = int(g("embedding_length")), int(g("block_count"))
    t = {x.name: np.array(x.data).reshape([int(d) for d in reversed(x.shape)]) for x in r.tensors}
    head_dim = t["blk.0.attn_q.weight"].shape[0] // heads
    hf = {"model.embed_tokens.weight": t["token_embd.weight"], "model.norm.weight": t["output_norm.weight"],
          "lm_head.weight": t["output.weight"]}
    names = {"attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
             "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
             "attn_q.bias": "self_attn.q_proj.bias", "attn_k.bias": "self_attn.k_proj.bias", "attn_v.bias": "self_attn.v_proj.bias",
             "attn_q_norm.weight": "self_attn.q_norm.weight", "attn_k_norm.weight": "self_attn.k_norm.weight",
             "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight", "ffn_down.weight": "mlp.down_proj.weight",
             "attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight"}
    for i in range(layers):
        for g_name, h_name in names.items():
            key = f"blk.{i}.{g_name}"
            if key not in t:
                continue
            w = t[key]
            if arch == "llama" and g_name == "attn_q.weight":
                w = unpermute(w, heads)
            if arch == "llama" and g_name == "attn_k.weight":
                w = unpermute(w, kv)
            hf[f"model.layers.{i}.{h_name}"] = w
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), hf)
    config = {"architectures": [cls], "hidden_size": dim, "intermediate_size": int(g("feed_forward_length")),
              "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv, "head_dim": head_dim,
              "rms_norm_eps": float(g("attention.layer_norm_rms_epsilon")), "rope_theta": float(g("rope.freq_base")),
              "max_position_embeddings": int(g("context_length")), "vocab_size": int(t["token_embd.weight"].shape[0]),
              "tie_word_embeddings": False}
    if f"{arch}.rope.scaling.type" in r.fields:
        # Qwen 2.5's long-context form, as its model cards tell users to add it.
        config["rope_scaling"] = {"type": "yarn", "factor": float(g("rope.scaling.factor")),
                                  "original_max_position_embeddings": int(g("rope.scaling.original_context_length"))}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    tokens, merges = strings(r, "tokenizer.ggml.tokens"), strings(r, "tokenizer.ggml.merges")
    types = [int(r.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in r.fields["tokenizer.ggml.token_type"].data]
    added = [{"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
             for i, (tok, ty) in enumerate(zip(tokens, types)) if ty == 3]
    tj = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
              {"type": "Digits", "individual_digits": True},
              {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
          "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
          "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
          "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                    "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                    "vocab": {tok: i for i, tok in enumerate(tokens)}, "merges": merges}}
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(tj, f, ensure_ascii=False)
    bos = tokens[int(field(r, "tokenizer.ggml.bos_token_id"))]
    eos = tokens[int(field(r, "tokenizer.ggml.eos_token_id"))]
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": bos, "eos_token": eos, "add_bos_token": False}, f)
    return folder


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-only", action="store_true")
    args = ap.parse_args()
    folders = {name: convert(name, cls) for name, cls in MODELS.items()}
    if args.models_only:
        return
    from tokenizers import Tokenizer
    import tokenizers
    tok = Tokenizer.from_file(os.path.join(folders["qwen2"], "tokenizer.json"))
    cases = [{"text": c, "ids": tok.encode(c, add_special_tokens=False).ids} for c in CORPUS]
    # Qwen 2.x and others ship {"normalizer": {"type": "NFC"}}: decomposed input must compose first.
    from tokenizers import normalizers
    tok.normalizer = normalizers.NFC()
    nfc_cases = [{"text": c, "ids": tok.encode(c, add_special_tokens=False).ids} for c in NFC_CORPUS]
    with open(os.path.join(HERE, "hf_tokenizer_ids.json"), "w") as f:
        json.dump({"source": f"tokenizers {tokenizers.__version__}", "cases": cases, "nfc_cases": nfc_cases},
                  f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
