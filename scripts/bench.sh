#!/usr/bin/env bash
# `make bench`: the benchmarks that need nothing but the build, each printing its figures (docs/PERFORMANCE.md
# records them with these commands). The HTTP load benches (bench/http/*, need wrk), the answer-quality eval
# (bench/eval/answer_quality.py) and the engine's model benches (bench/engine/engine_bench.sh) are run by hand.
set -euo pipefail
build=${1:-build}
run() {
  echo "== $*"
  "$@"
}
run "$build/bench/search/parley_search_latency" 100000
run "$build/bench/ingest/ingest_bench" 10
run "$build/bench/crawl/crawl_bench" 1000
run "$build/bench/llm/parley_llm_bench" 500 20000
run "$build/bench/ops/metrics_scrape" 1000
