"""A model uploaded to the hub with the real huggingface_hub client is served by the model server
under its repo id, in the same process, and listed in /status models_available."""
import os

import numpy as np
import requests
from huggingface_hub import HfApi

from hub_helpers import Hub
from model_server_support import client, minilm_dir


def test_a_hub_repo_id_names_a_model_the_server_runs(tmp_path):
    folder = minilm_dir()
    # The same model by path, for comparison: its folder must be a configured model folder.
    hub = Hub(tmp_path, env={"HF_SERVER_MODEL_DIRS": os.path.dirname(str(folder))})
    try:
        api = HfApi(endpoint=hub.url, token=hub.alice)
        api.create_repo("alice/minilm")
        api.upload_folder(repo_id="alice/minilm", folder_path=folder,
                          allow_patterns=["*.json", "*.txt", "*.safetensors"])
        api.create_repo("alice/secret-minilm", private=True)
        api.upload_folder(repo_id="alice/secret-minilm", folder_path=folder,
                          allow_patterns=["*.json", "*.txt", "*.safetensors"])

        status = requests.get(hub.url + "/status", timeout=30).json()
        assert "alice/minilm" in status["models_available"]
        assert "alice/secret-minilm" not in status["models_available"]

        oa = client(hub.server)
        texts = ["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."]
        from_hub = oa.embeddings.create(model="alice/minilm", input=texts)
        from_path = oa.embeddings.create(model=folder, input=texts)
        a = np.array([d.embedding for d in from_hub.data])
        b = np.array([d.embedding for d in from_path.data])
        assert a.shape == (3, 384)
        assert np.allclose(a, b, atol=1e-6)
        # The semantic check no stand-in can fake (reference values of all-MiniLM-L6-v2).
        assert abs(float(a[0] @ a[1]) - 0.755) < 0.01
        assert abs(float(a[0] @ a[2]) - 0.247) < 0.01

        # A private repo's weights are not exposed through the model server.
        r = requests.post(hub.url + "/v1/embeddings", json={"model": "alice/secret-minilm", "input": "x"}, timeout=60)
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "model_not_found"
    finally:
        hub.stop()
