"""The content-addressing CLI (`add`, `cat`, `ls`, `get`, `block`, `pin`, `gc`, `dag`) against
Kubo's ground truth: every CID of Tests/UnixFSTests/Vectors/vectors.json, and random files and
folders added by us and by real Kubo (kubo_oracle.py, a Kubo v0.22 core) getting the same CIDs."""
import json
import os
import random
import subprocess
import sys

import pytest

from conftest import BIN

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "Tests", "UnixFSTests", "Vectors")
ORACLE = os.path.join(HERE, "kubo_oracle.py")
with open(os.path.join(VECTORS, "vectors.json")) as f:
    V = json.load(f)


def cli(data_dir, *args, check=True, input=None):
    r = subprocess.run([BIN, *args, "--data-dir", str(data_dir)], capture_output=True, input=input, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"{args} failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
    return r


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("unixfs-inputs")
    subprocess.run([sys.executable, os.path.join(VECTORS, "generate_inputs.py"), str(d)], check=True)
    return d


FILE_OPTIONS = {
    "cidv0_kubo": [],
    "cidv1_rawleaves": ["--cid-version=1"],
    "cidv1_no_rawleaves": ["--cid-version=1", "--raw-leaves=false"],
    "wrap_w_v0": ["-w"],
    "wrap_w_v1": ["-w", "--cid-version=1"],
}


@pytest.mark.parametrize("name", sorted(V["files"]))
def test_add_gives_kubo_cids_for_every_file_vector(name, inputs, tmp_path):
    v = V["files"][name]
    path = str(inputs / name)
    for key, opts in FILE_OPTIONS.items():
        out = cli(tmp_path / "data", "add", "-Q", *opts, path).stdout.decode().strip()
        assert out == v[key], (name, key)
    # Plain output names the file like Kubo: `added <cid> <name>`.
    out = cli(tmp_path / "data", "add", path).stdout.decode()
    assert out == f"added {v['cidv0_kubo']} {name}\n"
    # And the bytes come back.
    got = cli(tmp_path / "data", "cat", v["cidv0_kubo"]).stdout
    with open(path, "rb") as f:
        assert got == f.read()


def test_add_gives_kubo_cids_for_the_directory_vector(inputs, tmp_path):
    d = V["dirs"]["dir"]
    path = str(inputs / "dir")
    data = tmp_path / "data"
    lines = cli(data, "add", "-r", path).stdout.decode().splitlines()
    assert lines[-1] == f"added {d['cidv0']} dir"
    assert f"added {d['sub_v0']} dir/sub" in lines
    assert [l.split(" ", 2)[2] for l in lines] == ["dir/a.txt", "dir/empty.txt", "dir/sub/b.txt", "dir/sub", "dir"]
    for opts, key in [(["-w"], "wrap_w_v0"), (["--cid-version=1"], "cidv1_rawleaves"), (["-w", "--cid-version=1"], "wrap_w_v1"),
                      (["--cid-version=1", "--raw-leaves=false"], "cidv1_no_rawleaves"), (["--profile=unixfs-v0-2015"], "cidv0")]:
        assert cli(data, "add", "-r", "-Q", *opts, path).stdout.decode().strip() == d[key], key
    lines = cli(data, "add", "-r", "--cid-version=1", path).stdout.decode().splitlines()
    assert f"added {d['sub_v1']} dir/sub" in lines
    # ls shows the entries, get writes the tree back.
    ls = cli(data, "ls", d["cidv0"]).stdout.decode().splitlines()
    assert [l.split(" ", 2)[2] for l in ls] == ["a.txt", "empty.txt", "sub/"]
    out = tmp_path / "out"
    cli(data, "get", d["cidv0"], "-o", str(out))
    assert (out / "sub" / "b.txt").read_bytes() == b"B" and (out / "empty.txt").read_bytes() == b""
    assert cli(data, "cat", d["cidv0"] + "/sub/b.txt").stdout == b"B"


def test_block_put_and_stat_match_kubo(inputs, tmp_path):
    cid = cli(tmp_path / "d", "block", "put", str(inputs / "hello.txt")).stdout.decode().strip()
    assert cid == V["block_put"]["hello.txt"]
    assert cli(tmp_path / "d", "block", "get", cid).stdout == b"Hello, IPFS!"
    assert cli(tmp_path / "d", "block", "stat", cid).stdout.decode() == f"Key: {cid}\nSize: 12\n"


def test_only_hash_stores_nothing(inputs, tmp_path):
    v = V["files"]["mod251_1MiB.bin"]
    out = cli(tmp_path / "d", "add", "-n", "-Q", str(inputs / "mod251_1MiB.bin")).stdout.decode().strip()
    assert out == v["cidv0_kubo"]
    r = cli(tmp_path / "d", "cat", v["cidv0_kubo"], check=False)
    assert r.returncode != 0 and b"not in the local store" in r.stderr


def test_cat_ranges(inputs, tmp_path):
    data = tmp_path / "d"
    with open(inputs / "pat_50MiB.bin", "rb") as f:
        content = f.read()
    cid = cli(data, "add", "-Q", "--chunker=size-65536", str(inputs / "pat_50MiB.bin")).stdout.decode().strip()
    for off, length in [(0, 10), (65535, 2), (12345678, 1000000), (len(content) - 5, 100)]:
        got = cli(data, "cat", cid, "--offset", str(off), "--length", str(length)).stdout
        assert got == content[off:off + length]


def test_dag_export_import_round_trip(inputs, tmp_path):
    d = V["dirs"]["dir"]
    a, b = tmp_path / "a", tmp_path / "b"
    cli(a, "add", "-r", str(inputs / "dir"))
    car = cli(a, "dag", "export", d["cidv0"]).stdout
    car_path = tmp_path / "x.car"
    car_path.write_bytes(car)
    out = cli(b, "dag", "import", str(car_path)).stdout.decode()
    assert out == f"Pinned root\t{d['cidv0']}\tsuccess\n"
    assert cli(b, "cat", d["cidv0"] + "/a.txt").stdout == b"A"
    assert cli(b, "dag", "export", d["cidv0"]).stdout == car
    # A truncated CAR is an error and pins nothing.
    (tmp_path / "bad.car").write_bytes(car[:-3])
    r = cli(tmp_path / "c", "dag", "import", str(tmp_path / "bad.car"), check=False)
    assert r.returncode != 0 and b"truncated" in r.stderr
    assert cli(tmp_path / "c", "pin", "ls").stdout == b""


def test_pins_and_gc(inputs, tmp_path):
    data = tmp_path / "d"
    keep = cli(data, "add", "-Q", str(inputs / "mod251_1MiB.bin")).stdout.decode().strip()
    drop = cli(data, "add", "-Q", "--pin=false", str(inputs / "a262145.bin")).stdout.decode().strip()
    assert cli(data, "pin", "ls").stdout.decode() == f"{keep} recursive\n"
    cli(data, "gc")
    assert cli(data, "cat", drop, check=False).returncode != 0
    assert len(cli(data, "cat", keep).stdout) == 1 << 20
    cli(data, "pin", "rm", keep)
    cli(data, "gc")
    assert cli(data, "cat", keep, check=False).returncode != 0


def test_errors_go_to_stderr_with_nonzero_exit(tmp_path):
    r = cli(tmp_path / "d", "cat", "QmNotACid", check=False)
    assert r.returncode != 0 and r.stdout == b"" and b"Error:" in r.stderr
    r = cli(tmp_path / "d", "add", "--chunker=rabin", "/etc/hostname", check=False)
    assert r.returncode != 0 and b"size-N" in r.stderr
    r = cli(tmp_path / "d", "add", str(tmp_path), check=False)
    assert r.returncode != 0 and b"-r" in r.stderr


def test_data_dir_defaults_to_hf_home(inputs, tmp_path):
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf"))
    env.pop("IPFS_ACCELERATE_HOME", None)
    subprocess.run([BIN, "add", "-Q", str(inputs / "hello.txt")], env=env, check=True, capture_output=True)
    assert (tmp_path / "hf" / "ipfs_accelerate" / "blocks" / "SHARDING").exists()


# --- real Kubo on random inputs ---------------------------------------------------------------

def kubo_add(path, repo):
    env = dict(os.environ, KUBO_REPO=str(repo))
    r = subprocess.run([sys.executable, ORACLE, "add", str(path), "--only-hash"], capture_output=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout.decode().strip().splitlines()[-1]


@pytest.fixture(scope="module")
def kubo_repo(tmp_path_factory):
    return tmp_path_factory.mktemp("kubo") / "repo"


def random_tree(root, rng, depth=0):
    names = ["a", "B", "zé", "日本語", "emoji😀", "space name", "x.y", "Ω", "long" * 20, "Z9"]
    os.makedirs(root, exist_ok=True)
    for name in rng.sample(names, rng.randint(1, 5)):
        p = os.path.join(root, name)
        if depth < 3 and rng.random() < 0.4:
            random_tree(p, rng, depth + 1)
        else:
            with open(p, "wb") as f:
                f.write(rng.randbytes(rng.choice([0, 1, 1000, 262143, 262144, 262145, 700000])))


def test_random_files_match_real_kubo(tmp_path, kubo_repo):
    rng = random.Random(2024)
    for i, size in enumerate([0, 1, 262143, 262144, 262145, 3_000_000, rng.randint(1, 5_000_000)]):
        p = tmp_path / f"f{i}.bin"
        p.write_bytes(rng.randbytes(size))
        ours = cli(tmp_path / "d", "add", "-Q", "-n", str(p)).stdout.decode().strip()
        assert ours == kubo_add(p, kubo_repo), size


def test_random_folders_match_real_kubo(tmp_path, kubo_repo):
    rng = random.Random(7)
    for i in range(3):
        root = tmp_path / f"tree{i}"
        random_tree(str(root), rng)
        ours = cli(tmp_path / "d", "add", "-r", "-Q", "-n", str(root)).stdout.decode().strip()
        assert ours == kubo_add(root, kubo_repo), i


def test_sharded_folder_matches_real_kubo(tmp_path, kubo_repo):
    # 2,000 names of ~120 bytes: the size estimate is far over 256 KiB, so both shard (HAMT).
    root = tmp_path / "big"
    root.mkdir()
    for i in range(2000):
        (root / (f"file-{i:05d}-" + "x" * 109)).write_bytes(str(i).encode())
    ours = cli(tmp_path / "d", "add", "-r", "-Q", str(root)).stdout.decode().strip()
    assert ours == kubo_add(root, kubo_repo)
    listing = cli(tmp_path / "d", "ls", ours).stdout.decode().splitlines()
    assert len(listing) == 2000
