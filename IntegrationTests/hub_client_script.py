"""Runs inside another virtualenv (e.g. huggingface_hub 0.x): the main client calls against a hub.

Usage: python hub_client_script.py URL WRITE_TOKEN WORKDIR; prints OK on success.
"""
import hashlib
import os
import pathlib
import sys

# 0.x builds commit URLs against HF_ENDPOINT whatever endpoint= says: set it as users do.
os.environ["HF_ENDPOINT"] = sys.argv[1]
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

import huggingface_hub  # noqa: E402
from huggingface_hub import HfApi, hf_hub_download, snapshot_download  # noqa: E402
from huggingface_hub.utils import RepositoryNotFoundError  # noqa: E402

url, token, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
api = HfApi(endpoint=url, token=token)
me = api.whoami()["name"]
repo = f"{me}/client-{huggingface_hub.__version__.replace('.', '-')}"
api.create_repo(repo, exist_ok=True)
api.create_repo(repo, exist_ok=True)
files = {"config.json": b'{"a": 1}\n', "weights/w.bin": os.urandom(3 * 1024 * 1024)}
for i in range(20):
    files[f"t/{i}.txt"] = f"{i}\n".encode()
src = work / "src"
for rel, data in files.items():
    (src / rel).parent.mkdir(parents=True, exist_ok=True)
    (src / rel).write_bytes(data)
api.upload_folder(folder_path=str(src), repo_id=repo)
sha = api.repo_info(repo).sha
api.upload_folder(folder_path=str(src), repo_id=repo)
assert api.repo_info(repo).sha == sha, "unchanged re-upload made a commit"
out = pathlib.Path(snapshot_download(repo, endpoint=url, token=token, cache_dir=str(work / "cache")))
got = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
assert got == files, sorted(got)
p = hf_hub_download(repo, "weights/w.bin", endpoint=url, token=token, cache_dir=str(work / "cache2"))
assert hashlib.sha256(open(p, "rb").read()).hexdigest() == hashlib.sha256(files["weights/w.bin"]).hexdigest()
assert sorted(api.list_repo_files(repo)) == sorted(files)
assert api.file_exists(repo, "config.json") and not api.file_exists(repo, "nope")
api.delete_file("config.json", repo_id=repo)
assert not api.file_exists(repo, "config.json")
api.create_branch(repo, branch="dev")
api.create_repo(f"{me}/private-0x", private=True, exist_ok=True)
try:
    hf_hub_download(f"{me}/private-0x", "x", endpoint=url, token=False, cache_dir=str(work / "c3"))
    raise SystemExit("private repo served without a token")
except RepositoryNotFoundError:
    pass
print("OK", huggingface_hub.__version__)
