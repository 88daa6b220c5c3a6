"""The whole chain against a real `hub` source: a second `ipfs-accelerate serve` on another loopback
port. Includes the source's death in the middle of a download (the client gets an error, nothing partial
is kept) and its return; the admin API; tokens stay sealed and unseen."""
import hashlib
import json
import os
import sqlite3

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import pytest  # noqa: E402
import requests  # noqa: E402

import huggingface_hub.constants as hf_constants  # noqa: E402
from huggingface_hub import HfApi  # noqa: E402

from hub_helpers import metric, random_bytes  # noqa: E402

BIG = 64 * 1024 * 1024


@pytest.fixture
def no_xet(monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)


def token(server, name, admin=False, write=True):
    if admin is not None:
        server.cli("user", "add", name, *(["--admin"] if admin else []))
    return server.cli("token", "create", name, *(["--write"] if write else [])).stdout.decode().strip().splitlines()[-1]


@pytest.fixture
def pair(start_server, tmp_path, no_xet):
    """(upstream, mirror, upstream files, carol's read token at the upstream)."""
    up = start_server(env={"HUB_UPLOAD_MODE": "lfs", "HUB_LFS_THRESHOLD": "1048576"}, subdir="up")
    carol = token(up, "carol")
    carol_read = token(up, "carol", admin=None, write=False)
    api = HfApi(endpoint=up.url, token=carol)
    api.create_repo("carol/peer")
    files = {"config.json": b'{"a": 1}\n', "big.bin": random_bytes(BIG, 11), "sub/x.txt": b"x\n"}
    for path, data in files.items():
        api.upload_file(path_or_fileobj=data, path_in_repo=path, repo_id="carol/peer")
    api.create_repo("carol/private", private=True)
    api.upload_file(path_or_fileobj=b"hidden", path_in_repo="h.txt", repo_id="carol/private")
    sources = [{"name": "peer", "url": up.url, "source_type": "hub", "priority": 1, "token": carol_read}]
    mirror = start_server(env={"HUB_FALLBACK_SOURCES": json.dumps(sources)}, subdir="mirror")
    return up, mirror, files, carol_read


def test_repo_info_tree_and_files_come_from_the_peer_with_source_tags(pair):
    up, mirror, files, _ = pair
    info = requests.get(f"{mirror.url}/api/models/carol/peer", timeout=10)
    assert info.status_code == 200 and info.json()["_source"] == "peer" and info.json()["_source_url"] == up.url
    assert info.headers["X-Source"] == "peer" and info.headers["X-Source-URL"] == up.url
    sha = info.json()["sha"]
    assert requests.get(f"{up.url}/api/models/carol/peer", timeout=10).json()["sha"] == sha
    tree = requests.get(f"{mirror.url}/api/models/carol/peer/tree/main?recursive=true", timeout=10).json()
    assert {e["path"] for e in tree if e["type"] == "file"} == set(files)
    rev = requests.get(f"{mirror.url}/api/models/carol/peer/revision/{sha}", timeout=10)
    assert rev.json()["sha"] == sha
    pi = requests.post(f"{mirror.url}/api/models/carol/peer/paths-info/main", data={"paths": ["config.json", "nope"]}, timeout=10)
    assert [e["path"] for e in pi.json()] == ["config.json"]
    head = requests.head(f"{mirror.url}/carol/peer/resolve/main/big.bin", timeout=10)
    assert head.status_code == 200 and head.headers["X-Repo-Commit"] == sha
    assert head.headers["ETag"].strip('"') == hashlib.sha256(files["big.bin"]).hexdigest()
    assert int(head.headers["Content-Length"]) == BIG
    r = requests.get(f"{mirror.url}/carol/peer/resolve/main/config.json", timeout=30)
    assert r.content == files["config.json"] and r.headers["X-Source"] == "peer"
    # the private repo is readable through the source's admin token, not by asking the caller
    assert requests.get(f"{mirror.url}/carol/private/resolve/main/h.txt", timeout=30).content == b"hidden"
    assert requests.get(f"{up.url}/carol/private/resolve/main/h.txt", timeout=30).status_code in (401, 404)
    # ?fallback=false and a local EntryNotFound-free miss
    assert requests.get(f"{mirror.url}/api/models/carol/peer?fallback=false", timeout=10).status_code == 404


