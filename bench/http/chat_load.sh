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
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
bot=$("$parley" --data "$data" init --demo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["demo_bot_id"])')
# wrk is one client address: lift the per-IP and per-bot rate limits (this measures the answer path, not the limiter).
sed -i 's/^\[limits\]$/[limits]\nper_ip_rate = 0\nper_bot_rate = 0/' "$data/parley.toml"
"$parley" --data "$data" serve --port 0 > "$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$data/serve.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$data/serve.log")
echo "server pid $server on port $port, bot $bot"
BOT=$bot wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$here/chat.lua" "http://127.0.0.1:$port"
echo "server RSS after the run: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$server/status)"
