# Sourced by the chat benchmarks: a fresh data folder with the demo workspace, the per-address and per-bot rate
# limits and the per-address connection cap lifted (the load comes from one client address, standing for many
# visitors; these benchmarks measure the answer path, not the limiter),
# and `parley serve` on a free port. Set `parley` first, and optionally `server_wrapper` (e.g. valgrind),
# `start_attempts` (tenths of a second to wait for the server) and `extra_config` (appended to parley.toml). Sets
# data, bot, server (pid) and port; the EXIT trap stops the server and removes the folder.
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
bot=$("$parley" --data "$data" init --demo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["demo_bot_id"])')
sed -i 's/^\[limits\]$/[limits]\nper_ip_rate = 0\nper_bot_rate = 0\nmax_connections_per_address = 0/' "$data/parley.toml"
# PARLEY_BENCH_SHED_MS sets [server] shed_queue_ms (0: never shed).
if [ -n "${PARLEY_BENCH_SHED_MS:-}" ]; then
  sed -i "s/^\[server\]$/[server]\nshed_queue_ms = $PARLEY_BENCH_SHED_MS/" "$data/parley.toml"
fi
# Optional tables to append (e.g. [engine] with an embedding model).
if [ -n "${extra_config:-}" ]; then printf '\n%s\n' "$extra_config" >> "$data/parley.toml"; fi
# shellcheck disable=SC2086  # the wrapper is a command with its options
${server_wrapper:-} "$parley" --data "$data" serve --port 0 > "$data/serve.log" 2>&1 &
server=$!
for _ in $(seq "${start_attempts:-100}"); do grep -q "listening on" "$data/serve.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$data/serve.log")
[ -n "$port" ] || { echo "parley serve did not start:" >&2; cat "$data/serve.log" >&2; exit 1; }
