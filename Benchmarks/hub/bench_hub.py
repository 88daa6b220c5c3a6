#!/usr/bin/env python3
"""Hub download benchmark: the hub vs nginx (Debian package, sendfile on) on the same loopback.

1. A 1 GiB file: one GET from the hub's /resolve/ and one from nginx, curl to /dev/null, best of N.
2. snapshot_download of a 200-file repo vs the same tree fetched from nginx with the same parallelism.

Usage: python3 Benchmarks/hub/bench_hub.py [--size-mib 1024] [--files 200] [--runs 3]
Needs the release binary (swift build -c release) or IPFS_ACCELERATE_BIN.
"""
import argparse
import concurrent.futures
import os
import pathlib
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"

import requests  # noqa: E402
from huggingface_hub import HfApi, snapshot_download  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("IPFS_ACCELERATE_BIN") or str(ROOT / ".build" / "release" / "ipfs-accelerate")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start_hub(work):
    port = free_port()
    data = work / "hubdata"
    env = dict(os.environ, HUB_UPLOAD_MODE="lfs")
    log = open(work / "hub.log", "wb")
    proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/api/whoami-v2", proc)
    subprocess.run([BIN, "user", "add", "bench", "--data-dir", str(data)], check=True, capture_output=True)
    out = subprocess.run([BIN, "token", "create", "bench", "--write", "--data-dir", str(data)], check=True, capture_output=True)
    return proc, url, out.stdout.decode().strip().splitlines()[-1]


def start_nginx(work, root, mirror=""):
    port = free_port()
    prefix = work / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
worker_processes 2;
daemon off;
error_log {prefix}/logs/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ application/octet-stream bin; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
{mirror}
    }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/", proc)
    return proc, url


def static_mirror(work, hub_url, token, tree):
    """nginx locations that answer snapshot_download like a hub: the repo-info and tree JSON the hub gave
    (saved as files), and the files themselves with X-Repo-Commit (nginx's own ETag). The client does
    the same requests (repo info, tree, then HEAD + GET per file) against both servers."""
    mirror = work / "mirror"
    mirror.mkdir()
    auth = {"Authorization": f"Bearer {token}"}
    info = requests.get(f"{hub_url}/api/models/bench/tree/revision/main", headers=auth, timeout=30)
    info.raise_for_status()
    sha = info.json()["sha"]
    (mirror / "revision.json").write_bytes(info.content)
    listing = requests.get(f"{hub_url}/api/models/bench/tree/tree/{sha}", params={"recursive": "true"}, headers=auth, timeout=30)
    listing.raise_for_status()
    (mirror / "tree.json").write_bytes(listing.content)
    return f"""
        location = /api/models/bench/tree/revision/main {{ default_type application/json; alias {mirror}/revision.json; }}
        location = /api/models/bench/tree/tree/{sha} {{ default_type application/json; alias {mirror}/tree.json; }}
        location /bench/tree/resolve/{sha}/ {{ alias {tree}/; add_header X-Repo-Commit {sha}; }}
"""


