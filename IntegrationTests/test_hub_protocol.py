"""Protocol details and bad input, with raw HTTP requests against a running hub."""
import base64
import hashlib
import json
import socket
import urllib.parse

import pytest
import requests

from hub_helpers import Hub, metric

from huggingface_hub import HfApi  # noqa: E402


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = Hub(tmp_path_factory.mktemp("hubproto"))
    HfApi(endpoint=h.url, token=h.alice).create_repo("alice/p")
    yield h
    h.stop()


def head_sha(hub, repo="alice/p", rev="main"):
    return requests.get(f"{hub.url}/api/models/{repo}/revision/{rev}", headers=auth(hub), timeout=10).json()["sha"]


def auth(hub):
    return {"Authorization": f"Bearer {hub.alice}"}


def commit(hub, lines, repo="alice/p", rev="main"):
    body = "".join(json.dumps(l) + "\n" for l in lines)
    return requests.post(f"{hub.url}/api/models/{repo}/commit/{rev}", data=body.encode(),
                         headers={**auth(hub), "Content-Type": "application/x-ndjson"}, timeout=30)


def header(summary="c"):
    return {"key": "header", "value": {"summary": summary, "description": ""}}


def file_line(path, data):
    return {"key": "file", "value": {"content": base64.b64encode(data).decode(), "path": path, "encoding": "base64"}}


@pytest.mark.parametrize("path", ["../escape.txt", "a/../../b.txt", "/etc/passwd", "nul\0byte.txt", "a//b.txt", "./x"])
def test_path_traversal_refused_with_400(hub, path):
    before = head_sha(hub)
    r = commit(hub, [header(), file_line(path, b"x")])
    assert r.status_code == 400, r.text
    assert head_sha(hub) == before


def test_missing_lfs_object_refused_and_nothing_lands(hub):
    before = head_sha(hub)
    r = commit(hub, [header(), file_line("ok.txt", b"fine"),
                     {"key": "lfsFile", "value": {"path": "big.bin", "algo": "sha256", "oid": "ab" * 32, "size": 10}}])
    assert r.status_code == 400
    assert head_sha(hub) == before
    files = [e["path"] for e in requests.get(f"{hub.url}/api/models/alice/p/tree/main", timeout=10).json()]
    assert "ok.txt" not in files


def test_malformed_ndjson_refused(hub):
    before = head_sha(hub)
    for body in [b'{"key":"header","value":{}}\n{not json}\n', b'{"key":"file","value":{"content":"!!!!","path":"a"}}\n',
                 b'{"key":"bogus"}\n', b'{"key":"file","value":{"path":"nocontent.txt"}}\n']:
        r = requests.post(f"{hub.url}/api/models/alice/p/commit/main", data=body,
                          headers={**auth(hub), "Content-Type": "application/x-ndjson"}, timeout=10)
        assert r.status_code == 400, (body, r.status_code, r.text)
    assert head_sha(hub) == before


def test_oversized_commit_line_refused(hub):
    before = head_sha(hub)
    line = json.dumps({"key": "header", "value": {"summary": "s", "description": "x" * (2 << 20)}}) + "\n"
    r = requests.post(f"{hub.url}/api/models/alice/p/commit/main", data=line.encode(),
                      headers={**auth(hub), "Content-Type": "application/x-ndjson"}, timeout=30)
    assert r.status_code in (400, 413)
    assert head_sha(hub) == before


