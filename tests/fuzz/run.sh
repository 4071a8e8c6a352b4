#!/usr/bin/env bash
# `make fuzz`: run every libFuzzer target of BUILD_DIR for SECONDS each on its seed corpus (new
# inputs go to a scratch corpus, not into the repository).  Crashes are saved as crash-* here.
set -uo pipefail
dir=${1:-build-fuzz}
seconds=${2:-60}
status=0
for t in "$dir"/fuzz_*; do
    [[ -x $t ]] || continue
    name=$(basename "$t")
    scratch=$(mktemp -d)
    echo "== $name (${seconds}s)"
    "$t" -max_total_time="$seconds" -timeout=10 "$scratch" "tests/fuzz/corpus/$name" 2>&1 |
        grep -E 'Done|ERROR|SUMMARY|crash' || true
    [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
    rm -rf "$scratch"
done
exit $status
