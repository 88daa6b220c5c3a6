"""Our server's Kubo RPC API (/api/v0/...) driven by real Kubo clients: plain requests as the ipfs
CLI sends them, and ipfshttpclient from PyPI. CIDs are checked against Kubo's ground truth."""
import io
import json
import os
import tarfile

import ipfshttpclient
import requests

from kubo_helpers import VECTORS, rpc_server, write_inputs  # noqa: F401

F = VECTORS["files"]
D = VECTORS["dirs"]["dir"]


def post(server, cmd, params=None, files=None, **kw):
    return requests.post(f"{server.url}/api/v0/{cmd}", params=params, files=files, timeout=60, **kw)


def lines(resp):
    return [json.loads(l) for l in resp.text.splitlines() if l.strip()]


def dir_multipart(root, name):
    """The multipart body `ipfs add -r` sends: folders as application/x-directory, names escaped."""
    parts = []
    base = os.path.join(root, name)
    for d, dirs, files in os.walk(base):
        dirs.sort()
        rel = os.path.relpath(d, root)
        parts.append(("file", (rel.replace("/", "%2F"), b"", "application/x-directory")))
        for f in sorted(files):
            with open(os.path.join(d, f), "rb") as fh:
                parts.append(("file", ((rel + "/" + f).replace("/", "%2F"), fh.read(), "application/octet-stream")))
    return parts


def test_version_and_id_answer_in_kubos_shape(rpc_server):
    s = rpc_server()
    v = post(s, "version").json()
    assert set(v) >= {"Version", "Commit", "Repo", "System", "Golang"}
    assert v["Version"].count(".") == 2
    i = post(s, "id").json()
    assert set(i) >= {"ID", "PublicKey", "Addresses", "AgentVersion", "ProtocolVersion"}
    assert "ipfs-accelerate" in i["AgentVersion"]


def test_add_gives_kubos_cids_and_sizes_for_files_and_options(rpc_server, tmp_path):
    s = rpc_server()
    write_inputs(tmp_path)
    with open(tmp_path / "hello.txt", "rb") as f:
        r = post(s, "add", files=[("file", ("hello.txt", f.read()))])
    assert r.status_code == 200
    assert lines(r) == [{"Name": "hello.txt", "Hash": F["hello.txt"]["cidv0_kubo"], "Size": str(F["hello.txt"]["size_v0"])}]
    data = (tmp_path / "mod251_1MiB.bin").read_bytes()
    r = post(s, "add", {"cid-version": "1"}, files=[("file", ("m.bin", data))])
    assert lines(r)[-1]["Hash"] == F["mod251_1MiB.bin"]["cidv1_rawleaves"]
    assert lines(r)[-1]["Size"] == str(F["mod251_1MiB.bin"]["size_v1"])
    r = post(s, "add", {"cid-version": "1", "raw-leaves": "false"}, files=[("file", ("hello.txt", b"Hello, IPFS!"))])
    assert lines(r)[-1]["Hash"] == F["hello.txt"]["cidv1_no_rawleaves"]
    r = post(s, "add", {"wrap-with-directory": "true"}, files=[("file", ("hello.txt", b"Hello, IPFS!"))])
    assert lines(r)[-1] == {"Name": "", "Hash": F["hello.txt"]["wrap_w_v0"], "Size": lines(r)[-1]["Size"]}
    r = post(s, "add", {"only-hash": "true", "quieter": "true"}, files=[("file", ("a.bin", b"a" * 262145))])
    assert [l["Hash"] for l in lines(r)] == [F["a262145.bin"]["cidv0_kubo"]]
    # only-hash stored nothing
    assert post(s, "block/stat", {"arg": F["a262145.bin"]["cidv0_kubo"]}).status_code == 500


def test_add_of_a_folder_as_the_cli_sends_it(rpc_server, tmp_path):
    s = rpc_server()
    write_inputs(tmp_path)
    r = post(s, "add", files=dir_multipart(str(tmp_path), "dir"))
    out = lines(r)
    assert out[-1] == {"Name": "dir", "Hash": D["cidv0"], "Size": str(D["size_v0"])}
    names = [l["Name"] for l in out]
    assert set(names) == {"dir/a.txt", "dir/empty.txt", "dir/sub/b.txt", "dir/sub", "dir"}
    assert {l["Name"]: l["Hash"] for l in out}["dir/sub"] == D["sub_v0"]
    r = post(s, "add", {"cid-version": "1"}, files=dir_multipart(str(tmp_path), "dir"))
    assert lines(r)[-1]["Hash"] == D["cidv1_rawleaves"]
    assert lines(r)[-1]["Size"] == str(D["size_v1"])


