#!/usr/bin/env bash
# Load on the chat endpoint of the demo bot: wrk with 64 connections for DURATION seconds (default 20) against a
# fresh `parley serve`. Prints wrk's figures and a RESULT line (answers/s, p50/p99 latency, errors).
# Usage: bench/http/chat_load.sh [build dir] [duration s] [connections]
set -euo pipefail
build=${1:-build}
duration=${2:-20}
connections=${3:-64}
here=$(cd "$(dirname "$0")" && pwd)
parley="$build/src/app/parley"
# wrk's closed loop keeps every connection busy: the server runs at full capacity with a standing queue of about
# 64 requests, which its load shedding (default [server] shed_queue_ms = 10) refuses as overload — 503s returned in
# microseconds that wrk counts as answers. This benchmark measures the answer path's capacity, so shedding is off
# unless PARLEY_BENCH_SHED_MS says otherwise; bench/http/overload.sh measures shedding with an open-loop load.
export PARLEY_BENCH_SHED_MS=${PARLEY_BENCH_SHED_MS:-0}
source "$here/demo_server.sh"
echo "server pid $server on port $port, bot $bot"
BOT=$bot wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$here/chat.lua" "http://127.0.0.1:$port"
echo "server RSS after the run: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$server/status)"
