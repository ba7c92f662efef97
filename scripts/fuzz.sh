#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan + UBSan) in build-fuzz/ and runs each for SECONDS seconds
# (default 60; FUZZ_TARGETS="a b" picks targets), starting from its corpus folder fuzz/<module>/corpus/<target>/; new finds are written to
# build-fuzz/corpus-work/<target>/ and crashes to build-fuzz/crashes/. Exit status is non-zero when a target crashes.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
# Sanitized code must not inherit the sanitizer flags into the host compiler's libraries: clang everywhere.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DPARLEY_BUILD_FUZZ=ON -DPARLEY_BUILD_TESTS=OFF -DPARLEY_BUILD_BENCH=OFF \
  -DPARLEY_WERROR=OFF -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
targets=$(cmake --build "$build" --target help | sed -n 's/^\(fuzz_[A-Za-z0-9_]*\):.*/\1/p')
# FUZZ_TARGETS="pdf docx" limits the run to those targets.
if [ -n "${FUZZ_TARGETS:-}" ]; then
  targets=$(for t in $FUZZ_TARGETS; do echo "fuzz_$t"; done)
fi
[ -n "$targets" ] || { echo "no fuzz targets"; exit 0; }
cmake --build "$build" -j 2 --target $targets
mkdir -p "$build/crashes"
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
status=0
for target in $targets; do
  name=${target#fuzz_}
  seeds=$(find "$root/fuzz" -type d -path "*/corpus/$name" | head -1)
  work="$build/corpus-work/$name"
  mkdir -p "$work"
  echo "== $target for ${seconds}s"
  exe=$(find "$build/fuzz" -type f -name "$target" | head -1)
  if ! "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/crashes/$name-" "$work" ${seeds:+"$seeds"} 2>"$build/$name.log"; then
    echo "!! $target failed; see $build/$name.log and $build/crashes/"
    tail -30 "$build/$name.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/$name.log" | tail -2
  fi
done
exit $status
