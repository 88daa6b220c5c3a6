"""The real huggingface_hub client against a running `ipfs-accelerate serve` hub."""
import os

import pytest
import requests

from hub_helpers import Hub, random_bytes, read_tree, write_tree

import huggingface_hub  # noqa: E402
from huggingface_hub import HfApi, hf_hub_download, snapshot_download  # noqa: E402
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError  # noqa: E402


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = Hub(tmp_path_factory.mktemp("hubclient"))
    yield h
    h.stop()


def api(hub, token=None):
    return HfApi(endpoint=hub.url, token=token if token is not None else hub.alice)


def test_client_version_and_xet_installed():
    # The default client path (hf_xet installed, Xet not disabled) is what these tests exercise.
    assert huggingface_hub.__version__ == "2.4.0"
    from huggingface_hub.utils._runtime import is_xet_available
    assert is_xet_available(), "pip install hf_xet: the default client must be tested with Xet available"


def test_whoami_reports_user_and_role(hub):
    me = api(hub).whoami()
    assert me["name"] == "alice"
    assert me["auth"]["accessToken"]["role"] == "write"
    assert api(hub, hub.alice_read).whoami()["auth"]["accessToken"]["role"] == "read"
    r = requests.get(hub.url + "/api/whoami-v2", headers={"Authorization": "Bearer hf_wrong"}, timeout=10)
    assert r.status_code == 401 and r.headers.get("X-Error-Code")


def test_create_repo_model_and_dataset_public_and_private(hub):
    a = api(hub)
    url = a.create_repo("alice/m1")
    assert str(url).startswith(hub.url + "/alice/m1")
    assert a.create_repo("alice/m1", exist_ok=True)  # 409 with url
    a.create_repo("alice/d1", repo_type="dataset", private=True)
    assert a.repo_info("alice/d1", repo_type="dataset").private is True
    assert a.repo_info("alice/m1").private is False
    assert a.repo_exists("alice/m1") and not a.repo_exists("alice/nope")
    with pytest.raises(Exception):
        api(hub, hub.alice_read).create_repo("alice/readonly")
    with pytest.raises(Exception):
        api(hub, hub.bob).create_repo("alice/not-bobs")


def test_upload_file_then_download_with_headers(hub, tmp_path):
    a = api(hub)
    a.create_repo("alice/small", exist_ok=True)
    info = a.upload_file(path_or_fileobj=b'{"hello": 1}\n', path_in_repo="config.json", repo_id="alice/small")
    assert len(info.oid) == 40
    path = hf_hub_download("alice/small", "config.json", endpoint=hub.url, token=hub.alice, cache_dir=tmp_path)
    assert open(path, "rb").read() == b'{"hello": 1}\n'
    head = requests.head(f"{hub.url}/alice/small/resolve/main/config.json", timeout=10)
    assert head.status_code == 200
    assert head.headers["X-Repo-Commit"] == info.oid
    assert head.headers["Content-Length"] == "13"
    assert head.headers["X-IPFS-CID"]
    # git blob sha1 of the content, as git computes it
    import hashlib
    assert head.headers["ETag"].strip('"') == hashlib.sha1(b"blob 13\0" + b'{"hello": 1}\n').hexdigest()


def test_upload_folder_large_and_many_small_default_client(hub, tmp_path):
    """Default client (hf_xet installed): the hub answers 'regular', the 100 MB file arrives base64 in the commit."""
    a = api(hub)
    a.create_repo("alice/big", exist_ok=True)
    files = {"model.bin": random_bytes(100 * 1024 * 1024, 1), "README.md": b"---\nlicense: mit\n---\n# big\n"}
    for i in range(60):
        files[f"shards/part-{i:03d}.txt"] = f"small file {i}\n".encode() * (i + 1)
    src = tmp_path / "src"
    write_tree(src, files)
    first = a.upload_folder(folder_path=src, repo_id="alice/big")
    head1 = a.repo_info("alice/big").sha
    assert first.oid == head1
    # unchanged re-upload: no new commit
    a.upload_folder(folder_path=src, repo_id="alice/big")
    assert a.repo_info("alice/big").sha == head1
    out = snapshot_download("alice/big", endpoint=hub.url, token=hub.alice, cache_dir=tmp_path / "cache")
    assert read_tree(out) == files
    assert sorted(a.list_repo_files("alice/big")) == sorted(files)


