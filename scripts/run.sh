#!/usr/bin/env bash
# `make run`: on first run creates the data folder with the demo workspace (printing the admin API key once),
# then serves until Ctrl-C.
set -euo pipefail
parley=${1:?parley binary}
data=${2:-data}
host=${3:-127.0.0.1}
port=${4:-8080}
if [ ! -f "$data/parley.db" ]; then
  echo "First run: creating $data/ with the Northwind Bikes demo bot"
  "$parley" --data "$data" init --demo
  echo
fi
exec "$parley" --data "$data" --log-level info serve --host "$host" --port "$port"