def test_source_death_mid_download_keeps_nothing_then_return_completes(pair, start_server):
    up, mirror, files, _ = pair
    url = f"{mirror.url}/carol/peer/resolve/main/big.bin"
    cut = metric(mirror.url, "hub_pull_throughs_total", source="peer", outcome="cut")
    stored = metric(mirror.url, "hub_pull_throughs_total", source="peer", outcome="stored")
    with requests.get(url, stream=True, timeout=30) as r:
        assert r.status_code == 200
        it = r.iter_content(256 * 1024)
        first = next(it)
        assert len(first) > 0
        up.proc.kill()
        up.proc.wait()
        got = len(first)
        with pytest.raises(requests.exceptions.RequestException):
            for chunk in it:
                got += len(chunk)
        assert got < BIG
    # nothing partial kept: with the source dead the file is not served from the store
    dead = requests.get(url, timeout=30)
    assert dead.status_code == 502, dead.status_code
    tmp = os.path.join(mirror.data_dir, "tmp")
    assert not os.path.isdir(tmp) or os.listdir(tmp) == []
    # the source returns on the same port and data: the download completes and verifies
    back = start_server(env={"HUB_UPLOAD_MODE": "lfs"}, subdir="up", port=up.port)
    r = requests.get(url, timeout=60)
    assert r.status_code == 200, (r.status_code, r.headers, r.text[:500])
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(files["big.bin"]).digest()
    # the operator sees one cut and one stored copy of BIG bytes
    assert metric(mirror.url, "hub_pull_throughs_total", source="peer", outcome="cut") - cut == 1
    assert metric(mirror.url, "hub_pull_throughs_total", source="peer", outcome="stored") - stored == 1
    assert metric(mirror.url, "hub_pull_through_bytes_total", source="peer") >= BIG
    # same bytes, same importer profile: the local copy has the upstream's CID
    cid = requests.head(f"{back.url}/carol/peer/resolve/main/big.bin", timeout=10).headers["X-IPFS-CID"]
    back.stop()
    again = requests.get(url, timeout=60)
    assert again.status_code == 200 and again.content == files["big.bin"]
    assert again.headers["X-Source"] == "peer" and again.headers.get("X-IPFS-CID") == cid


def test_admin_api_manages_sources_and_never_shows_tokens(pair):
    up, mirror, _, carol_read = pair
    root = token(mirror, "root", admin=True)
    alice = token(mirror, "alice")
    base = f"{mirror.url}/admin/api/fallback-sources"
    assert requests.get(base, timeout=10).status_code == 401
    assert requests.get(base, headers={"Authorization": f"Bearer {alice}"}, timeout=10).status_code == 403
    h = {"Authorization": f"Bearer {root}"}
    listed = requests.get(base, headers=h, timeout=10).json()
    assert [s["name"] for s in listed] == ["peer"] and listed[0]["has_token"] is True
    assert carol_read not in json.dumps(listed)
    secret = "hf_adminSecretForHF_ABCDEFGHIJKLMNOP"
    created = requests.post(base, json={"name": "HF", "url": "http://127.0.0.1:9/", "source_type": "huggingface",
                                        "priority": 5, "token": secret}, headers=h, timeout=10)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert "token" not in created.json() and created.json()["has_token"] is True
    got = requests.get(f"{base}/{sid}", headers=h, timeout=10).json()
    assert got["url"] == "http://127.0.0.1:9" and secret not in json.dumps(got)
    assert [s["name"] for s in requests.get(base, headers=h, timeout=10).json()] == ["peer", "HF"]
    upd = requests.put(f"{base}/{sid}", json={"priority": 0, "enabled": False}, headers=h, timeout=10).json()
    assert upd["priority"] == 0 and upd["enabled"] is False and upd["has_token"] is True
    assert [s["name"] for s in requests.get(base, headers=h, timeout=10).json()] == ["HF", "peer"]
    assert requests.post(base, json={"url": "ftp://x"}, headers=h, timeout=10).status_code == 400
    # sealed at rest: the database file does not hold the token
    db = sqlite3.connect(os.path.join(mirror.data_dir, "hub.sqlite"))
    stored = db.execute("SELECT token FROM fallback_sources WHERE id = ?", (sid,)).fetchone()[0]
    db.close()
    assert stored and secret not in stored
    with open(os.path.join(mirror.data_dir, "hub.sqlite"), "rb") as f:
        assert secret.encode() not in f.read()
    # the binding cache: a bound repo, stats, clear
    requests.get(f"{mirror.url}/api/models/carol/peer", timeout=10)
    requests.get(f"{mirror.url}/api/models/carol/peer", timeout=10)
    stats = requests.get(f"{base}/cache/stats", headers=h, timeout=10).json()
    assert stats["size"] == 1 and stats["maxsize"] == 10000 and stats["ttl_seconds"] == 300 and stats["hits"] >= 1
    assert set(stats) >= {"size", "maxsize", "ttl_seconds", "usage_percent", "hits", "misses"}
    assert requests.delete(f"{base}/cache/clear", headers=h, timeout=10).status_code == 200
    assert requests.get(f"{base}/cache/stats", headers=h, timeout=10).json()["size"] == 0
    assert requests.delete(f"{base}/{sid}", headers=h, timeout=10).status_code == 200
    assert requests.get(f"{base}/{sid}", headers=h, timeout=10).status_code == 404


