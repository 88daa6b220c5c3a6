"""Shared setup for the hub integration tests: one server per module, a user with read and write tokens."""
import os
import pathlib
import random

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from conftest import Server  # noqa: E402


class Hub:
    """A running serve plus users: `alice` (write + read tokens), `bob` (write token), `root` (admin)."""

    def __init__(self, tmp_dir, env=None):
        self.server = Server(pathlib.Path(tmp_dir) / "hub", env=env)
        self.url = self.server.url
        self.alice = self.make_user("alice")
        self.alice_read = self.token("alice", write=False)
        self.bob = self.make_user("bob")
        self.root = self.make_user("root", admin=True)

    def make_user(self, name, admin=False):
        args = ["user", "add", name] + (["--admin"] if admin else [])
        self.server.cli(*args)
        return self.token(name, write=True)

    def token(self, name, write):
        out = self.server.cli("token", "create", name, *(["--write"] if write else [])).stdout.decode()
        token = out.strip().splitlines()[-1]
        assert token.startswith("hf_") and len(token) > 20, out
        return token

    def stop(self):
        self.server.stop()


def random_bytes(n, seed):
    return random.Random(seed).randbytes(n)


def write_tree(root, files):
    """files: {relative path: bytes}."""
    for rel, data in files.items():
        p = pathlib.Path(root) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def read_tree(root):
    root = pathlib.Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(root).parts}


def metric(url, name, **labels):
    """The value of one series on the process's /metrics (parsed by prometheus_client), 0 when absent."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families
    total = 0.0
    for family in text_string_to_metric_families(requests.get(url + "/metrics", timeout=10).text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
