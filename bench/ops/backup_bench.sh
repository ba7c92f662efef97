#!/usr/bin/env bash
# Backup of a large store while serving (issue 19: 1 GB in <= 30 s; chat p99 during it <= 2 x normal).
# A demo data folder grown to SIZE_MB (default 1024) with conversation history (messages of ~2 KB, what a busy
# bot's store mostly holds), `parley serve` on it, then twice an open-loop chat load at RATE answers/s for
# DURATION s (bench/http/open_loop.cpp): once alone, once with `parley backup create` started a second in.
# Prints the backup's time and size and both runs' RESULT lines.
# Usage: bench/ops/backup_bench.sh [build dir] [size MB] [rate] [duration s]   (under `chrt -f 50` on a shared machine)
# BACKUP_WRAPPER runs the backup under a command, e.g. BACKUP_WRAPPER="nice -n 19 ionice -c 3" (the backup at
# the lowest CPU and I/O priority, as a cron job or systemd timer can run it).
set -euo pipefail
build=${1:-build}
size_mb=${2:-1024}
rate=${3:-500}
duration=${4:-30}
here=$(cd "$(dirname "$0")" && pwd)
parley=$(cd "$(dirname "$build/src/app/parley")" && pwd)/parley
generator="$build/bench/http/open_loop"
source "$here/../http/demo_server.sh"
kill "$server"; wait "$server" 2>/dev/null || true

# Grow the database: one conversation per 1,000 messages, each ~2 KB of text.
db="$data/parley.db"
rows=$((size_mb * 1024 / 2))
echo "growing $db to ~$size_mb MB ($rows messages)..."
sqlite3 "$db" <<SQL
PRAGMA journal_mode=WAL;
INSERT INTO conversations (id, workspace_id, bot_id, status, created_at, updated_at)
  SELECT 'cv_bench_' || value, (SELECT workspace_id FROM bots WHERE id = '$bot'), '$bot', 'open', 0, 0
  FROM generate_series(1, ($rows + 999) / 1000);
INSERT INTO messages (conversation_id, role, text, created_at)
  SELECT 'cv_bench_' || ((value - 1) / 1000 + 1), CASE value % 2 WHEN 0 THEN 'user' ELSE 'assistant' END,
         printf('%.2000c', char(97 + value % 26)), value
  FROM generate_series(1, $rows);
PRAGMA wal_checkpoint(TRUNCATE);
SQL
echo "database: $(du -m "$db" | cut -f1) MB"

"$parley" --data "$data" serve --port 0 > "$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$data/serve.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$data/serve.log")

echo "chat alone:"
"$generator" --port "$port" --bot "$bot" --rates "$rate" --duration "$duration"
echo "chat during the backup:"
backup="$data/../parley-backup-bench-$$.zip"
( sleep 1; start=$(date +%s.%N); ${BACKUP_WRAPPER:-} "$parley" --data "$data" backup create "$backup" --quiet > /dev/null;
  end=$(date +%s.%N); echo "BACKUP seconds=$(echo "$end - $start" | bc) bytes=$(stat -c %s "$backup")" ) &
backup_job=$!
"$generator" --port "$port" --bot "$bot" --rates "$rate" --duration "$duration"
wait "$backup_job"
rm -f "$backup"
