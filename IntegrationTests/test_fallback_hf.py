"""The `huggingface` source type against a recorder of Hugging Face's URL shapes and headers: the real
huggingface_hub client pointed at our server reads a repo only the upstream has, then again with the
upstream stopped; 50 concurrent clients cause one probe and one download per file; tokens stay put."""
import concurrent.futures
import hashlib
import json
import os

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import pytest  # noqa: E402
import requests  # noqa: E402

import huggingface_hub.constants as hf_constants  # noqa: E402
from huggingface_hub import HfApi, hf_hub_download, snapshot_download  # noqa: E402

from hf_recorder import Recorder, Repo  # noqa: E402
from hub_helpers import random_bytes, read_tree  # noqa: E402

SOURCE_TOKEN = "hf_sourceAdminTokenXYZ0123456789abcd"


def files_of_tiny():
    return {
        "config.json": b'{"hidden_size": 8}\n',
        "README.md": b"# tiny\n",
        "sub/dir/vocab.txt": b"a\nb\nc\n",
        "model.safetensors": random_bytes(3 * 1024 * 1024 + 17, 1),
    }


@pytest.fixture
def no_xet(monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)


def start_mirror(start_server, recorder, subdir="mirror", extra=None):
    sources = [{"name": "HF", "url": recorder.url, "source_type": "huggingface", "priority": 1, "token": SOURCE_TOKEN}]
    env = {"HUB_FALLBACK_SOURCES": json.dumps(sources)}
    env.update(extra or {})
    return start_server(env=env, subdir=subdir)


def user_token(server, name="alice"):
    server.cli("user", "add", name)
    return server.cli("token", "create", name, "--write").stdout.decode().strip().splitlines()[-1]


def test_hf_client_reads_upstream_only_repo_then_serves_it_offline(start_server, tmp_path, no_xet):
    files = files_of_tiny()
    rec = Recorder([Repo("org/tiny", files, lfs={"model.safetensors"})])
    mirror = start_mirror(start_server, rec)
    alice = user_token(mirror)
    api = HfApi(endpoint=mirror.url, token=alice)

    info = api.model_info("org/tiny")
    assert info.id == "org/tiny" and info.sha == rec.repos["org/tiny"].sha
    raw = requests.get(f"{mirror.url}/api/models/org/tiny", timeout=10)
    assert raw.json()["_source"] == "HF" and raw.json()["_source_url"] == rec.url
    assert raw.headers["X-Source"] == "HF" and raw.headers["X-Source-URL"] == rec.url

    # page size 2 at the recorder: the tree needs several Link pages, each rewritten to our host
    assert sorted(api.list_repo_files("org/tiny")) == sorted(files)
    page = requests.get(f"{mirror.url}/api/models/org/tiny/tree/main?recursive=true", timeout=10)
    assert page.headers["Link"].startswith(f"<{mirror.url}/api/models/org/tiny/tree/main?")
    assert rec.url not in page.headers["Link"]

    p = hf_hub_download("org/tiny", "config.json", cache_dir=tmp_path / "c1", endpoint=mirror.url, token=alice)
    assert open(p, "rb").read() == files["config.json"]
    p = hf_hub_download("org/tiny", "model.safetensors", cache_dir=tmp_path / "c1", endpoint=mirror.url, token=alice)
    assert open(p, "rb").read() == files["model.safetensors"]
    snap = snapshot_download("org/tiny", cache_dir=tmp_path / "c2", endpoint=mirror.url, token=alice)
    assert read_tree(snap) == files

    # Security: the user's token never reached the source; the source's token only its own origin.
    for server, method, path, headers in rec.seen():
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization")
        assert alice not in json.dumps(headers)
        if server == "hub":
            assert auth == f"Bearer {SOURCE_TOKEN}", (method, path)
        else:
            assert auth is None, (method, path)
    assert rec.count("GET", "/repos/org/tiny/" + hashlib.sha256(files["model.safetensors"]).hexdigest(), "cdn") == 1
    # Pulled through once, then answered from the store with a CID.
    local = requests.get(f"{mirror.url}/org/tiny/resolve/main/model.safetensors", timeout=30)
    assert local.content == files["model.safetensors"] and local.headers.get("X-IPFS-CID")
    assert local.headers["ETag"].strip('"') == hashlib.sha256(files["model.safetensors"]).hexdigest()

    rec.stop()
    # Upstream gone: the same calls are served from the local copy.
    assert api.model_info("org/tiny").sha == rec.repos["org/tiny"].sha
    assert sorted(api.list_repo_files("org/tiny")) == sorted(files)
    snap = snapshot_download("org/tiny", cache_dir=tmp_path / "c3", endpoint=mirror.url, token=alice)
    assert read_tree(snap) == files
    p = hf_hub_download("org/tiny", "model.safetensors", cache_dir=tmp_path / "c4", endpoint=mirror.url)
    assert open(p, "rb").read() == files["model.safetensors"]


