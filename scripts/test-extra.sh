#!/usr/bin/env bash
# Test suites that are not CTest binaries (each adds itself here when it exists).
set -euo pipefail
build_dir=${1:-build}
echo "extra test suites: none yet"
