#!/usr/bin/env bash
# The engine's speed figures of docs/PERFORMANCE.md. Synthesizes random-weight models with the exact shapes and type
# plans of real models (`parley model synth`; vocabularies from ../shared/tokenizers) into DIR, then runs
# `parley model bench` on each with 2 threads RUNS times (each run: the median of 3 repetitions in one process) and
# prints every run, the median of the runs and the ratio to llama.cpp's figure where /work/shared/models/README.md has
# one; then the concurrency benchmark (each sequence with a 128-token prompt, like llama-batched-bench -npp 128
# -ntg 64) at 1, 4 and 8 sequences. The memory bandwidth (bench_engine_membw, when built next to BINARY) is measured
# before and after, because on a shared machine it varies with what else runs.
#
# Usage: bench/engine/engine_bench.sh PARLEY_BINARY [DIR] [RUNS]
#   SHAPES="smollm2-135m qwen2.5-0.5b qwen2.5-1.5b llama3.2-3b qwen2.5-7b" (default: all but the 7B)
#   TYPES="q4_k_m q5_k_m q6_k q8_0 q4_0"                                     (default: q4_k_m q8_0)
#   PARALLEL_MODEL=qwen2.5-1.5b-q4_k_m PARALLEL="1 4 8"                     (PARALLEL= skips it)
#   DELETE_LARGE=1 removes each synthesized model over 2 GB after its runs (disk is shared).
# On a machine shared with other work, run it under `chrt -f 50` (SCHED_FIFO) and a few models at a time.
set -euo pipefail
parley=${1:?usage: engine_bench.sh PARLEY_BINARY [DIR] [RUNS]}
dir=${2:-/tmp/parley-engine-bench}
runs=${3:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
vocab="$root/../shared/tokenizers"
shapes=${SHAPES:-"smollm2-135m qwen2.5-0.5b qwen2.5-1.5b llama3.2-3b"}
types=${TYPES:-"q4_k_m q8_0"}
parallel_model=${PARALLEL_MODEL:-qwen2.5-1.5b-q4_k_m}
parallel=${PARALLEL-"1 4 8"}
membw="$(dirname "$parley")/bench_engine_membw"
[ -x "$membw" ] || membw="$(dirname "$parley")/../../bench/engine/bench_engine_membw"
mkdir -p "$dir"

synth() {  # shape type -> path
  local name="$1-$2" out="$dir/$1-$2.gguf"
  if [ ! -f "$out" ]; then
    case "$1" in
      smollm2-135m) args=(--arch llama --dim 576 --ff 1536 --layers 30 --heads 9 --kv-heads 3 --vocab-from "$vocab/ggml-vocab-gpt-2.gguf") ;;
      qwen2.5-0.5b) args=(--arch qwen2 --dim 896 --ff 4864 --layers 24 --heads 14 --kv-heads 2 --vocab-from "$vocab/ggml-vocab-qwen2.gguf") ;;
      qwen2.5-1.5b) args=(--arch qwen2 --dim 1536 --ff 8960 --layers 28 --heads 12 --kv-heads 2 --vocab-from "$vocab/ggml-vocab-qwen2.gguf") ;;
      llama3.2-3b) args=(--arch llama --dim 3072 --ff 8192 --layers 28 --heads 24 --kv-heads 8 --vocab-from "$vocab/ggml-vocab-llama-bpe.gguf") ;;
      qwen2.5-7b) args=(--arch qwen2 --dim 3584 --ff 18944 --layers 28 --heads 28 --kv-heads 4 --vocab-size 152064 --untied --vocab-from "$vocab/ggml-vocab-qwen2.gguf") ;;
      *) echo "unknown shape $1" >&2; exit 2 ;;
    esac
    "$parley" model synth "${args[@]}" --type "$2" --out "$out" >/dev/null
  fi
  echo "$out"
}

bandwidth() {
  if [ -x "$membw" ]; then "$membw" 2 1024 5; else echo "(bench_engine_membw not found next to $parley)"; fi
}

