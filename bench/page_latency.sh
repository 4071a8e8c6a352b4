#!/usr/bin/env bash
# Latency of one filtered, ordered page in a tenant of 10,000 and in one of 1,000,000 partners
# (issue 3).  Rows are generated in SQL straight into a throwaway SQLite store; the page is then
# fetched through cmpd over HTTP with a real token, with wrk (-t1 -c1 and -c16, DURATION seconds).
# Usage: bench/page_latency.sh [build/cmpd]   Prints numbers; never fails on them.
set -euo pipefail
BIN=${1:-build/cmpd}
DURATION=${DURATION:-5}
PORT=${PORT:-18190}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null; rm -rf "$dir"' EXIT
SMALL=5a115a11-0000-4000-8000-000000000002
BIG=b16b16b1-0000-4000-8000-000000000001

gen() { # tenant rows
    cat <<SQL
INSERT INTO partners (tenant, id, last_heartbeat, last_heartbeat_ticks, partner_state, display_name,
  mac_os_onboarded, linux_onboarded, android_onboarded, ios_onboarded, mac_os_assignments,
  android_assignments, ios_assignments, linux_assignments, created, modified)
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $2)
SELECT '$1', printf('%08x-0000-4000-8000-%012x', x, x), '0001-01-01T00:00:00Z',
  630000000000000000 + (x % 1000) * 10000000, x % 6,
  CASE WHEN x % 97 = 0 THEN NULL ELSE printf('partner %07d', (x * 7919) % 1000003) END,
  x % 2, 0, 0, x % 3 = 0, '[]', '[]', '[]', '[]', 0, 0 FROM c;
SQL
}

"$BIN" serve --data "$dir" --access-log off --listen "http://127.0.0.1:$PORT" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
kill -TERM $pid; wait $pid || true
t0=$(date +%s)
{ echo "BEGIN;"; gen $SMALL 10000; gen $BIG 1000000; echo "COMMIT;"; } | sqlite3 "$dir/cmpd.db"
echo "generated 1,010,000 rows in $(($(date +%s) - t0)) s; db $(du -h "$dir/cmpd.db" | cut -f1)"
"$BIN" serve --data "$dir" --access-log off --listen "http://127.0.0.1:$PORT" >>"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
q='$filter=partnerState%20eq%20%27enabled%27&$orderby=displayName&$top=100'
for t in $SMALL $BIG; do
    tok=$("$BIN" token --data "$dir" --tenant $t --roles DeviceManagementServiceConfig.Read.All)
    url="http://127.0.0.1:$PORT/v1.0/deviceManagement/complianceManagementPartners?$q"
    n=$(curl -s -H "Authorization: Bearer $tok" "$url" | grep -o '"id"' | wc -l)
    for c in 1 16; do
        echo "tenant $t, $n items per page, -c$c:"
        wrk -t1 -c$c -d"${DURATION}s" --latency -H "Authorization: Bearer $tok" "$url" |
            grep -E 'Requests/sec|^ +50%|^ +99%'
    done
done
echo "peak RSS of cmpd: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
