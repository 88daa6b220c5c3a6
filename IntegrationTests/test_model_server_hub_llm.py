"""A Hugging Face safetensors causal-LM folder (config.json + model.safetensors + tokenizer.json +
tokenizer_config.json) uploaded to the hub with the real huggingface_hub client is served for
chat and completions by its repo id and by its CID, and gives the same greedy tokens as the same
folder by path and as its GGUF conversion."""
import os
import pathlib

import pytest
import requests
from huggingface_hub import HfApi

from hub_helpers import Hub
from model_server_support import client

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / ".build-fixtures"


def fixture(*parts) -> pathlib.Path:
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: scripts/test makes the fixtures (Tests/InferenceTests/Fixtures)")
    return path


def greedy(oa, model, prompt, n=12):
    r = oa.completions.create(model=model, prompt=prompt, max_tokens=n, temperature=0,
                              extra_body={"ignore_eos": True})
    return r.choices[0].text, r.usage.completion_tokens


@pytest.mark.parametrize("arch", ["qwen2", "llama-gqa"])
def test_a_safetensors_folder_in_the_hub_generates_by_repo_id_and_by_cid(tmp_path, arch):
    folder = fixture("hf", arch)
    gguf = fixture("arch", f"{arch}.gguf")
    hub = Hub(tmp_path, env={"HF_SERVER_MODEL_DIRS": f"{folder.parent}:{gguf.parent}"})
    try:
        api = HfApi(endpoint=hub.url, token=hub.alice)
        api.create_repo(f"alice/{arch}")
        api.upload_folder(repo_id=f"alice/{arch}", folder_path=str(folder))
        api.create_repo(f"alice/{arch}-private", private=True)
        api.upload_folder(repo_id=f"alice/{arch}-private", folder_path=str(folder))
        cid = hub.server.cli("add", "-r", "-Q", str(folder)).stdout.decode().strip()

        status = requests.get(hub.url + "/status", timeout=30).json()
        assert f"alice/{arch}" in status["models_available"]
        assert f"alice/{arch}-private" not in status["models_available"]

        oa = client(hub.server)
        prompt = "The quick brown fox"
        by_path, n = greedy(oa, str(folder), prompt)
        assert n == 12
        assert greedy(oa, f"alice/{arch}", prompt) == (by_path, n)
        assert greedy(oa, f"ipfs://{cid}", prompt) == (by_path, n)
        assert greedy(oa, str(gguf), prompt) == (by_path, n)

        chat = oa.chat.completions.create(model=f"alice/{arch}", max_tokens=6, temperature=0,
                                          messages=[{"role": "user", "content": "Hello"}])
        assert chat.choices[0].message.role == "assistant"
        assert chat.usage.completion_tokens >= 1

        r = requests.post(hub.url + "/v1/completions", json={"model": f"alice/{arch}-private", "prompt": "x"}, timeout=60)
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "model_not_found"
    finally:
        hub.stop()
