#!/usr/bin/env bash
# Runs one libFuzzer target over its seed corpus plus RUNS more inputs.
# New inputs go to a temp dir (the seed corpus in the tree is never written);
# a finding (crash, leak, timeout, sanitizer report) leaves its input under
# $FUZZ_ARTIFACTS (default build/fuzz/artifacts) and fails.
#
#   run_fuzz.sh BINARY SEED_DIR RUNS
set -euo pipefail
binary=$1
seeds=$2
runs=$3
name=$(basename "$binary")
artifacts=${FUZZ_ARTIFACTS:-$(dirname "$binary")/artifacts}
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/log"
if ! "$binary" "$work" "$seeds" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$name-" -print_final_stats=1 >"$log" 2>&1; then
  tail -n 60 "$log"
  echo "$name: FINDING; the input is in $artifacts" >&2
  exit 1
fi
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*' || echo '?')
echo "$name: $execs executions, coverage $cov edges, no findings"
