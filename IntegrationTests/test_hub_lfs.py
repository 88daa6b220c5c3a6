"""Uploads through git-lfs (basic and multipart) with HF_HUB_DISABLE_XET=1 against a hub in LFS mode."""
import hashlib
import pathlib

import pytest
import requests

from hub_helpers import Hub, metric, random_bytes, read_tree, write_tree

import huggingface_hub.constants as hf_constants  # noqa: E402
from huggingface_hub import HfApi, hf_hub_download, snapshot_download, CommitOperationAdd  # noqa: E402


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = Hub(tmp_path_factory.mktemp("hublfs"), env={"HUB_UPLOAD_MODE": "lfs", "HUB_LFS_THRESHOLD": "1048576"})
    yield h
    h.stop()


@pytest.fixture
def no_xet(monkeypatch):
    # Same effect as HF_HUB_DISABLE_XET=1 in the environment at import time.
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)


def test_upload_folder_through_lfs_multipart_and_snapshot(hub, tmp_path, no_xet):
    a = HfApi(endpoint=hub.url, token=hub.alice)
    a.create_repo("alice/lfsbig")
    big = random_bytes(100 * 1024 * 1024, 7)
    files = {"weights/model.safetensors": big, "small.bin": random_bytes(2 * 1024 * 1024, 8), "README.md": b"# lfs\n"}
    for i in range(40):
        files[f"txt/{i}.txt"] = f"line {i}\n".encode()
    write_tree(tmp_path / "src", files)
    a.upload_folder(folder_path=tmp_path / "src", repo_id="alice/lfsbig")
    info = a.model_info("alice/lfsbig", files_metadata=True)
    lfs = {s.rfilename: s.lfs for s in info.siblings if s.lfs}
    assert set(lfs) == {"weights/model.safetensors", "small.bin"}
    assert lfs["weights/model.safetensors"].sha256 == hashlib.sha256(big).hexdigest()
    head = requests.head(f"{hub.url}/alice/lfsbig/resolve/main/weights/model.safetensors", timeout=10).headers
    assert head["ETag"].strip('"') == hashlib.sha256(big).hexdigest()
    assert head["X-Linked-Size"] == str(len(big))
    sha = info.sha
    a.upload_folder(folder_path=tmp_path / "src", repo_id="alice/lfsbig")  # unchanged: no commit
    assert a.repo_info("alice/lfsbig").sha == sha
    out = snapshot_download("alice/lfsbig", endpoint=hub.url, token=hub.alice, cache_dir=tmp_path / "c")
    assert read_tree(out) == files


def test_lfs_object_is_not_attachable_by_knowing_its_hash(hub, tmp_path, no_xet):
    alice = HfApi(endpoint=hub.url, token=hub.alice)
    alice.create_repo("alice/privlfs", private=True)
    secret = random_bytes(3 * 1024 * 1024, 9)
    alice.upload_file(path_or_fileobj=secret, path_in_repo="secret.bin", repo_id="alice/privlfs")
    oid = hashlib.sha256(secret).hexdigest()
    bob = HfApi(endpoint=hub.url, token=hub.bob)
    bob.create_repo("bob/thief")
    line = ('{"key":"header","value":{"summary":"steal"}}\n'
            '{"key":"lfsFile","value":{"path":"stolen.bin","algo":"sha256","oid":"%s","size":%d}}\n' % (oid, len(secret)))
    r = requests.post(f"{hub.url}/api/models/bob/thief/commit/main", data=line,
                      headers={"Authorization": f"Bearer {hub.bob}", "Content-Type": "application/x-ndjson"}, timeout=30)
    assert r.status_code == 400
    assert "stolen.bin" not in bob.list_repo_files("bob/thief")
    # The batch API asks bob to upload the bytes himself instead of treating the object as present.
    r = requests.post(f"{hub.url}/bob/thief.git/info/lfs/objects/batch",
                      json={"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": len(secret)}]},
                      headers={"Authorization": f"Bearer {hub.bob}", "Accept": "application/vnd.git-lfs+json"}, timeout=10)
    assert r.status_code == 200 and "actions" in r.json()["objects"][0]
    # Having the bytes is proof enough: bob uploads them himself and may then use them.
    bob.upload_file(path_or_fileobj=secret, path_in_repo="mine.bin", repo_id="bob/thief")
    assert "mine.bin" in bob.list_repo_files("bob/thief")


