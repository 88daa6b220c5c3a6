"""A model named by a repo id the hub does not hold is pulled through the hub's fallback source
(another `ipfs-accelerate serve`), then served by the model server: the same greedy tokens as the
source serving it itself, still served once the source is gone, and nothing of a private upstream
repo or of a repo the fallback cannot find."""
import json
import os
import pathlib

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import openai  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402

import huggingface_hub.constants as hf_constants  # noqa: E402
from huggingface_hub import HfApi  # noqa: E402

from model_server_support import client  # noqa: E402

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / ".build-fixtures"


def token(server, name):
    server.cli("user", "add", name)
    return server.cli("token", "create", name, "--write").stdout.decode().strip().splitlines()[-1]


def greedy(oa, model, prompt="The quick brown fox", n=12):
    r = oa.completions.create(model=model, prompt=prompt, max_tokens=n, temperature=0,
                              extra_body={"ignore_eos": True})
    return r.choices[0].text, r.usage.completion_tokens


def test_a_model_missing_here_is_pulled_through_the_fallback_and_served(start_server, monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_XET", True)
    folder = FIXTURES / "hf" / "qwen2"
    if not folder.exists():
        pytest.fail(f"{folder} is missing: scripts/test makes the fixtures")
    up = start_server(env={"HUB_UPLOAD_MODE": "lfs", "HUB_LFS_THRESHOLD": "1048576"}, subdir="up")
    api = HfApi(endpoint=up.url, token=token(up, "carol"))
    api.create_repo("carol/tiny-qwen2")
    api.upload_folder(repo_id="carol/tiny-qwen2", folder_path=str(folder))
    # A file no loader reads must not be fetched.
    api.upload_file(path_or_fileobj=b"\0" * 4096, path_in_repo="pytorch_model.bin", repo_id="carol/tiny-qwen2")
    api.create_repo("carol/hidden", private=True)
    api.upload_folder(repo_id="carol/hidden", folder_path=str(folder))
    admin = up.cli("token", "create", "carol").stdout.decode().strip().splitlines()[-1]
    want = greedy(client(up), "carol/tiny-qwen2")
    assert want[1] == 12

    sources = [{"name": "peer", "url": up.url, "source_type": "hub", "priority": 1, "token": admin}]
    mirror = start_server(env={"HUB_FALLBACK_SOURCES": json.dumps(sources)}, subdir="mirror")
    oa = client(mirror)
    assert greedy(oa, "carol/tiny-qwen2") == want
    chat = oa.chat.completions.create(model="carol/tiny-qwen2", max_tokens=4, temperature=0,
                                      messages=[{"role": "user", "content": "Hi"}])
    assert chat.usage.completion_tokens >= 1

    # Pulled through the mirror store: the files are mirrored copies there, the .bin was not fetched.
    fetched = sorted(p.name for p in (pathlib.Path(mirror.data_dir) / "models" / ".hub").glob("mirror-*/*"))
    assert fetched == sorted(p.name for p in folder.iterdir() if p.is_file()), fetched
    r = requests.get(f"{mirror.url}/carol/tiny-qwen2/resolve/main/config.json", timeout=30)
    assert r.status_code == 200 and r.headers.get("X-Source") == "peer", r.headers

    # The private upstream repo is readable by the source's token, but never loaded by repo id.
    r = requests.post(mirror.url + "/v1/completions", json={"model": "carol/hidden", "prompt": "x"}, timeout=60)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        oa.completions.create(model="carol/no-such-model", prompt="x", max_tokens=1)

    # With the source gone and the model unloaded, the mirrored copy still serves it.
    up.stop()
    mirror.stop()
    again = start_server(env={"HUB_FALLBACK_SOURCES": json.dumps(sources)}, subdir="mirror")
    assert greedy(client(again), "carol/tiny-qwen2") == want
