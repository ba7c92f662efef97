#!/usr/bin/env bash
# The overload ladder: a fresh `parley serve` with the demo bot, its capacity measured closed-loop, then an open-loop
# load (constant arrival rate, bench/http/open_loop.cpp) at 0.5x, 1x, 2x and 4x that capacity for DURATION seconds
# each. Prints one RESULT line per phase: answered and shed (503) counts, timeouts, admitted p50/p90/p99.
# Target (issue 19): admitted p99 at 2x and 4x <= 2 x its value at 0.5x; no timeouts, only fast 503s.
# Usage: bench/http/overload.sh [build dir] [duration s] [shed_queue_ms]
#   (run it under `chrt -f 50` on a shared machine so that other work does not decide the figures)
set -euo pipefail
build=${1:-build}
duration=${2:-10}
shed_ms=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
parley="$build/src/app/parley"
generator="$build/bench/http/open_loop"
[ -x "$generator" ] || { echo "build the open_loop target first" >&2; exit 1; }
if [ -n "$shed_ms" ]; then
  export PARLEY_BENCH_SHED_MS=$shed_ms
fi
source "$here/demo_server.sh"
echo "server pid $server on port $port, bot $bot$( [ -n "$shed_ms" ] && echo ", shed_queue_ms $shed_ms")"
"$generator" --port "$port" --bot "$bot" --find-capacity 5 --multipliers 0.5,1,2,4 --duration "$duration"
echo "server RSS after the run: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$server/status)"
