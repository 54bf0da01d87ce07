#!/usr/bin/env bash
# Runs the same GGUF files through llama.cpp (npm node-llama-cpp's prebuilt
# CPU binary) and Ponder's runtime in one run and prints both side by side:
# load time, prompt (128 tokens) and decode tok/s for a random-weight model
# of Qwen2.5-0.5B's shape (or Llama-3.2-1B's with SHAPE=llama1b: the
# K-quants need widths that are multiples of 256), for each tensor type and
# thread count given.
#
#   scripts/bench-vs-llamacpp.sh                 # Q8_0 Q4_0, 1 and 2 threads
#   TYPES="Q8_0" THREADS="1" scripts/bench-vs-llamacpp.sh
#   SHAPE=llama1b TYPES="Q4_K Q6_K" scripts/bench-vs-llamacpp.sh
#
# Needs the npm reference installed (what .ci/run does):
#   NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --prefix localmodel/llama/testdata/llamacpp --ignore-scripts --omit=optional
# Each run writes a model file of 0.3-1.3 GB to a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
types=${TYPES:-"Q8_0 Q4_0"}
export PONDER_BENCH_SHAPE=${SHAPE:-qwen05}
threads=${THREADS:-"1 2"}
if ! [ -d localmodel/llama/testdata/llamacpp/node_modules/node-llama-cpp ]; then
  echo "node-llama-cpp is not installed (see the comment at the top of this script)" >&2
  exit 1
fi
go test -c -o /tmp/ponder-llama-bench.test ./localmodel/llama
for t in $types; do
  for n in $threads; do
    echo "== $PONDER_BENCH_SHAPE $t, $n thread(s)"
    (cd localmodel/llama && PONDER_BENCH_QWEN=$t PONDER_BENCH_THREADS=$n /tmp/ponder-llama-bench.test -test.run 'Qwen05Speed' -test.v -test.timeout 30m 2>&1 |
      grep -E 'ponder|llama.cpp|ratio|load|prefill|decode' | grep -v '^=== RUN' || true)
  done
done
