"""`embed` and `generate` take a model by CID: the model is added to the store with `add`, then run
from the store (every block verified) and gives what the same model gives from its path."""
import json
import os
import subprocess

from conftest import BIN
from model_server_support import minilm_dir, smollm_gguf


def run(*args, data_dir):
    return subprocess.run([BIN, *args, "--data-dir", str(data_dir)], capture_output=True, check=True, timeout=600)


def test_embed_and_generate_run_models_stored_by_cid(tmp_path):
    data = tmp_path / "data"
    folder_cid = run("add", "-r", "-Q", minilm_dir(), data_dir=data).stdout.decode().strip()
    gguf_cid = run("add", "-Q", smollm_gguf(), data_dir=data).stdout.decode().strip()

    texts = ["A man is eating food.", "A man is riding a horse."]
    by_cid = json.loads(run("embed", "--model", f"ipfs://{folder_cid}", *texts, data_dir=data).stdout)
    by_path = json.loads(run("embed", "--model", minilm_dir(), *texts, data_dir=data).stdout)
    assert by_cid == by_path
    assert abs(sum(a * b for a, b in zip(*by_cid)) - 0.247) < 0.01  # all-MiniLM-L6-v2's reference value

    prompt = "The capital of France is"
    gen_cid = run("generate", "--model", gguf_cid, "--max-tokens", "3", prompt, data_dir=data).stdout.decode()
    gen_path = run("generate", "--model", smollm_gguf(), "--max-tokens", "3", prompt, data_dir=data).stdout.decode()
    assert gen_cid == gen_path
    assert gen_cid.startswith(" Paris"), gen_cid  # llama.cpp's greedy continuation for this GGUF

    bad = subprocess.run([BIN, "embed", "--model", "ipfs://not-a-cid", "x", "--data-dir", str(data)],
                         capture_output=True, timeout=60)
    assert bad.returncode != 0 and b"cid" in bad.stderr.lower(), bad.stderr
