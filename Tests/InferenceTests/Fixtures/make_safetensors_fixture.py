#!/usr/bin/env python3
"""Writes dtypes.safetensors (the same values stored as F32, F16 and BF16, written by the `safetensors`
package) and dtypes.json (the float32 values torch reads back from each), the reference the Swift
safetensors loader's dtype conversions are tested against.

Run: pip install torch==2.13.0+cpu safetensors; python3 make_safetensors_fixture.py
"""
import json
import os

import safetensors
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))

def main():
    values = [0.0, -0.0, 1.0, -2.5, 3.14159265, 1e-3, -7.5e-5, 6.0e-8, 65504.0, 1e5, -1e-40, 0.333333,
              float("inf"), float("-inf"), 123.456, -0.1]
    base = torch.tensor(values, dtype=torch.float32).reshape(4, 4)
    tensors = {
        "values.f32": base.clone(),
        "values.f16": base.to(torch.float16),
        "values.bf16": base.to(torch.bfloat16),
        "scalar": torch.tensor(42.0),
        "ids.i64": torch.arange(6, dtype=torch.int64).reshape(2, 3),
    }
    save_file(tensors, os.path.join(HERE, "dtypes.safetensors"), metadata={"format": "pt"})
    out = {
        "generator": f"safetensors {safetensors.__version__}, torch {torch.__version__}",
        "shape": [4, 4],
        "expected": {name: [x if x == x and abs(x) != float("inf") else str(x) for x in t.float().flatten().tolist()]
                     for name, t in tensors.items() if name.startswith("values")},
    }
    with open(os.path.join(HERE, "dtypes.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("wrote dtypes.safetensors and dtypes.json")

if __name__ == "__main__":
    main()
