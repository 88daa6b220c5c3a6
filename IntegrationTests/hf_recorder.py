"""A small stand-in for huggingface.co that answers with the URL shapes and headers the real Hub uses
(docs/hf-hub-protocol.md): models at /{ns}/{name}/resolve/..., API under /api/models/...; regular files
200 with the git blob sha1 as ETag; LFS files 302 to another origin (the "CDN", a second port) carrying
X-Linked-Etag / X-Linked-Size / X-Repo-Commit; missing repos 401 + X-Error-Code: RepoNotFound (as HF does
for anonymous callers). It records every request, so tests can count what reached the upstream."""
import hashlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, repo_id, files, lfs=(), gated=False, sha=None):
        self.id = repo_id
        self.files = dict(files)
        self.lfs = set(lfs)
        self.gated = gated
        self.sha = sha or hashlib.sha1(repo_id.encode()).hexdigest()


class Recorder:
    def __init__(self, repos, page_size=2, chunk_delay=0.0, probe_delay=0.0):
        self.repos = {r.id: r for r in repos}
        self.requests = []  # (server, method, path, headers)
        self.lock = threading.Lock()
        self.page_size = page_size
        self.chunk_delay = chunk_delay
        self.probe_delay = probe_delay
        # Failure injection: the CDN answers blob downloads with this status after `cdn_delay` seconds.
        self.cdn_status = None
        self.cdn_delay = 0.0
        self.hub = ThreadingHTTPServer(("127.0.0.1", 0), self._handler("hub"))
        self.cdn = ThreadingHTTPServer(("127.0.0.1", 0), self._handler("cdn"))
        self.hub.daemon_threads = self.cdn.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.hub.server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self.cdn.server_address[1]}"
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self.hub, self.cdn)]
        for t in self.threads:
            t.start()

    def stop(self):
        for s in (self.hub, self.cdn):
            s.shutdown()
            s.server_close()

    def count(self, method, path, server="hub"):
        with self.lock:
            return sum(1 for s, m, p, _ in self.requests if s == server and m == method and p.split("?")[0] == path)

    def seen(self):
        with self.lock:
            return list(self.requests)

    def _handler(self, which):
        rec = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _record(self):
                with rec.lock:
                    rec.requests.append((which, self.command, self.path, dict(self.headers)))

            def _send(self, status, body=b"", headers=None, head=False):
                self.send_response(status)
                hs = {"Content-Length": str(len(body))}
                hs.update(headers or {})
                for k, v in hs.items():
                    self.send_header(k, v)
                self.end_headers()
                if not head and body:
                    self.wfile.write(body)

            def _json(self, obj, status=200, headers=None, head=False):
                h = {"Content-Type": "application/json"}
                h.update(headers or {})
                self._send(status, json.dumps(obj).encode(), h, head)

            def _error(self, status, code, message, head=False, extra=None):
                h = {"X-Error-Code": code, "X-Error-Message": message}
                h.update(extra or {})
                self._json({"error": message}, status, h, head)

            def do_HEAD(self):
                self._record()
                self._route(head=True)

            def do_GET(self):
                self._record()
                self._route(head=False)

            def do_POST(self):
                self._record()
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode()
                parts = self._parts()
                if len(parts) >= 5 and parts[0] == "api" and parts[4] == "paths-info":
                    repo = rec.repos.get(f"{parts[2]}/{parts[3]}")
                    if not repo:
                        return self._error(401, "RepoNotFound", "Repository not found")
                    paths = [v for k, v in urllib.parse.parse_qsl(body) if k == "paths"]
                    return self._json([self._entry(repo, p) for p in paths if p in repo.files])
                self._error(404, "EntryNotFound", "no such route")

            def _parts(self):
                path = urllib.parse.urlsplit(self.path).path
                return [urllib.parse.unquote(p) for p in path.strip("/").split("/")]

            def _entry(self, repo, path):
                data = repo.files[path]
                e = {"type": "file", "path": path, "size": len(data), "oid": git_sha1(data)}
                if path in repo.lfs:
                    e["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                return e

            def _info(self, repo, blobs):
                sib = []
                for p, d in sorted(repo.files.items()):
                    s = {"rfilename": p}
                    if blobs:
                        s.update(size=len(d), blobId=git_sha1(d))
                        if p in repo.lfs:
                            s["lfs"] = {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d), "pointerSize": 134}
                    sib.append(s)
                return {"_id": repo.id, "id": repo.id, "modelId": repo.id, "author": repo.id.split("/")[0], "sha": repo.sha,
                        "private": False, "gated": repo.gated, "disabled": False, "lastModified": "2025-01-01T00:00:00.000Z",
                        "createdAt": "2025-01-01T00:00:00.000Z", "tags": [], "downloads": 0, "likes": 0, "siblings": sib}

            def _route(self, head):
                if which == "cdn":
                    return self._cdn(head)
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                parts = self._parts()
                if parts[:2] == ["api", "models"] and len(parts) == 2:
                    author = q.get("author")
                    items = [{"id": r.id, "modelId": r.id, "author": r.id.split("/")[0], "sha": r.sha}
                             for r in rec.repos.values() if not author or r.id.split("/")[0] == author]
                    return self._json(items, head=head)
                if parts[:2] == ["api", "models"] and len(parts) >= 4:
                    repo = rec.repos.get(f"{parts[2]}/{parts[3]}")
                    if not repo:
                        return self._error(401, "RepoNotFound", "Repository not found", head)
                    rest = parts[4:]
                    if not rest:
                        if rec.probe_delay:
                            time.sleep(rec.probe_delay)
                        return self._json(self._info(repo, q.get("blobs") == "true"), head=head)
                    if rest[0] == "revision":
                        rev = "/".join(rest[1:])
                        if rev not in ("main", repo.sha):
                            return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", head)
                        return self._json(self._info(repo, q.get("blobs") == "true"), head=head)
                    if rest[0] == "tree":
                        rev = rest[1]
                        if rev not in ("main", repo.sha):
                            return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", head)
                        sub = "/".join(rest[2:])
                        entries = []
                        dirs = set()
                        for p in sorted(repo.files):
                            if sub and not p.startswith(sub + "/"):
                                continue
                            rel = p[len(sub) + 1:] if sub else p
                            comps = rel.split("/")
                            if q.get("recursive") == "true":
                                for i in range(1, len(comps)):
                                    d = "/".join(([sub] if sub else []) + comps[:i])
                                    if d not in dirs:
                                        dirs.add(d)
                                        entries.append({"type": "directory", "path": d, "oid": git_sha1(d.encode()), "size": 0})
                                entries.append(self._entry(repo, p))
                            elif len(comps) == 1:
                                entries.append(self._entry(repo, p))
                            else:
                                d = "/".join(([sub] if sub else []) + comps[:1])
                                if d not in dirs:
                                    dirs.add(d)
                                    entries.append({"type": "directory", "path": d, "oid": git_sha1(d.encode()), "size": 0})
                        start = int(q.get("cursor", "0"))
                        page = entries[start:start + rec.page_size]
                        headers = {}
                        if start + rec.page_size < len(entries):
                            nq = dict(q)
                            nq["cursor"] = str(start + rec.page_size)
                            headers["Link"] = f'<{rec.url}{url.path}?{urllib.parse.urlencode(nq)}>; rel="next"'
                        return self._json(page, headers=headers, head=head)
                    return self._error(404, "EntryNotFound", "no such route", head)
                # /{ns}/{name}/resolve/{rev}/{path}
                if len(parts) >= 5 and parts[2] == "resolve":
                    repo = rec.repos.get(f"{parts[0]}/{parts[1]}")
                    if not repo:
                        return self._error(401, "RepoNotFound", "Repository not found", head)
                    rev, path = parts[3], "/".join(parts[4:])
                    if rev not in ("main", repo.sha):
                        return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", head)
                    if repo.gated:
                        return self._error(403, "GatedRepo", "Access to this model is restricted", head)
                    if path not in repo.files:
                        return self._error(404, "EntryNotFound", f"{path} does not exist", head, {"X-Repo-Commit": repo.sha})
                    data = repo.files[path]
                    if path in repo.lfs:
                        sha = hashlib.sha256(data).hexdigest()
                        loc = f"{rec.cdn_url}/repos/{repo.id}/{sha}?X-Amz-Signature=abc123"
                        return self._send(302, b"", {"Location": loc, "X-Repo-Commit": repo.sha, "X-Linked-Etag": f'"{sha}"',
                                                     "X-Linked-Size": str(len(data)), "ETag": f'"{sha}"'}, head)
                    return self._stream(data, {"ETag": f'"{git_sha1(data)}"', "X-Repo-Commit": repo.sha}, head)
                self._error(404, "EntryNotFound", "no such route", head)

            def _cdn(self, head):
                parts = self._parts()
                if rec.cdn_status and not head:
                    time.sleep(rec.cdn_delay)
                    return self._send(rec.cdn_status, b"cdn failure", head=head)
                if len(parts) >= 4 and parts[0] == "repos":
                    repo = rec.repos.get(f"{parts[1]}/{parts[2]}")
                    for p in (repo.files if repo else {}):
                        data = repo.files[p]
                        if hashlib.sha256(data).hexdigest() == parts[3]:
                            return self._stream(data, {"ETag": f'"{parts[3]}"'}, head)
                self._send(404, b"not found", head=head)

            def _stream(self, data, headers, head):
                h = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
                h.update(headers)
                rng = self.headers.get("Range")
                start, end, status = 0, len(data) - 1, 200
                if rng and rng.startswith("bytes="):
                    a, _, b = rng[6:].partition("-")
                    start = int(a) if a else 0
                    end = min(int(b), len(data) - 1) if b else len(data) - 1
                    status = 206
                    h["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                body = data[start:end + 1]
                self.send_response(status)
                h["Content-Length"] = str(len(body))
                for k, v in h.items():
                    self.send_header(k, v)
                self.end_headers()
                if head:
                    return
                step = 64 * 1024
                try:
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i:i + step])
                        if rec.chunk_delay:
                            time.sleep(rec.chunk_delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return H