def test_client_disconnect_mid_upload_leaves_nothing(hub):
    before = head_sha(hub)
    payload = (json.dumps(header()) + "\n" + json.dumps(file_line("partial.bin", b"z" * 3_000_000)) + "\n").encode()
    port = int(hub.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((f"POST /api/models/alice/p/commit/main HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   f"Authorization: Bearer {hub.alice}\r\nContent-Type: application/x-ndjson\r\n"
                   f"Content-Length: {len(payload)}\r\n\r\n").encode())
        s.sendall(payload[: len(payload) // 2])
    # the server must notice and drop the commit; later requests still work
    assert head_sha(hub) == before
    r = requests.get(f"{hub.url}/alice/p/resolve/main/partial.bin", timeout=10)
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "EntryNotFound"


def test_parent_commit_mismatch_is_412(hub):
    r = commit(hub, [{"key": "header", "value": {"summary": "s", "parentCommit": "0" * 40}}, file_line("q.txt", b"q")])
    assert r.status_code == 412


def test_deleting_missing_file_is_entry_not_found(hub):
    r = commit(hub, [header(), {"key": "deletedFile", "value": {"path": "never-there.txt"}}])
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "EntryNotFound"


def test_tree_pages_through_absolute_link_repeating_params(hub):
    lines = [header("many")] + [file_line(f"d/f{i}.txt", str(i).encode()) for i in range(7)]
    assert commit(hub, lines).status_code == 200
    url = f"{hub.url}/api/models/alice/p/tree/main?recursive=true&expand=false&limit=3"
    seen = []
    while url:
        r = requests.get(url, timeout=10)
        assert r.status_code == 200
        seen += [e["path"] for e in r.json()]
        nxt = r.links.get("next", {}).get("url")
        if nxt:
            assert nxt.startswith(hub.url + "/")
            q = urllib.parse.parse_qs(urllib.parse.urlparse(nxt).query)
            assert q["recursive"] == ["true"] and q["expand"] == ["false"] and q["limit"] == ["3"]
        url = nxt
    assert "d" in seen and all(f"d/f{i}.txt" in seen for i in range(7))
    assert len(seen) == len(set(seen))


def test_tree_entries_carry_cid_and_no_xet_hash(hub):
    entries = requests.get(f"{hub.url}/api/models/alice/p/tree/main/d", timeout=10).json()
    assert entries and all(e["type"] == "file" and e["cid"] and "xetHash" not in e for e in entries)
    r = requests.get(f"{hub.url}/api/models/alice/p/tree/main/nope", timeout=10)
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "EntryNotFound"


def test_paths_info_returns_existing_entries(hub):
    r = requests.post(f"{hub.url}/api/models/alice/p/paths-info/main", data={"paths": ["d/f1.txt", "d", "missing"], "expand": "false"},
                      timeout=10)
    assert r.status_code == 200
    assert {(e["type"], e["path"]) for e in r.json()} == {("file", "d/f1.txt"), ("directory", "d")}


def test_encoded_revision_and_errors_carry_error_codes(hub):
    r = requests.get(f"{hub.url}/api/models/alice/p/revision/refs%2Fheads%2Fmain", timeout=10)
    assert r.status_code == 200 and len(r.json()["sha"]) == 40
    for url, code in [(f"{hub.url}/api/models/alice/nope", "RepoNotFound"),
                      (f"{hub.url}/api/models/alice/p/revision/nobranch", "RevisionNotFound"),
                      (f"{hub.url}/alice/p/resolve/main/none.txt", "EntryNotFound"),
                      (f"{hub.url}/alice/nope/resolve/main/x", "RepoNotFound")]:
        r = requests.get(url, timeout=10)
        assert r.status_code == 404 and r.headers.get("X-Error-Code") == code, url
    r = requests.post(f"{hub.url}/api/repos/create", json={"name": "x"}, timeout=10)
    assert r.status_code == 401 and r.headers.get("X-Error-Code")


def test_kubo_rpc_prefix_is_not_captured_by_the_hub(hub):
    r = requests.post(f"{hub.url}/api/v0/version", timeout=10)
    assert r.headers.get("X-Error-Code") not in ("RepoNotFound", "RevisionNotFound", "EntryNotFound")


def test_validate_yaml_and_preupload(hub):
    r = requests.post(f"{hub.url}/api/validate-yaml", json={"content": "---\nlicense: mit\n---\n", "repoType": "model"}, timeout=10)
    assert r.status_code == 200 and r.json() == {"errors": [], "warnings": []}
    r = requests.post(f"{hub.url}/api/validate-yaml", json={"content": "---\nlicense: mit\n", "repoType": "model"}, timeout=10)
    assert r.status_code == 400 and r.json()["errors"]
    commit(hub, [header(), file_line("pre.txt", b"pre")])
    r = requests.post(f"{hub.url}/api/models/alice/p/preupload/main", headers=auth(hub), timeout=10,
                      json={"files": [{"path": "pre.txt", "sample": base64.b64encode(b"pre").decode(), "size": 3},
                                      {"path": "new.txt", "sample": "", "size": 0}]})
    files = {f["path"]: f for f in r.json()["files"]}
    assert files["pre.txt"]["oid"] == hashlib.sha1(b"blob 3\0pre").hexdigest()
    assert files["new.txt"]["uploadMode"] == "regular" and files["new.txt"]["shouldIgnore"] is False
    assert "oid" not in files["new.txt"]


def test_gateway_serves_public_files_only(hub):
    data = b"gateway bytes"
    commit(hub, [header(), file_line("gw.txt", data)])
    cid = requests.head(f"{hub.url}/alice/p/resolve/main/gw.txt", timeout=10).headers["X-IPFS-CID"]
    r = requests.get(f"{hub.url}/ipfs/{cid}", timeout=10)
    assert r.status_code == 200 and r.content == data
    r = requests.get(f"{hub.url}/ipfs/{cid}", headers={"Range": "bytes=0-6"}, timeout=10)
    assert r.status_code == 206 and r.content == data[:7]
    HfApi(endpoint=hub.url, token=hub.alice).create_repo("alice/gwpriv", private=True)
    HfApi(endpoint=hub.url, token=hub.alice).upload_file(path_or_fileobj=b"private gateway bytes", path_in_repo="p.txt", repo_id="alice/gwpriv")
    pcid = requests.head(f"{hub.url}/alice/gwpriv/resolve/main/p.txt", headers=auth(hub), timeout=10).headers["X-IPFS-CID"]
    assert requests.get(f"{hub.url}/ipfs/{pcid}", timeout=10).status_code == 404


def test_admin_api_creates_users_and_tokens(hub):
    root = {"Authorization": f"Bearer {hub.root}"}
    assert requests.post(f"{hub.url}/api/admin/users", json={"name": "carol"}, headers=auth(hub), timeout=10).status_code == 403
    assert requests.post(f"{hub.url}/api/admin/users", json={"name": "carol"}, headers=root, timeout=10).status_code == 200
    tok = requests.post(f"{hub.url}/api/admin/tokens", json={"user": "carol", "write": True}, headers=root, timeout=10).json()["token"]
    assert HfApi(endpoint=hub.url, token=tok).whoami()["name"] == "carol"


def test_metrics_count_hub_requests_by_route_template_and_status(hub):
    """/metrics (the process's one Prometheus registry) counts hub requests by route template, never
    by repo or file, including authentication's refusals."""
    route = "/api/models/**"  # the template the router matched: the API dispatches below it
    ok = metric(hub.url, "hub_requests_total", route=route, method="GET", status="200", served_by="local")
    refused = metric(hub.url, "hub_requests_total", route=route, method="GET", status="401")
    head_sha(hub)
    head_sha(hub)
    r = requests.get(f"{hub.url}/api/models/alice/p/revision/main", headers={"Authorization": "Bearer hf_wrong"}, timeout=10)
    assert r.status_code == 401
    assert metric(hub.url, "hub_requests_total", route=route, method="GET", status="200", served_by="local") - ok == 2
    assert metric(hub.url, "hub_requests_total", route=route, method="GET", status="401") - refused == 1
    assert metric(hub.url, "hub_request_duration_seconds_count", route=route, method="GET") >= 3
    text = requests.get(hub.url + "/metrics", timeout=10).text
    assert "alice/p" not in text
    assert "hf_server_models_loaded" in text  # the model server's series beside the hub's
