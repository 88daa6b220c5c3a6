"""The newest huggingface_hub 0.x (in its own virtualenv) against the hub, beside the 2.4.0 suite."""
import os
import pathlib
import subprocess
import sys

import pytest

from hub_helpers import Hub

VERSION = "0.36.2"
VENV = pathlib.Path(os.environ.get("HUB_0X_VENV", pathlib.Path.home() / ".cache" / "ipfs-accelerate-tests" / f"hf-{VERSION}"))


def venv_python():
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
        subprocess.run([str(py), "-m", "pip", "install", "-q", f"huggingface_hub=={VERSION}"], check=True, timeout=600)
    return py


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = Hub(tmp_path_factory.mktemp("hub0x"))
    yield h
    h.stop()


def test_huggingface_hub_0x_client_round_trip(hub, tmp_path):
    py = venv_python()
    script = pathlib.Path(__file__).with_name("hub_client_script.py")
    r = subprocess.run([str(py), str(script), hub.url, hub.alice, str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and f"OK {VERSION}" in r.stdout, r.stdout[-2000:] + r.stderr[-4000:]