def test_size_cap_evicts_least_recently_used_unpinned_copies(start_server, no_xet):
    up = start_server(subdir="up")
    carol = token(up, "carol")
    api = HfApi(endpoint=up.url, token=carol)
    api.create_repo("carol/many")
    blobs = {f"f{i}.bin": random_bytes(400_000, 30 + i) for i in range(3)}
    for p, d in blobs.items():
        api.upload_file(path_or_fileobj=d, path_in_repo=p, repo_id="carol/many")
    sources = [{"name": "peer", "url": up.url, "source_type": "hub"}]
    mirror = start_server(env={"HUB_FALLBACK_SOURCES": json.dumps(sources), "HUB_FALLBACK_CACHE_MAX_BYTES": "900000"},
                          subdir="mirror")
    for p in ["f0.bin", "f1.bin", "f2.bin"]:
        assert requests.get(f"{mirror.url}/carol/many/resolve/main/{p}", timeout=30).content == blobs[p]
    up.stop()
    # f0 was the least recently used and the cap holds two: it is gone, the others are served offline
    assert requests.get(f"{mirror.url}/carol/many/resolve/main/f2.bin", timeout=30).content == blobs["f2.bin"]
    assert requests.get(f"{mirror.url}/carol/many/resolve/main/f1.bin", timeout=30).content == blobs["f1.bin"]
    assert requests.get(f"{mirror.url}/carol/many/resolve/main/f0.bin", timeout=30).status_code == 502


def test_user_profile_and_repo_lists_fall_back_with_source_tags(pair):
    up, mirror, _, _ = pair
    prof = requests.get(f"{mirror.url}/api/users/carol/profile", timeout=10)
    assert prof.status_code == 200 and prof.json()["name"] == "carol" and prof.json()["_source"] == "peer"
    assert requests.get(f"{up.url}/api/users/carol/profile", timeout=10).json()["_source"] == "local"
    assert requests.get(f"{mirror.url}/api/users/nobody-at-all/profile", timeout=10).status_code == 404
    token(mirror, "carol")  # now carol exists here too: the local profile wins
    assert requests.get(f"{mirror.url}/api/users/carol/profile", timeout=10).json()["_source"] == "local"
    repos = requests.get(f"{mirror.url}/api/users/carol/repos", timeout=10).json()
    models = {m["id"]: m["_source"] for m in repos["models"]}
    assert models["carol/peer"] == "peer" and models["carol/private"] == "peer"
    items = requests.get(f"{mirror.url}/api/models?author=carol", timeout=10).json()
    assert {i["id"]: i["_source"] for i in items} == {"carol/peer": "peer", "carol/private": "peer"}
