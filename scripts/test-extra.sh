#!/usr/bin/env bash
# The parts of `make test` that are not CTest binaries: a short libFuzzer pass over every fuzz target
# (FUZZ_SECONDS each, default 10; the corpora themselves are replayed by CTest in every build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/fuzz.sh" "${FUZZ_SECONDS:-10}"
