#!/usr/bin/env python3
"""Fallback benchmark (not a test): two real `ipfs-accelerate serve` processes on loopback, the
second falling back to the first (a `hub` source).

    python3 Benchmarks/fallback/bench.py [--size-mib 256] [--hits 2000]

Prints, in one run:
- cache-hit resolve latency: HEAD of an already pulled-through file through the mirror, p50/p99 of the
  server's own time (its `Server-Timing: fallback;dur=` header) and of the round trip seen by the client;
- first download through the mirror (pull-through: streamed to us and into its store at once) against
  downloading the same file directly from the upstream, in the same run (ratio aimed >= 0.9);
- second download through the mirror (now local) against a file uploaded to the mirror itself
  (ratio aimed >= 0.95).
Build first: swift build -c release --product ipfs-accelerate. Figures on a shared CPU are noisy.
"""
import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "IntegrationTests"))
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ["HF_HUB_DISABLE_XET"] = "1"

import requests  # noqa: E402
from huggingface_hub import HfApi  # noqa: E402

from conftest import Server  # noqa: E402


def token(server, name, admin=False):
    server.cli("user", "add", name, *(["--admin"] if admin else []))
    return server.cli("token", "create", name, "--write").stdout.decode().strip().splitlines()[-1]


def download(url):
    """Seconds to stream the whole body, and its sha256."""
    h = hashlib.sha256()
    t = time.perf_counter()
    with requests.get(url, stream=True, timeout=600) as r:
        r.raise_for_status()
        for chunk in r.iter_content(1 << 20):
            h.update(chunk)
    return time.perf_counter() - t, h.hexdigest()


def cpu_seconds(up, mirror):
    """User + system CPU seconds so far of the upstream, the mirror and this client."""
    def of(server):
        fields = open(f"/proc/{server.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return of(up), of(mirror), time.process_time()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--hits", type=int, default=2000)
    args = ap.parse_args()
    size = args.size_mib * 1024 * 1024
    tmp = tempfile.mkdtemp(prefix="fallback-bench-")
    up = Server(os.path.join(tmp, "up"), env={"HUB_UPLOAD_MODE": "lfs"})
    carol = token(up, "carol")
    blob = os.urandom(size)
    local_blob = os.urandom(size)
    path = os.path.join(tmp, "blob.bin")
    with open(path, "wb") as f:
        f.write(blob)
    HfApi(endpoint=up.url, token=carol).create_repo("carol/bench")
    HfApi(endpoint=up.url, token=carol).upload_file(path_or_fileobj=path, path_in_repo="model.bin", repo_id="carol/bench")
    sources = [{"name": "peer", "url": up.url, "source_type": "hub"}]
    mirror = Server(os.path.join(tmp, "mirror"), env={"HUB_FALLBACK_SOURCES": json.dumps(sources), "HUB_UPLOAD_MODE": "lfs"})
    dave = token(mirror, "dave")
    with open(path, "wb") as f:
        f.write(local_blob)
    HfApi(endpoint=mirror.url, token=dave).create_repo("dave/local")
    HfApi(endpoint=mirror.url, token=dave).upload_file(path_or_fileobj=path, path_in_repo="model.bin", repo_id="dave/local")
    os.remove(path)
    want = hashlib.sha256(blob).hexdigest()
    try:
        # warm both page caches and connection pools with a small request, then time
        c0 = cpu_seconds(up, mirror)
        direct_s, d = download(f"{up.url}/carol/bench/resolve/main/model.bin")
        assert d == want
        c1 = cpu_seconds(up, mirror)
        first_s, d = download(f"{mirror.url}/carol/bench/resolve/main/model.bin")
        assert d == want
        c2 = cpu_seconds(up, mirror)
        direct2_s, _ = download(f"{up.url}/carol/bench/resolve/main/model.bin")
        second_s, d = download(f"{mirror.url}/carol/bench/resolve/main/model.bin")
        assert d == want
        local_s, _ = download(f"{mirror.url}/dave/local/resolve/main/model.bin")
        second2_s, _ = download(f"{mirror.url}/carol/bench/resolve/main/model.bin")
        local2_s, _ = download(f"{mirror.url}/dave/local/resolve/main/model.bin")

        s = requests.Session()
        server_ms, client_ms = [], []
        url = f"{mirror.url}/carol/bench/resolve/main/model.bin"
        for _ in range(args.hits):
            t = time.perf_counter()
            r = s.head(url, timeout=10)
            client_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200 and r.headers.get("X-Source") == "peer"
            server_ms.append(float(r.headers["Server-Timing"].split("dur=")[1]))
        mib = size / (1 << 20)
        direct_best = min(direct_s, direct2_s)
        second_best, local_best = min(second_s, second2_s), min(local_s, local2_s)
        result = {
            "size_mib": args.size_mib,
            "cache_hit_resolve_server_ms": {"p50": round(pct(server_ms, 50), 3), "p99": round(pct(server_ms, 99), 3)},
            "cache_hit_resolve_client_ms": {"p50": round(pct(client_ms, 50), 3), "p99": round(pct(client_ms, 99), 3),
                                            "mean": round(statistics.mean(client_ms), 3)},
            "direct_from_upstream_mib_s": round(mib / direct_best, 1),
            "pull_through_first_mib_s": round(mib / first_s, 1),
            "first_vs_direct": round(direct_best / first_s, 3),
            # Both downloads are CPU-bound on a small machine: every process shares its cores.
            "cpu_s_direct": {"upstream": round(c1[0] - c0[0], 2), "client": round(c1[2] - c0[2], 2)},
            "cpu_s_pull_through": {"upstream": round(c2[0] - c1[0], 2), "mirror": round(c2[1] - c1[1], 2),
                                   "client": round(c2[2] - c1[2], 2)},
            "second_download_mib_s": round(mib / second_best, 1),
            "local_file_mib_s": round(mib / local_best, 1),
            "second_vs_local": round(local_best / second_best, 3),
        }
        print(json.dumps(result, indent=2))
    finally:
        mirror.stop()
        up.stop()


if __name__ == "__main__":
    main()
