#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL server: initdb in a temporary folder, the server on a Unix socket
# there (no port), an empty database, PARLEY_STORE_URL pointing at it (and PARLEY_PG_BINDIR at the server's
# programs); the server and its folder go when the command ends. The server keeps PostgreSQL's default durability (fsync and synchronous_commit on), as in
# production. As root, the server runs as the `postgres` user (PostgreSQL refuses root).
#
# Usage: bench/store/with_postgres.sh COMMAND [ARGS...]
#   e.g. bench/store/with_postgres.sh build/bench/search/parley_search_latency 100000
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
bindir=${PARLEY_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
[ -x "$bindir/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql-15)" >&2; exit 1; }
root=$(mktemp -d /tmp/parley-pg-bench-XXXXXX)
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$root"
  as_server=(runuser -u postgres --)
fi
stop() {
  "${as_server[@]}" "$bindir/pg_ctl" -D "$root/data" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$root"
}
trap stop EXIT
"${as_server[@]}" "$bindir/initdb" -D "$root/data" -U parley -A trust -E UTF8 --locale=C --no-instructions >/dev/null
"${as_server[@]}" "$bindir/pg_ctl" -D "$root/data" -w -l "$root/server.log" \
  -o "-k $root -c listen_addresses='' -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
"$bindir/createdb" -h "$root" -U parley bench
export PARLEY_STORE_URL="postgresql://parley@/bench?host=$root"
export PARLEY_PG_BINDIR="$bindir"  # the server's own client programs (psql), for the command
"$@"