echo "load average $(cut -d' ' -f1-3 /proc/loadavg); memory bandwidth: $(bandwidth)"
results=$(mktemp)
for shape in $shapes; do
  for type in $types; do
    model=$(synth "$shape" "$type")
    for run in $(seq "$runs"); do
      json=$("$parley" model bench "$model" --threads 2 --json)
      echo "$shape $type $run $json" | tee -a "$results"
    done
    if [ "${DELETE_LARGE:-0}" = 1 ] && [ "$(stat -c %s "$model")" -gt 2000000000 ]; then rm -f "$model"; fi
  done
done
python3 - "$results" <<'EOF'
import json, statistics, sys
# llama.cpp's figures on this machine (/work/shared/models/README.md): prefill pp512, decode tg128.
reference = {
    ("smollm2-135m", "q8_0"): (777, 138), ("smollm2-135m", "q4_k_m"): (637, 129),
    ("qwen2.5-0.5b", "q8_0"): (280, 52), ("qwen2.5-0.5b", "q4_k_m"): (232, 49),
    ("qwen2.5-1.5b", "q8_0"): (111.1, 23.3), ("qwen2.5-1.5b", "q4_k_m"): (147.9, 39.6),
    ("llama3.2-3b", "q8_0"): (53.2, 13.1), ("llama3.2-3b", "q4_k_m"): (70.9, 20.3),
}
runs = {}
for line in open(sys.argv[1]):
    shape, type_, _, payload = line.split(" ", 3)
    runs.setdefault((shape, type_), []).append(json.loads(payload))
print()
print("| shape | type | file MB | prefill tok/s (runs) | median | × llama.cpp | decode tok/s (runs) | median | × llama.cpp | peak RSS MB (budget) |")
print("| --- | --- | ---: | --- | ---: | ---: | --- | ---: | ---: | --- |")
for (shape, type_), results in runs.items():
    pp = [r["prefill_tokens_per_s"] for r in results]
    tg = [r["decode_tokens_per_s"] for r in results]
    rss = max(r["peak_rss_mb"] for r in results)
    budget = results[0]["file_mb"] + results[0]["kv_cache_mb"] + 64
    ref = reference.get((shape, type_))
    ratio = lambda value, i: f"{value / ref[i]:.2f}" if ref else "–"
    print(f"| {shape} | {type_} | {results[0]['file_mb'] * 1.048576:.0f} | {' / '.join(f'{v:.1f}' for v in pp)} | "
          f"{statistics.median(pp):.1f} | {ratio(statistics.median(pp), 0)} | {' / '.join(f'{v:.1f}' for v in tg)} | "
          f"{statistics.median(tg):.1f} | {ratio(statistics.median(tg), 1)} | {rss:.0f} ({budget:.0f}) {'✓' if rss <= budget else '✗'} |")
EOF
rm -f "$results"

if [ -n "$parallel" ]; then
  model="$dir/$parallel_model.gguf"
  [ -f "$model" ] || model=$(synth "${parallel_model%-*}" "${parallel_model##*-}")
  echo
  echo "Concurrent sequences, $parallel_model, 128-token prompts, 64 generated tokens each (median of $runs runs):"
  for n in $parallel; do
    values=$(for run in $(seq "$runs"); do
      "$parley" model bench "$model" --threads 2 --prompt-tokens 128 --gen-tokens 64 --repetitions 1 --parallel "$n" --json
    done)
    python3 - "$n" "$values" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in sys.argv[2].splitlines() if line.strip()]
med = lambda key: statistics.median(r[key] for r in rows)
runs = " / ".join(f"{r['parallel_decode_tokens_per_s']:.1f}" for r in rows)
budget = rows[0]["file_mb"] + rows[0]["kv_cache_mb"] + 64
print(f"{sys.argv[1]} sequences: total decode {runs} tokens/s (median {med('parallel_decode_tokens_per_s'):.1f}), "
      f"per sequence {med('parallel_sequence_decode_tokens_per_s'):.1f}, time to first token median "
      f"{med('parallel_ttft_ms_median'):.0f} ms, max {med('parallel_ttft_ms_max'):.0f} ms, "
      f"peak RSS {max(r['peak_rss_mb'] for r in rows):.0f} MB (budget {budget:.0f})")
EOF
  done
fi
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); memory bandwidth: $(bandwidth)"