def test_download_resumes_with_range(hub, tmp_path):
    a = api(hub)
    a.create_repo("alice/resume", exist_ok=True)
    data = random_bytes(3 * 1024 * 1024 + 17, 2)
    a.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id="alice/resume")
    url = f"{hub.url}/alice/resume/resolve/main/w.bin"
    r = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert r.status_code == 206 and r.content == data[100:200]
    assert r.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    r = requests.get(url, headers={"Range": f"bytes={len(data)}-"}, timeout=10)
    assert r.status_code == 416
    r = requests.get(url, headers={"Range": "bytes=-10"}, timeout=10)
    assert r.status_code == 206 and r.content == data[-10:]
    # A half-finished download in the cache: the client resumes it with Range: bytes=N-.
    etag = requests.head(url, timeout=10).headers["ETag"].strip('"')
    blobs = tmp_path / "cache" / "models--alice--resume" / "blobs"
    blobs.mkdir(parents=True)
    (blobs / (etag + ".incomplete")).write_bytes(data[: 1024 * 1024])
    path = hf_hub_download("alice/resume", "w.bin", endpoint=hub.url, token=hub.alice, cache_dir=tmp_path / "cache")
    assert open(path, "rb").read() == data


def test_metadata_calls(hub):
    a = api(hub)
    a.create_repo("alice/meta", exist_ok=True)
    a.upload_file(path_or_fileobj=b"abc", path_in_repo="dir/a.txt", repo_id="alice/meta")
    a.upload_file(path_or_fileobj=b"defg", path_in_repo="b.txt", repo_id="alice/meta")
    info = a.model_info("alice/meta", files_metadata=True)
    sizes = {s.rfilename: s.size for s in info.siblings}
    assert sizes == {"dir/a.txt": 3, "b.txt": 4}
    assert all(len(s.blob_id) == 40 for s in info.siblings)
    assert a.file_exists("alice/meta", "dir/a.txt")
    assert not a.file_exists("alice/meta", "dir/none.txt")
    assert sorted(a.list_repo_files("alice/meta")) == ["b.txt", "dir/a.txt"]
    tree = list(a.list_repo_tree("alice/meta", recursive=False))
    assert {t.path for t in tree} == {"dir", "b.txt"}
    a.delete_file("dir/a.txt", repo_id="alice/meta")
    assert a.list_repo_files("alice/meta") == ["b.txt"]
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("alice/meta", "dir/a.txt", endpoint=hub.url, token=hub.alice)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("alice/meta", "b.txt", revision="nobranch", endpoint=hub.url, token=hub.alice)


