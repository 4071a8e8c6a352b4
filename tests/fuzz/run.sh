#!/usr/bin/env bash
# `make fuzz`: run every libFuzzer target of BUILD_DIR for SECONDS each, one after the other, on
# its seed corpus tests/fuzz/corpus/<target>/ (with tests/fuzz/<target>.dict when there is one).
# New inputs go to a scratch corpus, not into the repository.  Each run is bounded in time
# (-max_total_time, -timeout per input) and memory (-rss_limit_mb), with the flags CI uses.
# A crash, leak, timeout or out-of-memory is saved as ARTIFACTS/<target>-crash-<sha1> (default
# fuzz-artifacts/) and fails the run; tests/fuzz/README.md says how to reproduce it.
#   usage: tests/fuzz/run.sh [BUILD_DIR [SECONDS]]
set -uo pipefail
dir=$(realpath "${1:-build-fuzz}")
seconds=${2:-60}
cd "$(dirname "$0")/../.." || exit 1
artifacts=${FUZZ_ARTIFACTS:-fuzz-artifacts}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
mkdir -p "$artifacts"
status=0
found=0
for t in "$dir"/fuzz_*; do
    [[ -f $t && -x $t ]] || continue
    found=1
    name=$(basename "$t")
    corpus=tests/fuzz/corpus/$name
    if [[ ! -d $corpus ]]; then
        echo "== $name: no seed corpus ($corpus)"
        status=1
        continue
    fi
    flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$artifacts/$name-" -print_final_stats=1)
    [[ -f tests/fuzz/$name.dict ]] && flags+=(-dict="tests/fuzz/$name.dict")
    scratch=$(mktemp -d)
    echo "== $name (${seconds}s)"
    "$t" "${flags[@]}" "$scratch" "$corpus" >"$scratch.log" 2>&1
    rc=$?
    grep -E '^Done [0-9]+ runs|^stat::average_exec_per_sec' "$scratch.log"
    if ((rc != 0)); then
        status=1
        echo "-- $name failed (exit $rc); the end of its output:"
        tail -60 "$scratch.log"
    fi
    rm -rf "$scratch" "$scratch.log"
done
if ((!found)); then
    echo "no fuzz_* target in $dir (configure with -DCMPD_FUZZ=ON)"
    status=1
fi
exit $status
