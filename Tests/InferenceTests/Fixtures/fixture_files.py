"""What the model-making fixture scripts share: the hash that ties committed expectations to the
very model bytes they were made from."""
import hashlib
import json
import sys


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_model(path, fixture, hint):
    """Exits unless `path` is byte-identical to the model `fixture`'s expectations came from."""
    with open(fixture, encoding="utf-8") as f:
        want = json.load(f)["model_sha256"]
    if sha256(path) != want:
        sys.exit(f"{path} differs from the file the expectations were made from (sha256 {want}); {hint}")