def test_upload_urls_carry_a_signature_not_a_token(hub):
    data = b"x" * 2_000_000
    oid = hashlib.sha256(data).hexdigest()
    HfApi(endpoint=hub.url, token=hub.alice).create_repo("alice/signed", exist_ok=True)
    r = requests.post(f"{hub.url}/alice/signed.git/info/lfs/objects/batch",
                      json={"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": len(data)}]},
                      headers={"Authorization": f"Bearer {hub.alice}"}, timeout=10)
    href = r.json()["objects"][0]["actions"]["upload"]["href"]
    assert hub.alice not in href
    assert requests.put(href.replace("s=", "s=0"), data=data, timeout=30).status_code == 403
    assert requests.put(href, data=data[:-1] + b"y", timeout=30).status_code == 400  # wrong bytes
    assert requests.put(href, data=data, timeout=30).status_code == 200


def flatfs_path(data_dir, cid):
    """Where Kubo's flatfs layout keeps a raw-leaf block: base32 of the multihash, next-to-last 2 chars."""
    import base64
    s = cid[1:]  # multibase 'b' prefix: lower-case base32 of the CID bytes
    raw = base64.b32decode(s.upper() + "=" * (-len(s) % 8))
    key = base64.b32encode(raw[2:]).decode().rstrip("=")  # drop version (0x01) and codec (0x55) varints
    return pathlib.Path(data_dir) / "blocks" / key[-3:-1] / f"{key}.data"


def test_a_corrupt_block_never_reaches_a_client_as_a_complete_download(hub, tmp_path, no_xet):
    a = HfApi(endpoint=hub.url, token=hub.alice)
    a.create_repo("alice/rot")
    data = random_bytes(3 * 1024 * 1024 + 5, 11)  # four 1 MiB raw leaves
    a.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id="alice/rot")
    url = f"{hub.url}/alice/rot/resolve/main/w.bin"
    sent = metric(hub.url, "hub_sent_bytes_total", kind="file")
    assert requests.get(url, timeout=30).content == data
    assert metric(hub.url, "hub_sent_bytes_total", kind="file") - sent == len(data)
    stopped = metric(hub.url, "hub_downloads_stopped_total", reason="corrupt_block")
    # Damage the third leaf on disk (its CID is the file's leaf at offset 2 MiB: ask the gateway's DAG).
    root = requests.head(url, timeout=10).headers["X-IPFS-CID"]
    leaf = leaf_cids(hub, root)[2]
    block = flatfs_path(hub.server.data_dir, leaf)
    assert block.exists(), block
    damaged = bytearray(block.read_bytes())
    damaged[10] ^= 0xFF
    block.write_bytes(bytes(damaged))
    # The client gets the two good leaves at most, then the connection closes short of Content-Length.
    with requests.get(url, stream=True, timeout=30) as r:
        assert r.status_code == 200 and r.headers["Content-Length"] == str(len(data))
        got = bytearray()
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for chunk in r.iter_content(65536):
                got += chunk
        assert len(got) <= 2 * 1024 * 1024 and bytes(got) == data[:len(got)]
    # A range inside the good leaves still works; one that covers the bad leaf fails the same way.
    ok = requests.get(url, headers={"Range": "bytes=0-1048575"}, timeout=30)
    assert ok.status_code == 206 and ok.content == data[:1 << 20]
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, headers={"Range": f"bytes={2 << 20}-{(2 << 20) + 10}"}, timeout=30).content
    # Each cut download is counted for the operator: the full GET and the range over the bad leaf.
    assert metric(hub.url, "hub_downloads_stopped_total", reason="corrupt_block") - stopped == 2
    # huggingface_hub refuses the file instead of caching it.
    with pytest.raises(Exception):
        hf_hub_download("alice/rot", "w.bin", endpoint=hub.url, token=hub.alice, cache_dir=tmp_path / "c")
    assert not list((tmp_path / "c").rglob("w.bin")) or all(p.stat().st_size == 0 for p in (tmp_path / "c").rglob("w.bin") if p.is_file())


def leaf_cids(hub, root):
    """The root's links, from the trustless gateway's raw block of the root (dag-pb, one level for 4 leaves)."""
    r = requests.get(f"{hub.url}/ipfs/{root}?format=raw", headers={"Authorization": f"Bearer {hub.alice}"}, timeout=10)
    assert r.status_code == 200, r.text
    return dag_pb_link_cids(r.content)


def dag_pb_link_cids(block):
    """Link CIDs of a dag-pb node (field 2 = PBLink, its field 1 = Hash), parsed by hand."""
    import base64

    def varint(b, i):
        n = shift = 0
        while True:
            c = b[i]
            i += 1
            n |= (c & 0x7F) << shift
            shift += 7
            if c < 0x80:
                return n, i
    out, i = [], 0
    while i < len(block):
        key, i = varint(block, i)
        length, i = varint(block, i)
        field, body = key >> 3, block[i:i + length]
        i += length
        if field == 2:
            j = 0
            while j < len(body):
                k, j = varint(body, j)
                ln, j = varint(body, j)
                if k >> 3 == 1:
                    out.append("b" + base64.b32encode(body[j:j + ln]).decode().lower().rstrip("="))
                j += ln
    return out
