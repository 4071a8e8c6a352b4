#!/usr/bin/env bash
# The whole suite, as `make test` runs it (and .ci/run through it):
#   1. cmocka unit tests of the release build, then of the ASan/UBSan build;
#   2. the end-to-end suite against the release binary, then against the sanitized one;
#   3. each libFuzzer target for FUZZ_SECONDS (default 20) on its seed corpus.
# Prints every runner's own output, then one closing line: "test: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DEBUG_BUILD=${DEBUG_BUILD:-build-debug}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}

passed=0
failed=0
failures=()
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count_cmocka() { # file -> "passed failed" as cmocka reported them
    local p f
    p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$1" | awk '{s+=$4} END {print s+0}')
    f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$1" | awk '{s+=$4} END {print s+0}')
    echo "$p $f"
}

run_units() { # build dir, label
    local dir=$1 label=$2 t out p f rc
    for t in "$dir"/test_*; do
        [[ -x $t ]] || continue
        out="$log/$(basename "$t").$label"
        CMPD_TEST_TMP="$log" "$t" >"$out" 2>&1
        rc=$?
        cat "$out"
        read -r p f < <(count_cmocka "$out")
        passed=$((passed + p))
        failed=$((failed + f))
        if ((rc != 0 && f == 0)); then
            # A crash or sanitizer report ends the binary before cmocka counts a failure.
            failed=$((failed + 1))
            failures+=("$label $(basename "$t") exited $rc")
        elif ((f > 0)); then
            failures+=("$label $(basename "$t"): $f failed")
        fi
    done
}

run_e2e() { # binary, label
    local out="$log/e2e.$2" p f rc
    # Bounded: a hung run reports a failure instead of holding CI.
    CMPD_BIN="$PWD/$1" timeout --kill-after=10 "${E2E_TIMEOUT:-1200}" tests/e2e/run.sh >"$out" 2>&1
    rc=$?
    cat "$out"
    p=$(grep -E '^# pass [0-9]+' "$out" | tail -1 | awk '{print $3}')
    f=$(grep -E '^# fail [0-9]+' "$out" | tail -1 | awk '{print $3}')
    p=${p:-0}
    f=${f:-0}
    passed=$((passed + p))
    failed=$((failed + f))
    if ((rc != 0 && f == 0)); then
        failed=$((failed + 1))
        failures+=("e2e $2 exited $rc")
    elif ((f > 0)); then
        failures+=("e2e $2: $f failed")
    fi
}

run_fuzz() {
    local t name out
    if ! CC=clang cmake -S . -B "$FUZZ_BUILD" -DCMAKE_BUILD_TYPE=Debug -DCMPD_FUZZ=ON >"$log/fuzz-cmake" 2>&1 ||
        ! cmake --build "$FUZZ_BUILD" -j "$(nproc)" >"$log/fuzz-build" 2>&1; then
        cat "$log/fuzz-cmake" "$log/fuzz-build"
        failed=$((failed + 1))
        failures+=("fuzz build")
        return
    fi
    for t in "$FUZZ_BUILD"/fuzz_*; do
        [[ -x $t ]] || continue
        name=$(basename "$t")
        out="$log/$name"
        mkdir -p "$log/corpus-$name"
        if "$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$log/" "$log/corpus-$name" "tests/fuzz/corpus/$name" >"$out" 2>&1; then
            passed=$((passed + 1))
            echo "fuzz $name: ok, $(grep -Eo 'Done [0-9]+ runs' "$out" | tail -1)"
        else
            failed=$((failed + 1))
            failures+=("fuzz $name")
            tail -60 "$out"
        fi
    done
}

echo "== unit tests (release)"
run_units "$BUILD" release
echo "== unit tests (asan+ubsan)"
run_units "$DEBUG_BUILD" debug
echo "== end-to-end (release)"
run_e2e "$BUILD/cmpd" release
echo "== end-to-end (asan+ubsan)"
run_e2e "$DEBUG_BUILD/cmpd" debug
echo "== fuzz (${FUZZ_SECONDS}s per target)"
run_fuzz

if ((${#failures[@]})); then
    echo "== failures"
    printf '  %s\n' "${failures[@]}"
fi
echo "test: $passed passed, $failed failed"
((failed == 0))