def cpu_seconds(pid):
    """User + system CPU of a process and its children (nginx's workers), from /proc."""
    pids = [pid] + [int(x) for x in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    total = 0.0
    for p in pids:
        fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def curl_speed(url, runs, size, server_pid):
    """Best throughput in bytes/s over `runs` downloads to /dev/null, with the server's and curl's
    CPU seconds in that run: on 2 cores the ratio is bound by their sum."""
    best = (0.0, 0.0, 0.0)
    for _ in range(runs):
        before, children = cpu_seconds(server_pid), resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(["curl", "-sf", "-o", "/dev/null", "-w", "%{speed_download} %{size_download}", url],
                             check=True, capture_output=True, text=True, timeout=600).stdout.split()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if int(float(out[1])) != size:
            raise RuntimeError(f"{url}: got {out[1]} bytes, expected {size}")
        curl_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        if float(out[0]) > best[0]:
            best = (float(out[0]), cpu_seconds(server_pid) - before, curl_cpu)
    return best


def sha256_bps():
    """This machine's SHA-256 speed on one core (openssl), bytes/s."""
    out = subprocess.run(["openssl", "speed", "-evp", "sha256", "-bytes", "1048576", "-seconds", "1"],
                         capture_output=True, text=True).stdout.strip().splitlines()[-1].split()
    return float(out[-1].rstrip("k")) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--file-kib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="hubbench-"))
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    procs = []
    try:
        static = work / "static"
        big = static / "big.bin"
        big.parent.mkdir(parents=True)
        with open(big, "wb") as f:
            chunk = os.urandom(1 << 20)
            for i in range(args.size_mib):
                f.write(chunk[i % 7:] + chunk[: i % 7])
        tree = static / "tree"
        for i in range(args.files):
            p = tree / f"dir{i % 10}" / f"file{i:03d}.bin"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(os.urandom(args.file_kib * 1024))
            # nginx's ETag is mtime-size: distinct mtimes keep the client from taking equal-size files
            # written in the same second for one blob (it would then download only the first).
            os.utime(p, (1_700_000_000 + i, 1_700_000_000 + i))

        hub, hub_url, token = start_hub(work)
        procs.append(hub)
        api = HfApi(endpoint=hub_url, token=token)
        api.create_repo("bench/big")
        t = time.time()
        api.upload_file(path_or_fileobj=str(big), path_in_repo="big.bin", repo_id="bench/big")
        upload_s = time.time() - t
        api.create_repo("bench/tree")
        t = time.time()
        api.upload_folder(folder_path=str(tree), repo_id="bench/tree")
        upload_tree_s = time.time() - t
        ngx, ngx_url = start_nginx(work, static, static_mirror(work, hub_url, token, tree))
        procs.append(ngx)

        size = big.stat().st_size
        hub_bps, hub_cpu, hub_curl = curl_speed(f"{hub_url}/bench/big/resolve/main/big.bin", args.runs, size, hub.pid)
        ngx_bps, ngx_cpu, ngx_curl = curl_speed(f"{ngx_url}/big.bin", args.runs, size, ngx.pid)

        snap_times = []
        for r in range(args.runs):
            t = time.time()
            snapshot_download("bench/tree", endpoint=hub_url, token=token, cache_dir=str(work / f"cache{r}"), max_workers=8)
            snap_times.append(time.time() - t)
        mirror_times = []
        for r in range(args.runs):
            t = time.time()
            snapshot_download("bench/tree", endpoint=ngx_url, cache_dir=str(work / f"mcache{r}"), max_workers=8)
            mirror_times.append(time.time() - t)
        paths = [str(p.relative_to(static)) for p in tree.rglob("*.bin")]
        ngx_times = []
        for r in range(args.runs):
            out = work / f"ngxout{r}"
            t = time.time()
            with requests.Session() as s, concurrent.futures.ThreadPoolExecutor(8) as pool:
                def get(rel):
                    dest = out / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with s.get(f"{ngx_url}/{rel}", stream=True, timeout=60) as resp:
                        resp.raise_for_status()
                        with open(dest, "wb") as f:
                            for c in resp.iter_content(1 << 20):
                                f.write(c)
                list(pool.map(get, paths))
            ngx_times.append(time.time() - t)

        mib = 1024 * 1024
        print(f"upload 1 file of {size // mib} MiB through LFS multipart: {upload_s:.1f} s")
        print(f"upload_folder {args.files} files x {args.file_kib} KiB: {upload_tree_s:.1f} s")
        print(f"download {size // mib} MiB  hub: {hub_bps / mib:8.1f} MiB/s   nginx: {ngx_bps / mib:8.1f} MiB/s   "
              f"ratio hub/nginx: {hub_bps / ngx_bps:.2f}x")
        print(f"  CPU seconds in the best runs: hub {hub_cpu:.2f} + curl {hub_curl:.2f}; nginx {ngx_cpu:.2f} + curl {ngx_curl:.2f} "
              f"(the hub hashes every block: SHA-256 alone is {size / sha256_bps():.2f} s of one core here)")
        print(f"snapshot_download {args.files} files  hub: {min(snap_times):.2f} s   nginx static tree (8 threads): "
              f"{min(ngx_times):.2f} s   ratio nginx/hub time: {min(ngx_times) / min(snap_times):.2f}x")
        print(f"snapshot_download {args.files} files  hub: {min(snap_times):.2f} s   nginx as a static HF mirror "
              f"(same client, 8 threads): {min(mirror_times):.2f} s   ratio nginx/hub time: {min(mirror_times) / min(snap_times):.2f}x")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
