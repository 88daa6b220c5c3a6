"""`git clone` of hub repos with the real git and git-lfs clients: files uploaded through
huggingface_hub come back byte for byte (LFS files through the batch API's download operation),
`git fsck` passes, `git pull` sees a new commit, and a private repo needs a token."""
import os
import shutil
import subprocess

import pytest
import requests

from hub_helpers import Hub, random_bytes

import huggingface_hub.constants as hf_constants  # noqa: E402
from huggingface_hub import HfApi  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("git") is None or subprocess.run(["git", "lfs", "version"], capture_output=True).returncode != 0,
                                reason="needs git and git-lfs (scripts/install-deps installs them)")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = Hub(tmp_path_factory.mktemp("hubgit"), env={"HUB_UPLOAD_MODE": "lfs", "HUB_LFS_THRESHOLD": "100000"})
    yield h
    h.stop()


@pytest.fixture(autouse=True)
def no_xet(monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)


def git(*args, cwd=None, env=None, check=True):
    full = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": os.environ.get("GIT_TEST_HOME", "/tmp"),
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t", **(env or {})}
    r = subprocess.run(["git", *args], cwd=cwd, env=full, capture_output=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {r.returncode}\n{r.stdout.decode()}\n{r.stderr.decode()}")
    return r


def files_in(path):
    out = {}
    for root, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if d != ".git"]
        for n in names:
            p = os.path.join(root, n)
            out[os.path.relpath(p, path)] = open(p, "rb").read()
    return out


def test_clone_with_lfs_fsck_and_pull(hub, tmp_path):
    git("lfs", "install", "--skip-repo", env={"HOME": str(tmp_path)})
    api = HfApi(endpoint=hub.url, token=hub.alice)
    api.create_repo("alice/gitrepo")
    weights = random_bytes(1_500_000, 21)
    api.upload_file(path_or_fileobj=weights, path_in_repo="model.safetensors", repo_id="alice/gitrepo")
    api.upload_file(path_or_fileobj=b'{"hidden": 4}\n', path_in_repo="config/config.json", repo_id="alice/gitrepo")
    env = {"HOME": str(tmp_path)}
    for version in ("2", "0"):
        dest = tmp_path / f"clone-v{version}"
        git("-c", f"protocol.version={version}", "clone", f"{hub.url}/alice/gitrepo", str(dest), env=env)
        got = files_in(dest)
        assert got["model.safetensors"] == weights  # smudged by git-lfs through the batch download
        assert got["config/config.json"] == b'{"hidden": 4}\n'
        git("fsck", "--full", "--strict", cwd=dest, env=env)
        # The commit git sees is the hub's latest; its tree lists the LFS pointer for the weights.
        pointer = git("cat-file", "-p", "HEAD:model.safetensors", cwd=dest, env=env).stdout.decode()
        assert pointer.startswith("version https://git-lfs.github.com/spec/v1") and "size 1500000" in pointer
        assert git("rev-list", "--count", "HEAD", cwd=dest, env=env).stdout.decode().strip() == str(len(api.list_repo_commits("alice/gitrepo")))
    # A new commit through the API: git pull fast-forwards to it.
    api.upload_file(path_or_fileobj=b"v2\n", path_in_repo="notes.txt", repo_id="alice/gitrepo", commit_message="notes")
    dest = tmp_path / "clone-v2"
    git("pull", "--ff-only", cwd=dest, env=env)
    assert (dest / "notes.txt").read_bytes() == b"v2\n"
    assert git("log", "-1", "--format=%s", cwd=dest, env=env).stdout.decode().strip() == "notes"
    # Two clones at different times agree on every commit id (the git objects are derived deterministically).
    again = tmp_path / "again"
    git("clone", f"{hub.url}/alice/gitrepo", str(again), env=env)
    assert git("rev-parse", "HEAD", cwd=again, env=env).stdout == git("rev-parse", "HEAD", cwd=dest, env=env).stdout


def test_private_repo_needs_a_token(hub, tmp_path):
    env = {"HOME": str(tmp_path)}
    api = HfApi(endpoint=hub.url, token=hub.alice)
    api.create_repo("alice/gitsecret", private=True)
    api.upload_file(path_or_fileobj=b"secret\n", path_in_repo="s.txt", repo_id="alice/gitsecret")
    r = git("clone", f"{hub.url}/alice/gitsecret", str(tmp_path / "anon"), env=env, check=False)
    assert r.returncode != 0
    assert requests.get(f"{hub.url}/alice/gitsecret.git/info/refs?service=git-upload-pack", timeout=10).status_code == 401
    # Bob's token is valid but bob cannot see alice's private repo.
    host = hub.url.split("://", 1)[1]
    r = git("clone", f"http://bob:{hub.bob}@{host}/alice/gitsecret", str(tmp_path / "bob"), env=env, check=False)
    assert r.returncode != 0
    dest = tmp_path / "alice"
    git("clone", f"http://alice:{hub.alice}@{host}/alice/gitsecret", str(dest), env=env)
    assert (dest / "s.txt").read_bytes() == b"secret\n"
    # A read token may clone but not push.
    ro = tmp_path / "ro"
    git("clone", f"http://alice:{hub.alice_read}@{host}/alice/gitsecret", str(ro), env=env)
    (ro / "x.txt").write_bytes(b"x")
    git("add", "x.txt", cwd=ro, env=env)
    git("commit", "-m", "read only", cwd=ro, env=env)
    assert git("push", "origin", "HEAD:main", cwd=ro, env=env, check=False).returncode != 0
    assert "x.txt" not in api.list_repo_files("alice/gitsecret")