def test_fifty_concurrent_clients_cause_one_probe_and_one_download_per_file(start_server):
    big = random_bytes(2 * 1024 * 1024, 5)
    small = b"x" * 100_000
    rec = Recorder([Repo("org/conc", {"weights.bin": big, "notes.txt": small}, lfs={"weights.bin"})],
                   chunk_delay=0.005, probe_delay=0.3)
    mirror = start_mirror(start_server, rec)

    def get(path):
        r = requests.get(f"{mirror.url}/org/conc/resolve/main/{path}", timeout=60)
        return r.status_code, hashlib.sha256(r.content).hexdigest()

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(get, ["weights.bin"] * 25 + ["notes.txt"] * 25))
    assert results[:25] == [(200, hashlib.sha256(big).hexdigest())] * 25
    assert results[25:] == [(200, hashlib.sha256(small).hexdigest())] * 25
    assert rec.count("GET", "/api/models/org/conc") == 1
    assert rec.count("GET", "/org/conc/resolve/" + rec.repos["org/conc"].sha + "/weights.bin") == 1
    assert rec.count("GET", "/org/conc/resolve/" + rec.repos["org/conc"].sha + "/notes.txt") == 1
    assert rec.count("GET", "/repos/org/conc/" + hashlib.sha256(big).hexdigest(), "cdn") == 1
    heads = list(concurrent.futures.ThreadPoolExecutor(50).map(
        lambda _: requests.head(f"{mirror.url}/org/conc/resolve/main/notes.txt", timeout=30).status_code, range(50)))
    assert heads == [200] * 50
    rec.stop()


def test_classification_tries_next_source_and_reports_every_attempt(start_server):
    gated = Recorder([Repo("org/locked", {"a.txt": b"a"}, gated=True)])
    empty = Recorder([])
    good = Recorder([Repo("org/found", {"a.txt": b"found"})])
    sources = [{"name": "empty", "url": empty.url, "source_type": "huggingface", "priority": 1},
               {"name": "down", "url": "http://127.0.0.1:9", "source_type": "huggingface", "priority": 2},
               {"name": "good", "url": good.url, "source_type": "huggingface", "priority": 3},
               {"name": "gated", "url": gated.url, "source_type": "huggingface", "priority": 4}]
    mirror = start_server(env={"HUB_FALLBACK_SOURCES": json.dumps(sources), "HUB_FALLBACK_TIMEOUT": "2"})
    r = requests.get(f"{mirror.url}/org/found/resolve/main/a.txt", timeout=30)
    assert r.status_code == 200 and r.content == b"found" and r.headers["X-Source"] == "good"
    # Bound: an EntryNotFound from the bound source is passed on, no other source asked.
    r = requests.get(f"{mirror.url}/org/found/resolve/main/missing.txt", timeout=30)
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "EntryNotFound"
    # Nowhere: 404 RepoNotFound with every attempt listed (not found beats unreachable).
    r = requests.get(f"{mirror.url}/api/models/org/nowhere", timeout=30)
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "RepoNotFound"
    assert [a["source"] for a in r.json()["attempts"]] == ["empty", "down", "good", "gated"]
    assert r.json()["attempts"][1]["status"] is None
    # ?fallback=false keeps the answer local.
    r = requests.get(f"{mirror.url}/org/found/resolve/main/a.txt?fallback=false", timeout=30)
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "RepoNotFound"
    for rc in (gated, empty, good):
        rc.stop()


