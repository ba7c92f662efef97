#!/usr/bin/env bash
# Chat while a backlog embeds: the demo bot (340 chunks) on a server with a bge-small-shaped embedding model (random
# weights, `parley model synth --arch bert`; written to MODEL_DIR once). The server queues the embed job at start.
#  1. backlog: one visitor after another (a question every 50 ms, each asked once) until the job is done: chat
#     latency while it runs, and the job's chunks per second meanwhile;
#  2. after: the same for 15 s with every vector in place (hybrid answers, question embedded each time);
#  3. the same two phases again under wrk (64 connections, 15 s each): answers/s and p50/p99 while the (now
#     restarted) backlog embeds, and after.
# Compare with bench/http/chat_load.sh (no embedding model) for lexical answers. Not under `chrt -f 50`: the embedding
# job's lanes run at nice 10 so that chat turns go first, which SCHED_FIFO for every thread would undo.
# Usage: bench/http/hybrid_backlog.sh [build dir] [f16|q8_0] [MODEL_DIR]
set -euo pipefail
build=${1:-build}
type=${2:-f16}
models=${3:-/tmp/parley-engine-bench}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
parley="$build/src/app/parley"
model="$models/bge-small-$type.gguf"
mkdir -p "$models"
[ -f "$model" ] || "$parley" model synth --arch bert --dim 384 --ff 1536 --layers 12 --heads 12 --kv-heads 12 \
  --vocab-from "$root/../shared/tokenizers/ggml-vocab-bert-bge.gguf" --type "$type" --out "$model" > /dev/null
# The wrk phases are closed loops at full capacity, which load shedding would answer with 503s (see chat_load.sh).
export PARLEY_BENCH_SHED_MS=${PARLEY_BENCH_SHED_MS:-0}
extra_config=$(printf '[engine]\nembedding_model = "%s"\nthreads = 2\n' "$model")

phase() {  # label, then the probe's arguments
  local label=$1
  shift
  echo "$label (load $(cut -d' ' -f1 /proc/loadavg)): $(python3 "$here/chat_probe.py" "$port" "$bot" "$@")"
}
source "$here/demo_server.sh"
key=$("$parley" --data "$data" key create --name bench)
phase "visitors, backlog embedding" --until-job-done --api-key "$key"
phase "visitors, all embedded" --seconds 15
kill "$server"; wait "$server" 2>/dev/null || true
source "$here/demo_server.sh"
echo "wrk, backlog embedding: $(BOT=$bot wrk -t 2 -c 64 -d 15s --latency -s "$here/chat.lua" "http://127.0.0.1:$port" | grep RESULT)"
sleep 25  # let the job finish (it gets little CPU under wrk)
echo "wrk, all embedded: $(BOT=$bot wrk -t 2 -c 64 -d 15s --latency -s "$here/chat.lua" "http://127.0.0.1:$port" | grep RESULT)"
