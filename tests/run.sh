#!/usr/bin/env bash
# The whole suite, as `make test` runs it (and .ci/run through it):
#   0. a throwaway PostgreSQL cluster (tests/pg.sh) in the run's temp dir, stopped on any exit;
#      its URL is exported as CMPD_TEST_PG (test_store_postgres and the e2e cluster test use it);
#   1. cmocka unit tests of the release build, then of the ASan/UBSan build, each followed by
#      test_store, test_store_query, test_store_commit and test_store_bulk again, each on a fresh
#      PostgreSQL database (CMPD_TEST_STORE);
#   2. the end-to-end suite against the release binary, then against the sanitized one, each on
#      SQLite (DIR/cmpd.db) and on PostgreSQL (CMPD_E2E_STORE=postgres: a database per server);
#   3. each libFuzzer target for FUZZ_SECONDS (default 20) on its seed corpus.
# Prints every runner's own output, then one closing line: "test: N passed, N failed".
# A cluster that cannot start counts as a failure (once), and the runs that needed it are left out.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DEBUG_BUILD=${DEBUG_BUILD:-build-debug}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
# Which store each run uses is this script's choice, not the caller's environment's.
unset CMPD_STORE CMPD_TEST_STORE CMPD_TEST_PG CMPD_E2E_STORE

passed=0
failed=0
failures=()
log=$(mktemp -d)
pg="$log/pg"     # the shared cluster
e2e_pid=         # the running end-to-end job (its own process group, see run_e2e)

