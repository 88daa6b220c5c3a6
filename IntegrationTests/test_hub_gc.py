"""`ipfs-accelerate gc` keeps what the hub refers to (hub files are not pinned) and still removes
blocks nothing refers to."""
import os

from huggingface_hub import HfApi, hf_hub_download

from hub_helpers import Hub, random_bytes


def test_gc_keeps_hub_files_and_removes_unreferenced_blocks(tmp_path):
    hub = Hub(tmp_path)
    try:
        api = HfApi(endpoint=hub.url, token=hub.alice)
        api.create_repo("alice/kept")
        payload = random_bytes(3 << 20, seed=7)
        api.upload_file(path_or_fileobj=payload, path_in_repo="weights.bin", repo_id="alice/kept")

        stray = tmp_path / "stray.bin"
        stray.write_bytes(random_bytes(1 << 20, seed=8))
        stray_cid = hub.server.cli("add", "-Q", "--pin=false", str(stray)).stdout.decode().strip()

        out = hub.server.cli("gc").stdout.decode()
        # 1 MiB in 256 KiB leaves: 4 leaves and their root, the only unreferenced blocks.
        assert out.strip().splitlines()[-1].startswith("removed 5 blocks"), out
        assert hub.server.cli("cat", stray_cid, check=False).returncode != 0  # the stray file is gone ...

        # ... and the hub's file is still served, byte for byte, from the store.
        path = hf_hub_download("alice/kept", "weights.bin", endpoint=hub.url, token=hub.alice,
                               cache_dir=str(tmp_path / "cache"))
        with open(path, "rb") as f:
            assert f.read() == payload
    finally:
        hub.stop()