def test_ipfshttpclient_round_trip(rpc_server, tmp_path):
    s = rpc_server()
    files = write_inputs(tmp_path)
    c = ipfshttpclient.Client(f"/ip4/127.0.0.1/tcp/{s.port}/http")
    try:
        assert c.version()["Version"]
        added = c.add(str(tmp_path / "mod251_1MiB.bin"))
        assert added["Hash"] == F["mod251_1MiB.bin"]["cidv0_kubo"]
        assert c.cat(added["Hash"]) == files["mod251_1MiB.bin"]
        assert c.cat(added["Hash"], offset=262140, length=10) == files["mod251_1MiB.bin"][262140:262150]
        tree_added = c.add(str(tmp_path / "dir"), recursive=True)
        root = [e for e in tree_added if e["Name"] == "dir"][0]["Hash"]
        assert root == D["cidv0"]
        ls = c.ls(root)["Objects"][0]["Links"]
        assert [(l["Name"], l["Type"]) for l in ls] == [("a.txt", 2), ("empty.txt", 2), ("sub", 1)]
        assert [l["Hash"] for l in ls if l["Name"] == "sub"] == [D["sub_v0"]]
        dest = tmp_path / "got"
        dest.mkdir()
        c.get(root, target=str(dest))
        assert (dest / root / "sub" / "b.txt").read_bytes() == b"B"
        assert (dest / root / "a.txt").read_bytes() == b"A"
        assert (dest / root / "empty.txt").read_bytes() == b""
        # pins
        assert root in c.pin.ls(type="recursive")["Keys"]
        assert c.pin.rm(root)["Pins"] == [root]
        assert root not in c.pin.ls(type="recursive")["Keys"]
        assert c.pin.add(root)["Pins"] == [root]
        # blocks: `ipfs block put` is CIDv1 raw
        key = c.block.put(io.BytesIO(b"Hello, IPFS!"))["Key"]
        assert key == VECTORS["block_put"]["hello.txt"]
        assert c.block.get(key) == b"Hello, IPFS!"
        assert c.block.stat(key) == {"Key": key, "Size": 12}
        # the ErrorResponse path: Kubo's error body reaches the client as its message
        try:
            c.cat("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR")
            raise AssertionError("cat of an absent CID succeeded")
        except ipfshttpclient.exceptions.ErrorResponse as e:
            assert "not found" in str(e)
    finally:
        c.close()


def test_get_answers_a_tar_named_by_the_path(rpc_server, tmp_path):
    s = rpc_server()
    write_inputs(tmp_path)
    post(s, "add", files=dir_multipart(str(tmp_path), "dir"))
    r = post(s, "get", {"arg": "/ipfs/" + D["cidv0"] + "/sub"})
    assert r.status_code == 200
    t = tarfile.open(fileobj=io.BytesIO(r.content))
    members = {m.name: m for m in t.getmembers()}
    root = D["cidv0"] + "/sub"
    assert set(members) == {root, root + "/b.txt"}
    assert members[root].isdir()
    assert t.extractfile(members[root + "/b.txt"]).read() == b"B"
    # cat through a path
    assert post(s, "cat", {"arg": D["cidv0"] + "/sub/b.txt"}).content == b"B"


def test_errors_have_kubos_shape(rpc_server):
    s = rpc_server()
    r = post(s, "cat", {"arg": "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"})
    assert r.status_code == 500
    body = r.json()
    assert body["Type"] == "error" and body["Code"] == 0 and "not found" in body["Message"]
    r = post(s, "cat")
    assert r.status_code == 400
    assert r.json() == {"Message": 'argument "ipfs-path" is required', "Code": 1, "Type": "error"}
    for bad in ["../../secret", "/etc/passwd", "QmNotACid"]:
        r = post(s, "cat", {"arg": bad})
        assert r.status_code in (400, 500), bad
        assert r.json()["Type"] == "error"
    r = post(s, "pin/rm", {"arg": F["hello.txt"]["cidv0_kubo"]})
    assert r.status_code == 500 and r.json()["Type"] == "error"
    r = post(s, "add")  # no multipart body
    assert r.status_code == 400 and r.json()["Code"] == 1


def test_dag_export_from_one_node_imports_into_another(rpc_server, tmp_path):
    a, b = rpc_server("a"), rpc_server("b")
    write_inputs(tmp_path)
    post(a, "add", files=dir_multipart(str(tmp_path), "dir"))
    car = post(a, "dag/export", {"arg": D["cidv0"]})
    assert car.status_code == 200
    # CAR v1 header: varint length, dag-cbor map with "roots" before "version"
    assert car.content[1:2] == b"\xa2" and b"roots" in car.content[:80]
    r = post(b, "dag/import", files=[("file", ("dir.car", car.content))])
    assert lines(r) == [{"Root": {"Cid": {"/": D["cidv0"]}, "PinErrorMsg": ""}}]
    assert post(b, "cat", {"arg": D["cidv0"] + "/a.txt"}).content == b"A"
    assert D["cidv0"] in post(b, "pin/ls", {"type": "recursive"}).json()["Keys"]
