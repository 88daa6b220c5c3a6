"""Shared helpers for integration tests: start a real `ipfs-accelerate serve` process on loopback."""
import os
import socket
import subprocess
import time

import pytest
import requests

BIN = os.environ.get("IPFS_ACCELERATE_BIN") or os.path.join(
    os.path.dirname(__file__), "..", ".build", "release", "ipfs-accelerate")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running `ipfs-accelerate serve` with its own data directory."""

    def __init__(self, data_dir, env=None, port=None, args=()):
        self.port = port or free_port()
        self.data_dir = str(data_dir)
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.log_path = os.path.join(self.data_dir, "serve.log")
        os.makedirs(self.data_dir, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", self.data_dir, *args],
            env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_listening()

    def wait_listening(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}: {self.logs()}")
            try:
                requests.get(self.url + "/health", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("serve did not start listening: " + self.logs())

    def logs(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def cli(self, *args, input=None, env=None, check=True):
        """Runs the CLI against this server's data directory."""
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.run([BIN, *args, "--data-dir", self.data_dir], input=input, env=full_env,
                              capture_output=True, check=check, timeout=300)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def start_server(tmp_path):
    """Factory fixture: start_server(env={...}, subdir="a") -> Server; all are stopped at the end."""
    servers = []

    def start(env=None, subdir="server", port=None, args=()):
        s = Server(tmp_path / subdir, env=env, port=port, args=args)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()