cleanup() {
    local d
    trap - INT TERM
    [[ -n $e2e_pid ]] && kill -TERM -- "-$e2e_pid" 2>/dev/null
    # The cluster test's private clusters live under $log/e2e-tmp: stop any that a killed run left.
    for d in "$pg" "$log"/e2e-tmp/*/pg; do
        [[ -d $d/data ]] && tests/pg.sh stop "$d" >/dev/null 2>&1
    done
    rm -rf "$log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

count_cmocka() { # file -> "passed failed" as cmocka reported them
    local p f e
    p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$1" | awk '{s+=$4} END {print s+0}')
    f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$1" | awk '{s+=$4} END {print s+0}')
    # A test whose setup failed is an ERROR (a line naming it), left out of cmocka's FAILED summary.
    e=$(grep -cE '^\[  ERROR   \] [A-Za-z_][A-Za-z0-9_]*$' "$1")
    echo "$p $((f + e))"
}

run_unit() { # binary, label, output file [VAR=value...]: run one cmocka binary and count it
    local t=$1 label=$2 out=$3 p f rc
    shift 3
    env "$@" CMPD_TEST_TMP="$log" "$t" >"$out" 2>&1
    rc=$?
    cat "$out"
    read -r p f < <(count_cmocka "$out")
    passed=$((passed + p))
    failed=$((failed + f))
    if ((rc != 0 && f == 0)); then
        # A crash or sanitizer report ends the binary before cmocka counts a failure: the test
        # it was running is the last one begun.
        failed=$((failed + 1))
        failures+=("$label $(basename "$t") exited $rc in $(grep -E '^\[ RUN      \] ' "$out" | tail -1 | cut -c14-)")
    elif ((f > 0)); then
        failures+=("$label $(basename "$t"): $f failed")
        add_names < <(grep -E '^\[  (FAILED|ERROR)   ?\] [A-Za-z_][A-Za-z0-9_]*$' "$out" | cut -c14- | sort -u)
    fi
}

add_names() { # lines on stdin -> indented entries of the closing summary (at most 20)
    local line n=0
    while IFS= read -r line && ((n++ < 20)); do
        failures+=("    $line")
    done
}

run_units() { # build dir, label
    local dir=$1 label=$2 t
    for t in "$dir"/test_*; do
        [[ -x $t ]] || continue
        run_unit "$t" "$label" "$log/$(basename "$t").$label"
    done
}

pg_url=
pg_bin=
start_pg() {
    # Every directory above the cluster must let the `postgres` user through when we are root.
    chmod 711 "$log"
    if pg_url=$(tests/pg.sh start "$pg" 2>"$log/pg.err"); then
        pg_bin=$(tests/pg.sh bindir)
        export CMPD_TEST_PG=$pg_url
        echo "PostgreSQL: $pg_url"
    else
        pg_url=
        cat "$log/pg.err"
        failed=$((failed + 1))
        failures+=("PostgreSQL cluster did not start (tests/pg.sh start): no PostgreSQL runs")
    fi
}

new_db() { # name -> URL of a fresh database of the shared cluster
    local port=${pg_url##*:}
    port=${port%%/*}
    "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U cmpd "$1" || return 1
    echo "${pg_url%/*}/$1"
}

run_pg_units() { # build dir, label: the store tests again, each on a fresh PostgreSQL database
    local dir=$1 label=$2 t name url out
    for name in test_store test_store_query test_store_commit test_store_bulk; do
        t="$dir/$name"
        if [[ -z $pg_url ]]; then
            continue # counted once, by start_pg
        fi
        if [[ ! -x $t ]]; then
            failed=$((failed + 1))
            failures+=("$label $name: not built")
            continue
        fi
        out="$log/$name.${label//\//-}"
        if ! url=$(new_db "cmpd_unit_${label//\//_}_$name" 2>"$out"); then
            cat "$out"
            failed=$((failed + 1))
            failures+=("$label $name: createdb failed")
            continue
        fi
        echo "-- $name on $url"
        run_unit "$t" "$label" "$out" CMPD_TEST_STORE="$url"
    done
}

run_e2e() { # binary, label, store (sqlite|postgres)
    local out="$log/e2e.${2//\//-}" p f c rc
    local bin=$1
    [[ $bin == /* ]] || bin="$PWD/$bin"
    local -a env=(CMPD_BIN="$bin" CMPD_E2E_TMP="$log/e2e-tmp" CMPD_E2E_REQUIRE_CLUSTER=1)
    if [[ $3 == postgres ]]; then
        if [[ -z $pg_url ]]; then
            return # counted once, by start_pg
        fi
        env+=(CMPD_E2E_STORE=postgres)
    fi
    mkdir -p "$log/e2e-tmp"
    chmod 711 "$log/e2e-tmp"
    # Bounded: a hung run reports a failure instead of holding CI.  In the background (timeout
    # makes itself a process group), so an interrupt of this script ends the run at once.
    env "${env[@]}" timeout --kill-after=10 "${E2E_TIMEOUT:-1200}" tests/e2e/run.sh >"$out" 2>&1 &
    e2e_pid=$!
    wait "$e2e_pid"
    rc=$?
    e2e_pid=
    cat "$out"
    p=$(grep -E '^# pass [0-9]+' "$out" | tail -1 | awk '{print $3}')
    f=$(grep -E '^# fail [0-9]+' "$out" | tail -1 | awk '{print $3}')
    c=$(grep -E '^# cancelled [0-9]+' "$out" | tail -1 | awk '{print $3}')
    p=${p:-0}
    # A test cancelled (by a failed before() hook or the timeout) did not pass either.
    f=$((${f:-0} + ${c:-0}))
    passed=$((passed + p))
    failed=$((failed + f))
    if ((rc != 0 && f == 0)); then
        failed=$((failed + 1))
        failures+=("e2e $2 exited $rc")
    elif ((f > 0)); then
        failures+=("e2e $2: $f failed")
    fi
    # Name what failed, so the summary at the end of a CI log says which test without the rest.
    if ((f > 0 || rc != 0)); then
        add_names < <(e2e_failed_names "$out")
    fi
}

e2e_failed_names() { # TAP output -> "file:line  suite > test  (first line of the error)" per failed test
    awk '
        function flush() {
            if (want && err !~ /subtests? failed/) print loc "  " pending (err != "" ? "  (" substr(err, 1, 160) ")" : "")
            want = 0
        }
        /^ *# Subtest: / { depth = index($0, "#") - 1; names[depth / 4] = substr($0, depth + 12); next }
        /^ *not ok [0-9]+ - / {
            flush()
            lvl = (match($0, /[^ ]/) - 1) / 4
            name = $0; sub(/^ *not ok [0-9]+ - /, "", name); sub(/ *# .*$/, "", name)
            pending = ""; for (i = 0; i < lvl; i++) pending = pending names[i] " > "
            pending = pending name; want = 1; loc = ""; err = ""; inerr = 0; next
        }
        want && /^ *location: / { loc = $0; sub(/^ *location: *./, "", loc); sub(/.$/, "", loc); n = split(loc, parts, "/"); loc = parts[n]; next }
        want && /^ *error: / {
            err = $0; sub(/^ *error: */, "", err)
            if (err ~ /^[|>]-?$/) { err = ""; inerr = 1 }
            next
        }
        want && inerr { line = $0; sub(/^ */, "", line); if (line != "") { err = line; inerr = 0 }; next }
        want && /^ *\.\.\.$/ { flush() }
        END { flush() }
    ' "$1" | sort -u
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
        dict=()
        [[ -f tests/fuzz/$name.dict ]] && dict=(-dict="tests/fuzz/$name.dict")
        if "$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 "${dict[@]}" \
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

echo "== PostgreSQL"
start_pg
echo "== unit tests (release)"
run_units "$BUILD" release
echo "== store unit tests on PostgreSQL (release)"
run_pg_units "$BUILD" release/postgres
echo "== unit tests (asan+ubsan)"
run_units "$DEBUG_BUILD" debug
echo "== store unit tests on PostgreSQL (asan+ubsan)"
run_pg_units "$DEBUG_BUILD" debug/postgres
echo "== end-to-end (release, SQLite)"
run_e2e "$BUILD/cmpd" release/sqlite sqlite
echo "== end-to-end (release, PostgreSQL)"
run_e2e "$BUILD/cmpd" release/postgres postgres
echo "== end-to-end (asan+ubsan, SQLite)"
run_e2e "$DEBUG_BUILD/cmpd" debug/sqlite sqlite
echo "== end-to-end (asan+ubsan, PostgreSQL)"
run_e2e "$DEBUG_BUILD/cmpd" debug/postgres postgres
echo "== fuzz (${FUZZ_SECONDS}s per target)"
run_fuzz

if ((${#failures[@]})); then
    echo "== failures"
    printf '  %s\n' "${failures[@]}"
fi
echo "test: $passed passed, $failed failed"
((failed == 0))
