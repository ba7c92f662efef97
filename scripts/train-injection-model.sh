#!/usr/bin/env bash
# Fits the prompt-injection detector's learned parts and writes them, byte for byte the same on every run:
# src/guard/injection_model_weights.inc (the n-gram model) and src/guard/injection_combiner.inc (the combination
# with the patterns, and the two thresholds). See docs/SECURITY.md, "Prompt injection".
#
#   scripts/train-injection-model.sh [--check] [BUILD_DIR]
#
# Data: ../shared/eval/prompt-injections/train.jsonl (deepset/prompt-injections, Apache-2.0; PARLEY_SHARED_DIR
# overrides ../shared) and the GNOME help pages in English and German (Debian package gnome-user-docs,
# CC-BY-SA 3.0; benign help content). --check fits into a temporary folder and fails if the result differs from
# the committed files. INJECTION_EVAL names an already built bench/security/injection_eval (else BUILD_DIR's,
# built first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
check=0
if [[ "${1:-}" == "--check" ]]; then
  check=1
  shift
fi
build=${1:-$root/build}
shared=${PARLEY_SHARED_DIR:-$root/../shared}
train=$shared/eval/prompt-injections/train.jsonl
help_en=/usr/share/help/C/gnome-help
help_de=/usr/share/help/de/gnome-help
for input in "$train" "$help_en" "$help_de"; do
  if [[ ! -e "$input" ]]; then
    echo "missing $input (the help pages come with the Debian package gnome-user-docs: scripts/install-deps.sh)" >&2
    exit 1
  fi
done
eval_binary=${INJECTION_EVAL:-}
if [[ -z "$eval_binary" ]]; then
  cmake --build "$build" --target injection_eval
  eval_binary=$build/bench/security/injection_eval
fi
out=$root/src/guard
if [[ $check == 1 ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
"$eval_binary" "$train" --help-pages "$help_en" --help-pages "$help_de" --write-model "$out" >&2
if [[ $check == 1 ]]; then
  for file in injection_model_weights.inc injection_combiner.inc; do
    if ! cmp -s "$out/$file" "$root/src/guard/$file"; then
      echo "src/guard/$file differs from what the trainer writes now: run scripts/train-injection-model.sh" >&2
      diff "$out/$file" "$root/src/guard/$file" | head -20 >&2
      exit 1
    fi
  done
  echo "the committed model files are what the trainer writes, byte for byte"
fi