def test_branches_and_pull_requests(hub, tmp_path):
    a = api(hub)
    a.create_repo("alice/br", exist_ok=True)
    a.upload_file(path_or_fileobj=b"v1", path_in_repo="f.txt", repo_id="alice/br")
    a.create_branch("alice/br", branch="dev")
    with pytest.raises(Exception):
        a.create_branch("alice/br", branch="dev")
    a.create_branch("alice/br", branch="dev", exist_ok=True)
    a.upload_file(path_or_fileobj=b"v2", path_in_repo="f.txt", repo_id="alice/br", revision="dev")
    assert {b.name for b in a.list_repo_refs("alice/br").branches} == {"main", "dev"}
    p = hf_hub_download("alice/br", "f.txt", revision="dev", endpoint=hub.url, token=hub.alice, cache_dir=tmp_path)
    assert open(p, "rb").read() == b"v2"
    from huggingface_hub import CommitOperationAdd
    pr = a.create_commit("alice/br", operations=[CommitOperationAdd("pr.txt", b"from a PR")],
                         commit_message="A pull request", create_pr=True)
    assert pr.pr_url and pr.pr_url.endswith("/discussions/1")
    assert pr.pr_revision == "refs/pr/1"
    p = hf_hub_download("alice/br", "pr.txt", revision="refs/pr/1", endpoint=hub.url, token=hub.alice, cache_dir=tmp_path)
    assert open(p, "rb").read() == b"from a PR"
    assert not a.file_exists("alice/br", "pr.txt")  # main untouched
    # parentCommit mismatch: 412
    stale = a.repo_info("alice/br").sha
    a.upload_file(path_or_fileobj=b"v3", path_in_repo="f.txt", repo_id="alice/br")
    with pytest.raises(Exception) as e:
        a.create_commit("alice/br", operations=[CommitOperationAdd("g.txt", b"x")], commit_message="stale", parent_commit=stale)
    assert "412" in str(e.value)


def test_list_models_by_author(hub):
    a = api(hub)
    a.create_repo("bob/listed", exist_ok=True, token=hub.bob)
    a.create_repo("bob/hidden", private=True, exist_ok=True, token=hub.bob)
    names = {m.id for m in HfApi(endpoint=hub.url, token=False).list_models(author="bob")}
    assert names == {"bob/listed"}
    assert {m.id for m in HfApi(endpoint=hub.url, token=hub.bob).list_models(author="bob")} == {"bob/listed", "bob/hidden"}
    assert {m.id for m in a.list_models(author="bob", search="list")} == {"bob/listed"}


def test_private_repo_refused_without_token_served_with_one(hub, tmp_path):
    a = api(hub)
    a.create_repo("alice/secret", private=True, exist_ok=True)
    a.upload_file(path_or_fileobj=b"classified", path_in_repo="s.txt", repo_id="alice/secret")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("alice/secret", "s.txt", endpoint=hub.url, token=False, cache_dir=tmp_path / "a")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("alice/secret", "s.txt", endpoint=hub.url, token=hub.bob, cache_dir=tmp_path / "b")
    assert not HfApi(endpoint=hub.url, token=False).repo_exists("alice/secret")
    p = hf_hub_download("alice/secret", "s.txt", endpoint=hub.url, token=hub.alice_read, cache_dir=tmp_path / "c")
    assert open(p, "rb").read() == b"classified"
    r = requests.get(f"{hub.url}/alice/secret/resolve/main/s.txt", timeout=10)
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "RepoNotFound"
    # read token cannot write
    with pytest.raises(Exception):
        api(hub, hub.alice_read).upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="alice/secret")


def test_delete_and_move_repo(hub):
    a = api(hub)
    a.create_repo("alice/tmp1", exist_ok=True)
    a.move_repo("alice/tmp1", "alice/tmp2")
    assert a.repo_exists("alice/tmp2") and not a.repo_exists("alice/tmp1")
    a.delete_repo("alice/tmp2")
    assert not a.repo_exists("alice/tmp2")
    a.delete_repo("alice/tmp2", missing_ok=True)


def test_dataset_upload_and_snapshot(hub, tmp_path):
    a = api(hub)
    a.create_repo("alice/ds", repo_type="dataset", exist_ok=True)
    files = {"data/train.csv": b"a,b\n1,2\n", "data/test.csv": b"a,b\n3,4\n"}
    write_tree(tmp_path / "src", files)
    a.upload_folder(folder_path=tmp_path / "src", repo_id="alice/ds", repo_type="dataset")
    out = snapshot_download("alice/ds", repo_type="dataset", endpoint=hub.url, token=hub.alice, cache_dir=tmp_path / "c")
    assert read_tree(out) == files
