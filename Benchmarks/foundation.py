#!/usr/bin/env python3
"""Foundation benchmark (not a test): one run on a 1 GiB random file.

    python3 Benchmarks/foundation.py [--size-mib 1024] [--bin .build/release/ipfs-accelerate]

Prints: `add --only-hash` throughput beside `openssl dgst -sha256` of the same file, real `add`
into a fresh data directory (synced before it returns) beside real Kubo adding the same file
(IntegrationTests/kubo_oracle.py, a Kubo v0.22 core), and our peak RSS during each add.
Build first: swift build -c release --product ipfs-accelerate. The CPU may be shared with other
work; run it on a quiet machine for figures worth quoting.
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd, env=None):
    """Runs cmd under GNU time; returns (seconds, peak RSS in MiB, stdout, stderr)."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", *cmd], capture_output=True, env=env)
    dt = time.perf_counter() - t
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {err}")
    rss = int(re.findall(r"MAXRSS (\d+)", err)[-1]) / 1024
    return dt, rss, r.stdout.decode(), err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "ipfs-accelerate"))
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit(f"{a.bin} not found: swift build -c release --product ipfs-accelerate")
    work = tempfile.mkdtemp(prefix="ia-bench-", dir=os.environ.get("BENCH_DIR"))
    path = os.path.join(work, "random.bin")
    size = a.size_mib << 20
    with open(path, "wb") as f:
        for _ in range(a.size_mib):
            f.write(os.urandom(1 << 20))
        # On disk before anything is timed: otherwise the kernel writes this GiB back while the
        # tools run (and ipfs-accelerate once flushed it in its own sync), taking a core from
        # whichever uses both.
        f.flush()
        os.fsync(f.fileno())
    mb = size / 1e6
    print(f"file: {a.size_mib} MiB random, {os.cpu_count()} CPUs (shared machine: figures vary run to run)")

    # Warm the page cache so every tool reads from memory.
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL)

    ours_rss = []
    t_hash, rss, out, _ = timed([a.bin, "add", "--only-hash", "-Q", path, "--data-dir", os.path.join(work, "unused")])
    ours_rss.append(rss)
    t_ssl, _, _, _ = timed(["openssl", "dgst", "-sha256", path])
    print(f"only-hash: ours {mb / t_hash:8.1f} MB/s ({t_hash:.2f} s)   openssl dgst -sha256 {mb / t_ssl:8.1f} MB/s"
          f"   ratio {t_ssl / t_hash:.2f}x")

    data = os.path.join(work, "data")
    t_add, rss, out2, _ = timed([a.bin, "add", "-Q", path, "--data-dir", data])
    ours_rss.append(rss)
    assert out2.strip() == out.strip(), "only-hash and real add disagree"
    env = dict(os.environ, KUBO_REPO=os.path.join(work, "kubo-repo"))
    oracle = os.path.join(ROOT, "IntegrationTests", "kubo_oracle.py")
    _, kubo_rss, kout, kerr = timed([sys.executable, oracle, "add", path], env=env)
    m = re.search(r"add run 1: ([0-9.]+) s", kerr)
    t_kubo = float(m.group(1))
    same = "same CID" if kout.strip() == out.strip() else f"DIFFERENT CID (kubo {kout.strip()})"
    print(f"real add:  ours {mb / t_add:8.1f} MB/s ({t_add:.2f} s)   kubo {mb / t_kubo:8.1f} MB/s ({t_kubo:.2f} s)"
          f"   ratio {t_kubo / t_add:.2f}x   {same}")
    print(f"peak RSS: ours {max(ours_rss):.1f} MiB (max over both adds)   kubo oracle process {kubo_rss:.1f} MiB")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