def test_list_models_merges_local_and_external_with_source_tags(start_server, tmp_path):
    rec = Recorder([Repo("alice/remote-one", {"a": b"1"}), Repo("alice/shared", {"a": b"2"}), Repo("bob/other", {"a": b"3"})])
    mirror = start_mirror(start_server, rec)
    alice = user_token(mirror)
    api = HfApi(endpoint=mirror.url, token=alice)
    api.create_repo("alice/shared")
    api.create_repo("alice/local-only")
    items = requests.get(f"{mirror.url}/api/models?author=alice", timeout=10).json()
    ids = [i["id"] for i in items]
    assert ids[:2] == sorted(["alice/shared", "alice/local-only"]) or set(ids[:2]) == {"alice/shared", "alice/local-only"}
    assert ids[2:] == ["alice/remote-one"]
    assert {i["id"]: i["_source"] for i in items} == {"alice/shared": "local", "alice/local-only": "local", "alice/remote-one": "HF"}
    local_only = requests.get(f"{mirror.url}/api/models?author=alice&fallback=false", timeout=10).json()
    assert {i["id"] for i in local_only} == {"alice/shared", "alice/local-only"}
    assert [m.id for m in api.list_models(author="alice")][2:] == ["alice/remote-one"]
    rec.stop()


def test_writes_never_fall_back_and_denied_repos_are_not_mirrored(start_server):
    rec = Recorder([Repo("org/tiny", {"a.txt": b"a"}), Repo("secret/model", {"a.txt": b"s"})])
    mirror = start_mirror(start_server, rec, extra={"HUB_FALLBACK_DENY": "secret/*"})
    alice = user_token(mirror, "org")
    h = {"Authorization": f"Bearer {alice}"}
    r = requests.post(f"{mirror.url}/api/models/org/tiny/preupload/main", json={"files": []}, headers=h, timeout=10)
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "RepoNotFound" and "X-Source" not in r.headers
    r = requests.post(f"{mirror.url}/api/models/org/tiny/commit/main", data=b"", headers=h, timeout=10)
    assert r.status_code == 404 and "X-Source" not in r.headers
    assert all(m in ("GET", "HEAD") for _, m, p, _ in rec.seen() if "paths-info" not in p)
    r = requests.get(f"{mirror.url}/secret/model/resolve/main/a.txt", timeout=10)
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "RepoNotFound"
    assert rec.count("GET", "/api/models/secret/model") == 0
    rec.stop()


def test_a_refused_download_is_not_retried_upstream_by_every_waiting_client(start_server):
    big = random_bytes(1024 * 1024, 12)
    rec = Recorder([Repo("org/flaky", {"weights.bin": big}, lfs={"weights.bin"})])
    rec.cdn_status, rec.cdn_delay = 500, 0.5
    mirror = start_mirror(start_server, rec)
    requests.head(f"{mirror.url}/org/flaky/resolve/main/weights.bin", timeout=30)  # metadata cached first

    def get(_):
        return requests.get(f"{mirror.url}/org/flaky/resolve/main/weights.bin", timeout=60).status_code
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(get, range(10)))
    assert all(c >= 500 for c in codes), codes
    # One upstream attempt for the ten waiting requests (before: each follower led a new one in turn).
    assert rec.count("GET", "/repos/org/flaky/" + hashlib.sha256(big).hexdigest(), "cdn") == 1
    # The source recovers: the next request downloads and verifies.
    rec.cdn_status = None
    r = requests.get(f"{mirror.url}/org/flaky/resolve/main/weights.bin", timeout=60)
    assert r.status_code == 200 and r.content == big
    rec.stop()


