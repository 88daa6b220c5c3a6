#!/usr/bin/env python3
"""The anchor: sentence-transformers on PyTorch CPU with 2 threads, the same sentences and batch sizes
as the Swift benchmark (BENCH_THREADS, default 2). Prints one JSON line.

Needs: pip install torch==2.13.0+cpu; pip install --no-deps sentence-transformers==6.2.0;
       pip install "transformers>=5,<6" scikit-learn scipy
"""
import importlib.util
import json
import os
import statistics
import sys
import time

import torch
from sentence_transformers import SentenceTransformer

def main():
    model_dir, sentence_file = sys.argv[1], sys.argv[2]
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    torch.set_num_threads(threads)
    sentences = open(sentence_file, encoding="utf-8").read().splitlines()
    model = SentenceTransformer(model_dir, device="cpu")
    with torch.inference_mode():
        model.encode(sentences[:64], batch_size=32)   # warm-up
        batch_times = []
        for _ in range(rounds):
            start = time.perf_counter()
            model.encode(sentences, batch_size=32)
            batch_times.append(time.perf_counter() - start)
        latencies = []
        for s in sentences[:64]:
            start = time.perf_counter()
            model.encode([s], batch_size=1)
            latencies.append(time.perf_counter() - start)
    best = min(batch_times)
    print(json.dumps({"engine": f"sentence-transformers on torch {torch.__version__} ({threads} threads)",
                      "sentences": len(sentences), "batch_seconds": best,
                      "embeddings_per_second": len(sentences) / best,
                      "batch1_latency_ms_median": statistics.median(latencies) * 1000}))

if __name__ == "__main__":
    main()
