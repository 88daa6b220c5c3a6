"""Embeddings `dimensions` through the official `openai` client: honoured for a model whose
config.json declares Matryoshka dimensions, refused (400) for one that does not, as vLLM does.
The Matryoshka model is the all-MiniLM-L6-v2 folder with `matryoshka_dimensions` added; the
expected vectors are numpy's truncation and renormalisation of the full vector."""
import json
import os

import numpy as np
import openai
import pytest

from conftest import Server
from model_server_support import client, minilm_dir, wait_ready

EMBED = minilm_dir()
DIMS = [64, 128, 256]
TEXTS = ["The quick brown fox jumps over the lazy dog.", "IPFS addresses content by its hash."]


@pytest.fixture(scope="module")
def mrl_dir(tmp_path_factory):
    """The same weights (symlinked) with matryoshka_dimensions in config.json."""
    folder = tmp_path_factory.mktemp("minilm-mrl")
    for name in os.listdir(EMBED):
        if name != "config.json":
            os.symlink(os.path.join(EMBED, name), folder / name)
    with open(os.path.join(EMBED, "config.json")) as f:
        config = json.load(f)
    config["matryoshka_dimensions"] = DIMS
    (folder / "config.json").write_text(json.dumps(config))
    return str(folder)


@pytest.fixture(scope="module")
def server(tmp_path_factory, mrl_dir):
    s = Server(tmp_path_factory.mktemp("mrl-server"), env={
        "HF_SERVER_PRELOAD_MODELS": f"{EMBED},{mrl_dir}",
        "HF_SERVER_ENABLE_CACHING": "false",
    })
    wait_ready(s)
    yield s
    s.stop()


def truncate_renormalise(v, d):
    p = np.asarray(v, dtype=np.float64)[:d]
    return p / np.linalg.norm(p)


def test_matryoshka_model_truncates_and_renormalises(server, mrl_dir):
    c = client(server)
    full = c.embeddings.create(model=mrl_dir, input=TEXTS, encoding_format="float")
    assert all(len(d.embedding) == 384 for d in full.data)
    # Without encoding_format the client asks for base64 and decodes the float32 bytes itself.
    for encoding in [{"encoding_format": "float"}, {}]:
        short = c.embeddings.create(model=mrl_dir, input=TEXTS, dimensions=128, **encoding)
        assert [d.index for d in short.data] == [0, 1]
        for f, s in zip(full.data, short.data):
            v = np.asarray(s.embedding, dtype=np.float64)
            assert v.shape == (128,)
            assert abs(np.linalg.norm(v) - 1) < 1e-6
            assert np.allclose(v, truncate_renormalise(f.embedding, 128), atol=1e-6)
        # Usage counts the input tokens, whatever the output width.
        assert short.usage.prompt_tokens == full.usage.prompt_tokens
        assert short.usage.total_tokens == full.usage.total_tokens
    # The copy is the same model: its full vectors are the original's.
    plain = c.embeddings.create(model=EMBED, input=TEXTS, encoding_format="float")
    assert np.allclose([d.embedding for d in plain.data], [d.embedding for d in full.data], atol=1e-6)


@pytest.mark.parametrize("d", [100, 0, 385])
def test_matryoshka_model_refuses_widths_outside_its_list(server, mrl_dir, d):
    with pytest.raises(openai.BadRequestError) as err:
        client(server).embeddings.create(model=mrl_dir, input="x", dimensions=d, encoding_format="float")
    assert err.value.status_code == 400
    assert err.value.param == "dimensions"
    body = err.value.body
    assert body["type"] == "invalid_request_error"
    assert "64, 128, 256, 384" in body["message"], body


def test_model_without_matryoshka_still_refuses_dimensions(server):
    with pytest.raises(openai.BadRequestError) as err:
        client(server).embeddings.create(model=EMBED, input="x", dimensions=128, encoding_format="float")
    assert err.value.param == "dimensions"
    assert EMBED in err.value.body["message"] and "384" in err.value.body["message"]