def test_redirect_mode_sends_clients_to_the_source_cdn_and_keeps_the_token_home(start_server, tmp_path, no_xet):
    files = {"config.json": b'{"hidden_size": 4}\n', "model.safetensors": random_bytes(2 * 1024 * 1024 + 3, 4)}
    rec = Recorder([Repo("org/redir", files, lfs={"model.safetensors"})])
    mirror = start_mirror(start_server, rec, extra={"HUB_FALLBACK_MODE": "redirect"})
    sha = hashlib.sha256(files["model.safetensors"]).hexdigest()
    # The LFS file: a 302 to the CDN URL the source chose (signed, another origin), with the HF headers.
    r = requests.get(f"{mirror.url}/org/redir/resolve/main/model.safetensors", allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text
    assert r.headers["Location"].startswith(rec.cdn_url + "/repos/org/redir/" + sha)
    assert r.headers["X-Linked-Etag"].strip('"') == sha and r.headers["X-Repo-Commit"] == rec.repos["org/redir"].sha
    # A regular file of a source that needs our token is not redirected to the source: it comes through.
    r = requests.get(f"{mirror.url}/org/redir/resolve/main/config.json", allow_redirects=False, timeout=30)
    assert r.status_code == 200 and r.content == files["config.json"]
    # The real client follows the redirect; the bytes never pass through the mirror.
    out = snapshot_download("org/redir", endpoint=mirror.url, cache_dir=tmp_path / "c")
    assert {k: v for k, v in read_tree(out).items()} == files
    cdn = [h for s, m, p, h in rec.seen() if s == "cdn" and m == "GET"]
    assert cdn and all("authorization" not in {k.lower() for k in h} for h in cdn)
    assert all(SOURCE_TOKEN not in str(h) for h in cdn)
    # Only config.json (one block) was stored; the 2 MiB file (3 blocks) was not.
    assert len(list((tmp_path / "mirror" / "blocks").rglob("*.data"))) == 1
    rec.stop()


def test_a_range_of_an_unmirrored_file_is_answered_and_the_file_mirrored_meanwhile(start_server, tmp_path):
    import sqlite3
    import time
    big = random_bytes(3 * 1024 * 1024 + 11, 14)
    rec = Recorder([Repo("org/ranged", {"weights.bin": big}, lfs={"weights.bin"})])
    mirror = start_mirror(start_server, rec)
    url = f"{mirror.url}/org/ranged/resolve/main/weights.bin"
    r = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=30)
    assert r.status_code == 206 and r.content == big[1000:2000]
    # The whole file arrives in the mirror's store in the background (recorded once durable).
    db = sqlite3.connect(str(tmp_path / "mirror" / "hub.sqlite"))
    deadline = time.time() + 30
    while time.time() < deadline and db.execute("SELECT COUNT(*) FROM fallback_files WHERE path = 'weights.bin'").fetchone()[0] == 0:
        time.sleep(0.1)
    assert db.execute("SELECT COUNT(*) FROM fallback_files WHERE path = 'weights.bin'").fetchone()[0] == 1
    whole = [h for s, m, p, h in rec.seen() if s == "cdn" and m == "GET" and "Range" not in h and "range" not in h]
    assert len(whole) == 1
    # With the source gone, ranges and the whole file are served from the copy.
    rec.stop()
    r = requests.get(url, headers={"Range": "bytes=-5"}, timeout=30)
    assert r.status_code == 206 and r.content == big[-5:]
    assert requests.get(url, timeout=30).content == big
