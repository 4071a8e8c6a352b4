#!/usr/bin/env bash
# Throughput of GET by id and POST create: ONE cmpd instance addressed directly vs THREE instances
# behind haproxy (roundrobin, as tests/e2e/80_cluster.test.mjs sets it up), all on one PostgreSQL
# database of a private cluster (tests/pg.sh).  Every instance runs with --threads ${THREADS:-1}
# in both cases, so the comparison is one event loop against three, each in its own process:
# what adding instances behind a load balancer buys, not what threads within one instance buy.
# On a small machine the instances, haproxy, PostgreSQL and wrk share the same cores, so read the
# numbers as relative, for this machine only.
# Usage: bench/cluster.sh [build/cmpd]   DURATION (s, default 10), CONNS (default 32),
# STORE=sqlite to share one SQLite file instead (for trying the script without PostgreSQL).
# Prints numbers; never fails on them.
set -euo pipefail
BIN=$(realpath "${1:-build/cmpd}")
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
THREADS=${THREADS:-1}
STORE=${STORE:-postgres}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
here=$(cd "$(dirname "$0")/.." && pwd)
for t in wrk "$HAPROXY" curl; do
    command -v "$t" >/dev/null || { echo "cluster.sh: $t not found (Debian: apt-get install wrk haproxy curl)" >&2; exit 1; }
done
dir=$(mktemp -d)
chmod 711 "$dir" # as root, the cluster runs as `postgres`, which must get through
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ $STORE == postgres ]]; then "$here/tests/pg.sh" stop "$dir/pg" >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

wait_healthy() { # port
    local i
    for i in $(seq 200); do
        curl -fs "http://127.0.0.1:$1/healthz" >/dev/null && return
        sleep 0.1
    done
    echo "cluster.sh: nothing healthy on port $1" >&2
    cat "$dir"/*.log >&2
    exit 1
}

if [[ $STORE == postgres ]]; then
    url=$("$here/tests/pg.sh" start "$dir/pg")
    "$("$here/tests/pg.sh" bindir)/psql" -X -q -d "$url" -c 'CREATE DATABASE bench'
    store=${url%/*}/bench
else
    store=sqlite:$dir/bench.db
fi

ports=()
for i in 1 2 3; do
    port=$(free_port)
    "$BIN" serve --store "$store" --data "$dir/d$i" --threads "$THREADS" --access-log off \
        --listen "http://127.0.0.1:$port" >"$dir/cmpd$i.log" 2>&1 &
    pids+=($!)
    ports+=("$port")
    wait_healthy "$port" # one after the other: the first creates the schema and the keys
done

lb=$(free_port)
{
    cat <<CFG
global
    maxconn 4000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure
frontend fe
    bind 127.0.0.1:$lb
    default_backend cmpd
backend cmpd
    balance roundrobin
    option httpchk GET /readyz
    default-server inter 1s fall 2 rise 1
CFG
    for i in 0 1 2; do echo "    server c$i 127.0.0.1:${ports[$i]} check"; done
} >"$dir/haproxy.cfg"
"$HAPROXY" -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
pids+=($!)
wait_healthy "$lb"

tenant=$(cat /proc/sys/kernel/random/uuid)
tok=$("$BIN" token --store "$store" --tenant "$tenant" --roles DeviceManagementServiceConfig.ReadWrite.All)
col=/v1.0/deviceManagement/complianceManagementPartners
id=$(curl -fs -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
    -d '{"displayName":"bench target","partnerState":"enabled"}' "http://127.0.0.1:$lb$col" |
    sed -E 's/.*"id":"([^"]+)".*/\1/')

"$BIN" --version 2>/dev/null || true
echo "store: $STORE; --threads $THREADS per instance; wrk -t2 -c$CONNS -d${DURATION}s; $(nproc) cores"
printf '%-14s %-22s %10s %9s %9s %8s\n' scenario target req/s p50 p99 errors
run() { # scenario target-label port [wrk args...]
    local scen=$1 label=$2 port=$3 out rps p50 p99 bad
    shift 3
    out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $tok" "$@" \
        "http://127.0.0.1:$port$path")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    bad=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
    printf '%-14s %-22s %10s %9s %9s %8s\n' "$scen" "$label" "$rps" "$p50" "$p99" "$bad"
}
path="$col/$id"
run "GET by id" "1 instance" "${ports[0]}"
run "GET by id" "3 instances, haproxy" "$lb"
path=$col
# A create body for bench/lib/post.lua (the wrk script of make bench), which reads BODY_FILE.
export BODY_FILE="$dir/post-body.json"
printf '%s' '{"displayName":"bench partner","partnerState":"enabled","macOsOnboarded":true,"iosEnrollmentAssignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}' >"$BODY_FILE"
run "POST create" "1 instance" "${ports[0]}" -s "$here/bench/lib/post.lua"
run "POST create" "3 instances, haproxy" "$lb" -s "$here/bench/lib/post.lua"
for i in 0 1 2; do
    echo "peak RSS of instance $((i + 1)): $(grep VmHWM "/proc/${pids[$i]}/status" | awk '{print $2, $3}')"
done