def test_push_creates_the_same_commits_and_files_as_the_api(hub, tmp_path):
    env = {"HOME": str(tmp_path)}
    git("lfs", "install", "--skip-repo", env=env)
    api = HfApi(endpoint=hub.url, token=hub.alice)
    api.create_repo("alice/gitpush")
    api.upload_file(path_or_fileobj=b"one\n", path_in_repo="a.txt", repo_id="alice/gitpush")
    host = hub.url.split("://", 1)[1]
    dest = tmp_path / "w"
    git("clone", f"http://alice:{hub.alice}@{host}/alice/gitpush", str(dest), env=env)
    # A modified file, a new file in a folder, a deleted file, an LFS file (git-lfs uploads it first).
    (dest / "a.txt").write_bytes(b"two\n")
    (dest / "sub").mkdir()
    (dest / "sub" / "b.txt").write_bytes(b"bee\n")
    weights = random_bytes(700_000, 33)
    git("lfs", "track", "*.bin", cwd=dest, env=env)
    (dest / "w.bin").write_bytes(weights)
    git("add", "-A", cwd=dest, env=env)
    git("commit", "-m", "from git\n\nwith a body", cwd=dest, env=env)
    git("rm", "-q", "sub/b.txt", cwd=dest, env=env)
    (dest / "c.txt").write_bytes(b"see\n")
    git("add", "-A", cwd=dest, env=env)
    git("commit", "-m", "second from git", cwd=dest, env=env)
    git("push", "origin", "HEAD:main", cwd=dest, env=env)
    head = git("rev-parse", "HEAD", cwd=dest, env=env).stdout.decode().strip()
    # The hub's history is git's: same ids, titles, files; the API downloads what git pushed.
    info = api.repo_info("alice/gitpush")
    assert info.sha == head
    commits = api.list_repo_commits("alice/gitpush")
    assert [c.title for c in commits[:2]] == ["second from git", "from git"]
    assert set(api.list_repo_files("alice/gitpush")) == {"a.txt", "c.txt", "w.bin", ".gitattributes"}
    assert requests.get(f"{hub.url}/alice/gitpush/resolve/main/w.bin", headers={"Authorization": f"Bearer {hub.alice}"}, timeout=30).content == weights
    assert requests.get(f"{hub.url}/alice/gitpush/resolve/main/a.txt", timeout=30).content == b"two\n"
    # A fresh clone gets exactly the pushed commits back, and fsck is happy.
    again = tmp_path / "again"
    git("clone", f"{hub.url}/alice/gitpush", str(again), env=env)
    assert git("rev-parse", "HEAD", cwd=again, env=env).stdout.decode().strip() == head
    assert (again / "w.bin").read_bytes() == weights
    git("fsck", "--full", "--strict", cwd=again, env=env)
    # A commit through the API moves main; a push from the old clone is refused, pull then push works.
    api.upload_file(path_or_fileobj=b"api\n", path_in_repo="api.txt", repo_id="alice/gitpush")
    (dest / "late.txt").write_bytes(b"late\n")
    git("add", "late.txt", cwd=dest, env=env)
    git("commit", "-m", "late", cwd=dest, env=env)
    r = git("push", "origin", "HEAD:main", cwd=dest, env=env, check=False)
    assert r.returncode != 0 and ("fetch first" in r.stderr.decode() or "non-fast-forward" in r.stderr.decode()), r.stderr.decode()
    git("pull", "--rebase", "origin", "main", cwd=dest, env=env)
    git("push", "origin", "HEAD:main", cwd=dest, env=env)
    assert {"api.txt", "late.txt"} <= set(api.list_repo_files("alice/gitpush"))


def test_git_access_follows_organisation_roles(hub, tmp_path):
    env = {"HOME": str(tmp_path)}
    hub.server.cli("org", "add", "gitorg")
    hub.server.cli("org", "member", "gitorg", "alice", "--role", "write")
    api = HfApi(endpoint=hub.url, token=hub.alice)
    api.create_repo("gitorg/inner", private=True)
    api.upload_file(path_or_fileobj=b"org\n", path_in_repo="o.txt", repo_id="gitorg/inner")
    host = hub.url.split("://", 1)[1]
    # A write member clones the private org repo and pushes to it over git, as through the API.
    dest = tmp_path / "org"
    git("clone", f"http://alice:{hub.alice}@{host}/gitorg/inner", str(dest), env=env)
    assert (dest / "o.txt").read_bytes() == b"org\n"
    (dest / "p.txt").write_bytes(b"pushed\n")
    git("add", "p.txt", cwd=dest, env=env)
    git("commit", "-m", "member push", cwd=dest, env=env)
    git("push", "origin", "HEAD:main", cwd=dest, env=env)
    assert "p.txt" in api.list_repo_files("gitorg/inner")
    # Bob is no member: the private org repo is not there for him.
    assert git("clone", f"http://bob:{hub.bob}@{host}/gitorg/inner", str(tmp_path / "bob"), env=env, check=False).returncode != 0
