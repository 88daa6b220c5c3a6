"""`ipfs-accelerate gc` while a commit is still streaming into `serve`: the blocks the upload has
stored but not yet committed are spared (the process announces its write in the store), so the
commit lands whole and downloads byte for byte. Before, gc saw nothing referring to those blocks
and removed them, and the commit then named content that was gone."""
import base64
import json
import os
import threading
import time

import requests
from huggingface_hub import HfApi, hf_hub_download

from hub_helpers import Hub, random_bytes


def test_gc_mid_upload_spares_the_uploads_blocks(tmp_path):
    hub = Hub(tmp_path)
    try:
        HfApi(endpoint=hub.url, token=hub.alice).create_repo("alice/racing")
        payload = random_bytes(5 << 20, seed=11)
        encoded = base64.b64encode(payload).decode()
        head = json.dumps({"key": "header", "value": {"summary": "upload raced by gc", "description": ""}}) + "\n"
        line = json.dumps({"key": "file", "value": {"content": encoded, "path": "weights.bin", "encoding": "base64"}}) + "\n"
        split = line.index(encoded) + len(encoded) * 4 // 5   # about 4 MiB of the file sent before the pause
        paused, resume = threading.Event(), threading.Event()

        def body():
            yield (head + line[:split]).encode()
            paused.set()
            assert resume.wait(120)
            yield line[split:].encode()

        result = {}

        def upload():
            result["response"] = requests.post(
                f"{hub.url}/api/models/alice/racing/commit/main", data=body(),
                headers={"Authorization": f"Bearer {hub.alice}", "Content-Type": "application/x-ndjson"}, timeout=180)

        t = threading.Thread(target=upload)
        t.start()
        assert paused.wait(60)
        # Wait until the leaves of the first MiBs are in the store; nothing refers to them yet.
        deadline = time.monotonic() + 60
        while count_blocks(hub) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        leaves_before = count_blocks(hub)
        out = hub.server.cli("gc").stdout.decode()
        resume.set()
        t.join(180)
        r = result["response"]
        assert r.status_code == 200, r.text
        assert leaves_before >= 3, f"the upload had stored {leaves_before} blocks when gc ran"
        assert "spared" in out, out

        path = hf_hub_download("alice/racing", "weights.bin", endpoint=hub.url, token=hub.alice,
                               cache_dir=str(tmp_path / "cache"))
        with open(path, "rb") as f:
            assert f.read() == payload
        # With the upload committed, a second gc keeps every block the file needs.
        hub.server.cli("gc")
        again = requests.get(f"{hub.url}/alice/racing/resolve/main/weights.bin",
                             headers={"Authorization": f"Bearer {hub.alice}"}, timeout=60)
        assert again.status_code == 200 and again.content == payload
    finally:
        hub.stop()


def count_blocks(hub):
    blocks = os.path.join(hub.server.data_dir, "blocks")
    return sum(1 for _, _, files in os.walk(blocks) for f in files if f.endswith(".data"))
