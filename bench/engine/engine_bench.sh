#!/usr/bin/env bash
# The engine's speed figures of docs/PERFORMANCE.md: synthesizes random-weight models with the exact shapes and type
# plans of SmolLM2-135M and Qwen2.5-0.5B (Q8_0 and Q4_K_M; vocabularies from ../shared/tokenizers) into DIR, then
# runs `parley model bench` on each with 2 threads RUNS times (each run reports the median of 3 repetitions) and the
# 8-sequence decode throughput of the Qwen2.5-0.5B Q4_K_M model. Prints every run's JSON and the best of the runs.
# Usage: bench/engine/engine_bench.sh PARLEY_BINARY [DIR] [RUNS]
set -euo pipefail
parley=${1:?usage: engine_bench.sh PARLEY_BINARY [DIR] [RUNS]}
dir=${2:-/tmp/parley-engine-bench}
runs=${3:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
vocab="$root/../shared/tokenizers"
mkdir -p "$dir"

synth() {  # name arch dim ff layers heads kv_heads vocab type
  [ -f "$dir/$1.gguf" ] && return
  "$parley" model synth --arch "$2" --dim "$3" --ff "$4" --layers "$5" --heads "$6" --kv-heads "$7" \
    --vocab-from "$vocab/$8" --type "$9" --out "$dir/$1.gguf" >/dev/null
}
synth smollm2-135m-q8_0 llama 576 1536 30 9 3 ggml-vocab-gpt-2.gguf q8_0
synth smollm2-135m-q4_k_m llama 576 1536 30 9 3 ggml-vocab-gpt-2.gguf q4_k_m
synth qwen2.5-0.5b-q8_0 qwen2 896 4864 24 14 2 ggml-vocab-qwen2.gguf q8_0
synth qwen2.5-0.5b-q4_k_m qwen2 896 4864 24 14 2 ggml-vocab-qwen2.gguf q4_k_m

best() {  # key, JSON lines on stdin
  python3 -c "import json,sys; print(max(json.loads(l)['$1'] for l in sys.stdin if l.strip()))"
}
printf '%-22s %12s %12s %10s %8s %8s\n' model prefill_tok/s decode_tok/s rss_mb file_mb kv_mb
for model in smollm2-135m-q8_0 smollm2-135m-q4_k_m qwen2.5-0.5b-q8_0 qwen2.5-0.5b-q4_k_m; do
  results=$(for _ in $(seq "$runs"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    json=$("$parley" model bench "$dir/$model.gguf" --threads 2 --json)
    echo "load $load $model: $json" >&2
    echo "$json"
  done)
  printf '%-22s %12.1f %12.1f %10.1f %8.1f %8.1f\n' "$model" "$(best prefill_tokens_per_s <<<"$results")" \
    "$(best decode_tokens_per_s <<<"$results")" \
    "$(python3 -c "import json,sys; print(min(json.loads(l)['peak_rss_mb'] for l in sys.stdin if l.strip()))" <<<"$results")" \
    "$(head -1 <<<"$results" | python3 -c "import json,sys; print(json.load(sys.stdin)['file_mb'])")" \
    "$(head -1 <<<"$results" | python3 -c "import json,sys; print(json.load(sys.stdin)['kv_cache_mb'])")"
done
echo "8 sequences (qwen2.5-0.5b-q4_k_m, 64 tokens each):"
for _ in $(seq "$runs"); do
  "$parley" model bench "$dir/qwen2.5-0.5b-q4_k_m.gguf" --threads 2 --prompt-tokens 128 --gen-tokens 64 \
    --repetitions 1 --parallel 8 --json
done
