#!/usr/bin/env bash
# Cost of one chat answer in instructions, independent of the machine's load: the server runs under callgrind
# (instrumentation switched on after a warm-up), answers N demo questions sent one after another over HTTP, and the
# instruction count over those N is divided by N. Complements chat_load.sh, whose answers/s depend on what else runs.
# With a function pattern (callgrind's --toggle-collect, e.g. 'parley::metrics::*'), only the instructions executed
# inside matching functions (and what they call) are counted: the cost of one part of the answer path, per answer.
# Needs valgrind (apt-get install valgrind).
# Usage: bench/http/chat_cost.sh [build dir] [N] [callgrind output file] [function pattern]
set -euo pipefail
build=${1:-build}
count=${2:-200}
out=${3:-$(mktemp)}
collect=${4:+--toggle-collect=$4}
command -v valgrind >/dev/null || { echo "chat_cost.sh needs valgrind: apt-get install valgrind" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
parley="$build/src/app/parley"
server_wrapper="valgrind --tool=callgrind --callgrind-out-file=$out --instr-atstart=no --dump-instr=no $collect"
start_attempts=600  # valgrind starts slowly
source "$here/demo_server.sh"
# The questions of chat.lua, in the same rotation.
python3 - "$port" "$bot" "$count" "$server" "$here/chat.lua" <<'PY'
import http.client, json, re, subprocess, sys
port, bot, count, pid, script = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
block = open(script).read().split("local questions = {", 1)[1].split("}", 1)[0]
questions = re.findall(r'"([^"]+)"', block)
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
def ask(i):
    connection.request("POST", f"/api/v1/bots/{bot}/chat", json.dumps({"message": questions[i % len(questions)]}),
                       {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"chat answered {response.status}")
for i in range(2 * len(questions)):
    ask(i)
subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
for i in range(count):
    ask(i)
subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
PY
kill "$server"
wait "$server" 2>/dev/null || true
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "RESULT answers=$count instructions_per_answer=$((total / count))${4:+ in=$4} profile=$out"
