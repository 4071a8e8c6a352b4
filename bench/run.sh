#!/usr/bin/env bash
# `make bench`: cmpd against the HTTP ceiling of this machine and against the peers a user would
# otherwise run, in one run, interleaved, and one table of the numbers.  BENCHMARKS.md explains the
# method and quotes a full run.
#
# Starts, each on its own loopback port(s):
#   cmpd-sqlite    build/cmpd on a throwaway --data directory (SQLite), --access-log off
#   cmpd-postgres  build/cmpd on a throwaway PostgreSQL cluster (tests/pg.sh)
#   nginx          the same JSON bytes cmpd returns, as static files (the ceiling); POST and PATCH
#                  answered from its configuration without work
#   json-server, prism   from npm (pinned, installed once into $BENCH_CACHE), serving the payloads
#                  of ../shared/bench (bench/lib/gen-data.mjs)
# cmpd and nginx listen on http and https (cmpd's local CA; nginx uses the same certificate); the
# npm peers speak plain HTTP only, so they appear in the http sections.  Every cmpd request carries
# a real application token (`cmpd token --roles DeviceManagementServiceConfig.ReadWrite.All`); the
# others get the same header.  cmpd is seeded through its POST endpoint with the peers' 1,000
# partners, plus two tenants of SMALL and BIG partners bulk-inserted after cmpd created its schema.
#
# Then ROUNDS times: for each scheme, for each scenario, every system in turn (the order reversed
# in every other round): a WARMUP run of wrk, then a DURATION run whose rps, p50 and p99 are kept.
# The table has the mean over the rounds per scenario and system, the ratios to nginx, and cmpd's
# peak RSS (VmHWM).  It never fails on a number: the exit status is non-zero only when something
# could not run, and the table then says what.
#
# Environment (all optional; lists comma- or space-separated):
#   DURATION    wrk -d of each measured run (default 5s)      WARMUP  before each run (default 2s; 0: none)
#   ROUNDS      repetitions of the whole sweep (default 2)    THREADS wrk -t (default 1)
#   SYSTEMS     default "cmpd nginx json-server prism" (cmpd = one instance per store in STORES)
#   SCENARIOS   default "get_id@32 get_id@64 get_id@256 list100@32 post@32 patch@32 page_small@32
#               page_big@32 deep_small@32 deep_big@32" (name@connections)
#   STORES      sqlite,postgres (default both)                SCHEMES http,https (default both)
#   SMALL, BIG  partners in the two tenants of the filtered page (default 10000 and 1000000)
#   SEED        partners created through POST for get_id/list100/patch (default 1000)
#   QUICK=1     a ~2-minute smoke run: DURATION=1s WARMUP=0 ROUNDS=1 BIG=100000 (each overridable)
#   NGINX_WORKERS  nginx worker_processes (default 1)       CMPD_THREADS  cmpd --threads (default: its own)
#   CMPD_ARGS   more `cmpd serve` options                     CMPD_BIN  the binary (default build/cmpd)
#   BENCH_CACHE where the npm peers are installed (default build/bench-cache)
#   RESULTS_DIR where latest.md (the table), latest.tsv (every run) and latest.json (the settings)
#               go (default bench/results); `node bench/lib/report.mjs latest.tsv latest.json` redraws it
#   KEEP_WORK=1 keep the work directory (logs, data) instead of deleting it
# Full run on the project's 2-core machine with the defaults: 16-20 minutes (BENCHMARKS.md).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
T_START=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

if [[ ${QUICK:-0} == 1 ]]; then
    : "${DURATION:=1s}" "${WARMUP:=0}" "${ROUNDS:=1}" "${BIG:=100000}"
fi
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-1}
SMALL=${SMALL:-10000}
BIG=${BIG:-1000000}
SEED=${SEED:-1000}
NGINX_WORKERS=${NGINX_WORKERS:-1}
CMPD_THREADS=${CMPD_THREADS:-}
CMPD_BIN=${CMPD_BIN:-$ROOT/build/cmpd}
BENCH_CACHE=${BENCH_CACHE:-$ROOT/build/bench-cache}
RESULTS_DIR=${RESULTS_DIR:-$HERE/results}
list() { tr ',' ' ' <<<"$1" | xargs; } # "a,b c" -> "a b c"
SYSTEMS=$(list "${SYSTEMS:-cmpd nginx json-server prism}")
SCENARIOS=$(list "${SCENARIOS:-get_id@32 get_id@64 get_id@256 list100@32 post@32 patch@32 page_small@32 page_big@32 deep_small@32 deep_big@32}")
STORES=$(list "${STORES:-sqlite,postgres}")
SCHEMES=$(list "${SCHEMES:-http,https}")
read -r -a CMPD_EXTRA <<<"${CMPD_ARGS:-}"

COLL=/v1.0/deviceManagement/complianceManagementPartners
ROLES=DeviceManagementServiceConfig.ReadWrite.All
TENANT_A=a0a0a0a0-0000-4000-8000-00000000000a   # the SEED partners, get_id/list100/post/patch
TENANT_SMALL=5a5a5a5a-0000-4000-8000-000000000001
TENANT_BIG=b1b1b1b1-0000-4000-8000-000000000002
FILTER_Q="\$filter=partnerState%20eq%20%27enabled%27&\$orderby=displayName&\$top=100"
NPM_PKGS=(json-server@0.17.4 @stoplight/prism-cli@5.14.2)

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
dur_s() { # 5s | 5 | 1m -> seconds
    local d=$1
    case $d in *m) echo $((${d%m} * 60)) ;; *s) echo "${d%s}" ;; *) echo "$d" ;; esac
}
with_s() { [[ $1 =~ ^[0-9]+$ ]] && echo "${1}s" || echo "$1"; }
DURATION=$(with_s "$DURATION")
WARMUP=$(with_s "$WARMUP")
[[ $(dur_s "$DURATION") =~ ^[0-9]+$ && $(dur_s "$DURATION") -ge 1 ]] || die "DURATION must be whole seconds, got $DURATION"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got $ROUNDS"
for s in $STORES; do [[ $s == sqlite || $s == postgres ]] || die "unknown store $s (sqlite, postgres)"; done
for s in $SCHEMES; do [[ $s == http || $s == https ]] || die "unknown scheme $s (http, https)"; done

# Systems: "cmpd" stands for one instance per store.
SYS=()
for s in $SYSTEMS; do
    case $s in
    cmpd) for st in $STORES; do SYS+=("cmpd-$st"); done ;;
    cmpd-sqlite | cmpd-postgres | nginx | json-server | prism) SYS+=("$s") ;;
    *) die "unknown system $s (cmpd nginx json-server prism)" ;;
    esac
done
CMPDS=()
for s in "${SYS[@]}"; do [[ $s == cmpd-* ]] && CMPDS+=("$s"); done
has() { [[ " ${SYS[*]} " == *" $1 "* ]]; }
for spec in $SCENARIOS; do
    [[ $spec =~ ^(get_id|list100|post|patch|page_small|page_big|deep_small|deep_big)@[1-9][0-9]*$ ]] ||
        die "unknown scenario $spec (get_id list100 post patch page_small page_big deep_small deep_big, @connections)"
done

# ---- tools ---------------------------------------------------------------------------------
for t in wrk nginx node curl openssl; do
    command -v "$t" >/dev/null || die "$t not found (make deps installs it; Debian: apt-get install wrk nginx nodejs curl openssl)"
done
((${#CMPDS[@]} == 0)) || [[ -x $CMPD_BIN ]] || die "$CMPD_BIN not found (make build)"
CMPD_BIN=$(realpath "$CMPD_BIN")
if has cmpd-sqlite; then command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"; fi
if has cmpd-postgres; then
    PGBIN=$("$ROOT/tests/pg.sh" bindir) || die "PostgreSQL not found (apt-get install postgresql)"
fi

# ---- work directory and cleanup ------------------------------------------------------------
WORK=$(mktemp -d /tmp/cmpd-bench.XXXXXX)
chmod 711 "$WORK" # the PostgreSQL cluster runs as `postgres` when we are root; nginx's workers read www/
declare -A PID=() PORT=() TOKEN=() FIRST_ID=() DEEP=() DEAD=() RSS=()
NOTES=()   # what could not run
PG_STARTED=0

stop() { # stop NAME: TERM a process we started, KILL it if it lingers
    local name=$1 pid=${PID[$1]:-}
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    unset "PID[$name]"
}
cleanup() {
    local rc=$? name
    trap - EXIT INT TERM
    for name in "${!PID[@]}"; do stop "$name"; done
    ((PG_STARTED)) && { "$ROOT/tests/pg.sh" stop "$WORK/pg" >/dev/null 2>&1 || true; }
    if [[ ${KEEP_WORK:-0} == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A TAKEN=()
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        [[ -z ${TAKEN[$p]:-} ]] || continue
        (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        TAKEN[$p]=1
        echo "$p"
        return
    done
}

wait_ready() { # NAME URL: until GET URL answers (any HTTP status), 30 s at most
    local name=$1 url=$2
    for _ in $(seq 300); do
        [[ $(curl -sk -o /dev/null -w '%{http_code}' "$url" 2>/dev/null) != 000 ]] && return 0
        kill -0 "${PID[$name]}" 2>/dev/null || {
            tail -n 20 "$WORK/$name.log" >&2
            die "$name exited while starting (log above)"
        }
        sleep 0.1
    done
    tail -n 20 "$WORK/$name.log" >&2
    die "$name did not answer at $url"
}

# ---- npm peers -----------------------------------------------------------------------------
if has json-server || has prism; then
    command -v npm >/dev/null || die "npm not found (apt-get install npm)"
    mkdir -p "$BENCH_CACHE/npm"
    BENCH_CACHE=$(cd "$BENCH_CACHE" && pwd)
    NPMBIN=$BENCH_CACHE/npm/node_modules/.bin
    if ! [[ -x $NPMBIN/json-server && -x $NPMBIN/prism ]]; then
        log "installing ${NPM_PKGS[*]} into $BENCH_CACHE/npm"
        [[ -f $BENCH_CACHE/npm/package.json ]] ||
            echo '{"name":"cmpd-bench-peers","private":true,"version":"0.0.0"}' >"$BENCH_CACHE/npm/package.json"
        (cd "$BENCH_CACHE/npm" && npm install --no-audit --no-fund --loglevel=error "${NPM_PKGS[@]}" >&2) ||
            die "npm install ${NPM_PKGS[*]} failed"
    fi
fi

# ---- fixtures (the payloads of ../shared/bench) ---------------------------------------------
FIX=$WORK/fixtures
node "$HERE/lib/gen-data.mjs" "$FIX" "$SEED" >&2
PEER_ID=$(head -n 1 "$FIX/ids.txt")

# ---- cmpd ----------------------------------------------------------------------------------
PGSTORE=
cmpd_where() { # the --data/--store arguments of an instance
    case $1 in
    cmpd-sqlite) echo --data "$WORK/cmpd-sqlite" ;;
    cmpd-postgres) echo --store "$PGSTORE" ;;
    esac
}
start_cmpd() { # NAME
    local name=$1 args=()
    [[ -n ${PORT[$name-http]:-} ]] || { PORT[$name-http]=$(free_port); PORT[$name-https]=$(free_port); }
    case $name in
    cmpd-sqlite) args=(--data "$WORK/cmpd-sqlite") ;;
    cmpd-postgres) args=(--store "$PGSTORE" --data "$WORK/cmpd-postgres") ;;
    esac
    [[ -n $CMPD_THREADS ]] && args+=(--threads "$CMPD_THREADS")
    "$CMPD_BIN" serve "${args[@]}" --access-log off \
        --listen "http://127.0.0.1:${PORT[$name-http]}" --listen "https://127.0.0.1:${PORT[$name-https]}" \
        "${CMPD_EXTRA[@]}" >>"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
    wait_ready "$name" "http://127.0.0.1:${PORT[$name-http]}/healthz"
}
cmpd_cli() { # NAME ARGS...: a cmpd command against the instance's store
    local name=$1
    shift
    # shellcheck disable=SC2046
    "$CMPD_BIN" "$@" $(cmpd_where "$name")
}

# Bulk load: SMALL and BIG partners into their tenants, every column copied from the first SEED
# partner (so the rows are in cmpd's own format) except tenant, id, partnerState (1 in 6 is
# 'enabled') and displayName (a permutation, so the name order is not the insertion order).  The
# column list is read from the live schema that cmpd created; nothing here restates it.
load_sqlite() {
    local db=$WORK/cmpd-sqlite/cmpd.db cols sel k t n sql=""
    cols=$(sqlite3 "$db" "SELECT group_concat(name, ', ') FROM pragma_table_info('partners') WHERE pk = 0")
    for k in 1 2; do
        if ((k == 1)); then t=$TENANT_SMALL n=$SMALL; else t=$TENANT_BIG n=$BIG; fi
        sel=$(sqlite3 "$db" "SELECT group_concat(CASE name
            WHEN 'tenant' THEN '''$t'''
            WHEN 'id' THEN 'printf(''%08x-0000-4000-8000-%012x'', $k, x)'
            WHEN 'partner_state' THEN 'x % 6'
            WHEN 'display_name' THEN 'printf(''Display Name value %07d'', (x * 7919) % 1000003)'
            ELSE 't.' || name END, ', ') FROM pragma_table_info('partners') WHERE pk = 0")
        sql+="INSERT INTO partners ($cols) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $n)
              SELECT $sel FROM c, (SELECT * FROM partners WHERE tenant = '$TENANT_A' ORDER BY $(sqlite3 "$db" "SELECT name FROM pragma_table_info('partners') WHERE pk = 1") LIMIT 1) AS t;"
    done
    sqlite3 "$db" "PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; BEGIN; $sql COMMIT; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
}
load_postgres() {
    local psql=("$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$PGSTORE") cols sel k t n sql=""
    local where="table_schema = current_schema() AND table_name = 'partners' AND is_identity = 'NO' AND is_generated = 'NEVER'"
    cols=$("${psql[@]}" -c "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE $where")
    for k in 1 2; do
        if ((k == 1)); then t=$TENANT_SMALL n=$SMALL; else t=$TENANT_BIG n=$BIG; fi
        sel=$("${psql[@]}" -c "SELECT string_agg(CASE column_name
            WHEN 'tenant' THEN '''$t'''
            WHEN 'id' THEN 'format(''%s-0000-4000-8000-%s'', lpad(to_hex($k), 8, ''0''), lpad(to_hex(x), 12, ''0''))'
            WHEN 'partner_state' THEN 'x % 6'
            WHEN 'display_name' THEN 'format(''Display Name value %s'', lpad(((x::bigint * 7919) % 1000003)::text, 7, ''0''))'
            ELSE 't.' || quote_ident(column_name) END, ', ' ORDER BY ordinal_position)
            FROM information_schema.columns WHERE $where")
        sql+="INSERT INTO partners ($cols) SELECT $sel FROM generate_series(1, $n) AS x,
              (SELECT * FROM partners WHERE tenant = '$TENANT_A' ORDER BY seq LIMIT 1) AS t;"
    done
    "${psql[@]}" -c "SET synchronous_commit = off; BEGIN; $sql COMMIT;" -c "ANALYZE partners" >/dev/null
}

prepare_cmpd() { # NAME: first start (schema, keys, TLS), seed, bulk load, restart (the measured process)
    local name=$1 t0=$SECONDS base tok
    log "$name: starting"
    if [[ $name == cmpd-postgres ]]; then
        local url
        url=$("$ROOT/tests/pg.sh" start "$WORK/pg") || die "could not start PostgreSQL (tests/pg.sh)"
        PG_STARTED=1
        "$PGBIN/psql" -X -q -d "$url" -c 'CREATE DATABASE bench' || die "could not create the bench database"
        PGSTORE=${url%/*}/bench
    fi
    start_cmpd "$name"
    for t in $TENANT_A $TENANT_SMALL $TENANT_BIG; do
        cmpd_cli "$name" tenant add "$t" >/dev/null || die "$name: cmpd tenant add $t failed"
    done
    tok=$(cmpd_cli "$name" token --tenant "$TENANT_A" --roles "$ROLES" --expires-in 86400) || die "$name: cmpd token failed"
    base="http://127.0.0.1:${PORT[$name-http]}$COLL"
    log "$name: creating $SEED partners through POST"
    node "$HERE/lib/seed.mjs" "$base" "$FIX/seed-bodies.json" "$tok" >"$WORK/$name.ids" ||
        die "$name: seeding through POST failed"
    stop "$name"
    log "$name: bulk-inserting $SMALL + $BIG partners"
    "load_${name#cmpd-}" || die "$name: bulk insert failed"
    start_cmpd "$name"
    for t in A SMALL BIG; do
        local v=TENANT_$t
        TOKEN[$name-$t]=$(cmpd_cli "$name" token --tenant "${!v}" --roles "$ROLES" --expires-in 86400) ||
            die "$name: cmpd token failed"
    done
    FIRST_ID[$name]=$(head -n 1 "$WORK/$name.ids")
    log "$name: ready in $((SECONDS - t0)) s (pid ${PID[$name]})"
}

# The deep page: half-way through the filtered, ordered set, addressed by the $skiptoken of the
# nextLink of a $skip page (fetched once; the measured requests then seek by the token).
deep_url() { # NAME SCHEME SIZE(SMALL|BIG) -> path and query
    local name=$1 scheme=$2 size=$3 base count body next
    base="$scheme://127.0.0.1:${PORT[$name-$scheme]}$COLL"
    local auth=(-H "Authorization: Bearer ${TOKEN[$name-$size]}" --cacert "$WORK/$name/tls/ca.pem")
    count=$(curl -fsS "${auth[@]}" "$base/\$count?\$filter=partnerState%20eq%20%27enabled%27") || return 1
    body=$(curl -fsS "${auth[@]}" "$base?$FILTER_Q&\$skip=$((count / 2))") || return 1
    next=$(node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); if (!j["@odata.nextLink"]) process.exit(1); console.log(new URL(j["@odata.nextLink"]).pathname + new URL(j["@odata.nextLink"]).search)' <<<"$body") || return 1
    echo "$next"
}

for name in "${CMPDS[@]}"; do prepare_cmpd "$name"; done

# ---- nginx: cmpd's own bytes as static files -------------------------------------------------
WWW=$WORK/www
mkdir -p "$WWW"
chmod 755 "$WWW"
if ((${#CMPDS[@]})); then
    ref=${CMPDS[0]}
    a=(-fsS -H "Authorization: Bearer ${TOKEN[$ref-A]}")
    curl "${a[@]}" -o "$WWW/entity.json" "http://127.0.0.1:${PORT[$ref-http]}$COLL/${FIRST_ID[$ref]}" || die "GET from $ref failed"
    curl "${a[@]}" -o "$WWW/list100.json" "http://127.0.0.1:${PORT[$ref-http]}$COLL?\$top=100" || die "list from $ref failed"
    CERT=$WORK/$ref/tls/cert.pem KEY=$WORK/$ref/tls/key.pem
else
    cp "$FIX/entity.json" "$FIX/list100.json" "$WWW/"
    CERT=$WORK/nginx-cert.pem KEY=$WORK/nginx-key.pem
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEY" -out "$CERT" \
        -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null ||
        die "openssl could not make a certificate for nginx"
fi
chmod 644 "$WWW"/*.json
start_nginx() {
    local n=$WORK/nginx created
    mkdir -p "$n/logs" "$n/tmp"
    PORT[nginx-http]=$(free_port)
    PORT[nginx-https]=$(free_port)
    # POST answers 201 with the entity, from the configuration: '$' spelled ${dollar}.
    # shellcheck disable=SC2016
    created=$(sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g" -e 's/\$/${dollar}/g' "$WWW/entity.json")
    cat >"$n/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
pid $n/nginx.pid;
error_log $n/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  open_file_cache max=64 inactive=60s;
  open_file_cache_valid 60s;
  client_body_temp_path $n/tmp/body;
  proxy_temp_path $n/tmp/proxy;
  fastcgi_temp_path $n/tmp/fastcgi;
  uwsgi_temp_path $n/tmp/uwsgi;
  scgi_temp_path $n/tmp/scgi;
  geo \$dollar { default "\$"; }
  server {
    listen 127.0.0.1:${PORT[nginx-http]};
    listen 127.0.0.1:${PORT[nginx-https]} ssl;
    ssl_certificate $CERT;
    ssl_certificate_key $KEY;
    root $WWW;
    location = $COLL {
      if (\$request_method = POST) { return 201 '$created'; }
      try_files /list100.json =404;
    }
    location ~ ^$COLL/[^/]+\$ {
      if (\$request_method = PATCH) { return 204; }
      try_files /entity.json =404;
    }
  }
}
EOF
    nginx -p "$n" -c "$n/nginx.conf" -g 'daemon off;' >"$WORK/nginx.log" 2>&1 &
    PID[nginx]=$!
    wait_ready nginx "http://127.0.0.1:${PORT[nginx-http]}/"
}

start_json_server() { # a fresh copy of the SEED-entity db every round (POST and PATCH persist)
    [[ -n ${PORT[json-server]:-} ]] || PORT[json-server]=$(free_port)
    cp "$FIX/db.json" "$WORK/json-server-db.json"
    (cd "$WORK" && exec "$NPMBIN/json-server" --host 127.0.0.1 --port "${PORT[json-server]}" --quiet \
        --routes "$FIX/routes.json" "$WORK/json-server-db.json") >>"$WORK/json-server.log" 2>&1 &
    PID[json-server]=$!
    wait_ready json-server "http://127.0.0.1:${PORT[json-server]}$COLL/$PEER_ID"
}
start_prism() {
    PORT[prism]=$(free_port)
    "$NPMBIN/prism" mock -h 127.0.0.1 -p "${PORT[prism]}" "$FIX/openapi.json" >/dev/null 2>>"$WORK/prism.log" &
    PID[prism]=$!
    wait_ready prism "http://127.0.0.1:${PORT[prism]}$COLL/$PEER_ID"
}
has nginx && start_nginx
has json-server && start_json_server
has prism && start_prism

for name in "${CMPDS[@]}"; do
    for scheme in $SCHEMES; do
        for size in SMALL BIG; do
            if [[ " $SCENARIOS " == *" deep_${size,,}@"* ]]; then
                DEEP[$name-$scheme-$size]=$(deep_url "$name" "$scheme" "$size") ||
                    NOTES+=("$name: the deep-page \$skiptoken could not be fetched over $scheme ($size tenant)")
            fi
        done
    done
done

# ---- what runs where -------------------------------------------------------------------------
applies() { # SYSTEM SCENARIO CONNS SCHEME
    local sys=$1 sc=$2 c=$3 scheme=$4
    case $sys in
    json-server | prism) [[ $scheme == http && $sc =~ ^(get_id|list100|post|patch)$ && $c -le 64 ]] ;;
    nginx) [[ $sc =~ ^(get_id|list100|post|patch)$ ]] ;;
    cmpd-*) true ;;
    esac
}
url_of() { # SYSTEM SCENARIO SCHEME
    local sys=$1 sc=$2 scheme=$3 base id=$PEER_ID port
    case $sys in
    json-server | prism) port=${PORT[$sys]} ;;
    *) port=${PORT[$sys-$scheme]} ;;
    esac
    base="$scheme://127.0.0.1:$port$COLL"
    [[ $sys == cmpd-* ]] && id=${FIRST_ID[$sys]}
    case $sc in
    get_id) echo "$base/$id" ;;
    list100) if [[ $sys == json-server ]]; then echo "$base?_limit=100"; else echo "$base?\$top=100"; fi ;;
    post | patch) echo "$base" ;;
    page_small | page_big) echo "$base?$FILTER_Q" ;;
    deep_small) echo "$scheme://127.0.0.1:$port${DEEP[$sys-$scheme-SMALL]}" ;;
    deep_big) echo "$scheme://127.0.0.1:$port${DEEP[$sys-$scheme-BIG]}" ;;
    esac
}
token_of() { # SYSTEM SCENARIO: the bearer token sent (the peers get cmpd's, for the same request size)
    local sys=$1 sc=$2 ref=${CMPDS[0]:-}
    [[ $sys == cmpd-* ]] && ref=$sys
    [[ -n $ref ]] || return 0
    case $sc in
    page_small | deep_small) [[ $sys == cmpd-* ]] && { echo "${TOKEN[$ref-SMALL]}"; return; } ;;
    page_big | deep_big) [[ $sys == cmpd-* ]] && { echo "${TOKEN[$ref-BIG]}"; return; } ;;
    esac
    echo "${TOKEN[$ref-A]}"
}
# PATCH cycles through the partners after the first 100: the get_id target and the list100 page
# keep the bytes nginx serves as their copy.
ids_of() { if [[ $1 == cmpd-* ]]; then echo "$WORK/$1.patch-ids"; else echo "$FIX/patch-ids.txt"; fi; }
patch_ids() { if (($(wc -l <"$1") > 100)); then tail -n +101 "$1"; else cat "$1"; fi; }
patch_ids "$FIX/ids.txt" >"$FIX/patch-ids.txt"
for name in "${CMPDS[@]}"; do patch_ids "$WORK/$name.ids" >"$WORK/$name.patch-ids"; done

# One request of each (system, scheme, scenario) before measuring: the status it must answer, and
# the size of what it answers (GETs).  A system that answers anything else is not measured there.
declare -A BYTES=() BROKEN=()
check() { # SYSTEM SCENARIO SCHEME
    local sys=$1 sc=$2 scheme=$3 url tok want out args=()
    url=$(url_of "$sys" "$sc" "$scheme")
    tok=$(token_of "$sys" "$sc")
    [[ -n $tok ]] && args+=(-H "Authorization: Bearer $tok")
    case $sc in # cmpd: 201 and 204; json-server answers a PATCH with 200 and the partner
    post) want='2[0-9][0-9]' args+=(-X POST -H 'Content-Type: application/json' --data-binary "@$FIX/post-body.json") ;;
    patch) want='2[0-9][0-9]' url="$url/$(head -n 1 "$(ids_of "$sys")")" args+=(-X PATCH -H 'Content-Type: application/json' --data-binary "@$FIX/patch-body.json") ;;
    *) want=200 ;;
    esac
    out=$(curl -sk -o /dev/null -w '%{http_code} %{size_download}' "${args[@]}" "$url" 2>/dev/null) || true
    # shellcheck disable=SC2053
    if [[ ${out%% *} != $want ]]; then
        BROKEN[$sys-$sc-$scheme]=1
        NOTES+=("$sys $sc over $scheme answered ${out%% *}, not $want: not measured")
        return
    fi
    [[ $sc == post || $sc == patch ]] || BYTES[$sys-$sc-$scheme]=${out#* }
}

to_ms() { # 512.00us | 1.23ms | 1.01s | 2.00m -> milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
        else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
run_wrk() { # SYSTEM SCENARIO CONNS SCHEME DURATION -> wrk's output
    local sys=$1 sc=$2 c=$3 scheme=$4 d=$5 url tok args=()
    url=$(url_of "$sys" "$sc" "$scheme")
    tok=$(token_of "$sys" "$sc")
    args=(-t"$THREADS" -c"$c" -d"$d" --timeout 5s --latency)
    [[ -n $tok ]] && args+=(-H "Authorization: Bearer $tok")
    case $sc in
    post) args+=(-s "$HERE/lib/post.lua") ;;
    patch) args+=(-s "$HERE/lib/patch.lua") ;;
    esac
    BODY_FILE=$FIX/$sc-body.json IDS_FILE=$(ids_of "$sys") \
        timeout -k 5 $(($(dur_s "$d") + 30)) wrk "${args[@]}" "$url"
}

RAW=$WORK/results.tsv
printf 'round\tscheme\tscenario\tconns\tsystem\trps\tp50_ms\tp99_ms\tnon2xx\tsock_err\n' >"$RAW"
alive() { kill -0 "${PID[$1]:-0}" 2>/dev/null; }
measure() { # ROUND SYSTEM SCENARIO CONNS SCHEME
    local round=$1 sys=$2 sc=$3 c=$4 scheme=$5 out rps p50 p99 non2xx sockerr
    [[ -z ${BROKEN[$sys-$sc-$scheme]:-} && -z ${DEAD[$sys]:-} ]] || return 0
    if ! alive "$sys"; then
        DEAD[$sys]=1
        NOTES+=("$sys exited during the run (round $round, before $sc@$c over $scheme); see its log")
        tail -n 20 "$WORK/$sys.log" >&2 || true
        return 0
    fi
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then run_wrk "$sys" "$sc" "$c" "$scheme" "$WARMUP" >/dev/null 2>&1 || true; fi
    if ! out=$(run_wrk "$sys" "$sc" "$c" "$scheme" "$DURATION" 2>&1) || ! grep -q '^Requests/sec' <<<"$out" ||
        grep -q '\.lua:' <<<"$out"; then
        NOTES+=("wrk failed on $sys $sc@$c over $scheme, round $round: $(tail -n 1 <<<"$out")")
        return 0
    fi
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' <<<"$out")
    sockerr=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$scheme" "$sc" "$c" "$sys" "${rps:-0}" \
        "$p50" "$p99" "${non2xx:-0}" "${sockerr:-0}" >>"$RAW"
    log "round $round $scheme $sc@$c $sys: ${rps:-0} rps, p50 $p50 ms, p99 $p99 ms${non2xx:+, non-2xx $non2xx}"
}

# ---- the sweep -------------------------------------------------------------------------------
for scheme in $SCHEMES; do
    for spec in $SCENARIOS; do
        for sys in "${SYS[@]}"; do
            applies "$sys" "${spec%@*}" "${spec#*@}" "$scheme" && check "$sys" "${spec%@*}" "$scheme"
        done
    done
done
n_runs=0
for scheme in $SCHEMES; do for spec in $SCENARIOS; do for sys in "${SYS[@]}"; do
    applies "$sys" "${spec%@*}" "${spec#*@}" "$scheme" && n_runs=$((n_runs + 1))
done; done; done
per=$((10 * ($(dur_s "$DURATION") + $(dur_s "$WARMUP")) + 3)) # tenths of a second per run, wrk start included
log "setup done in $((SECONDS - T_START)) s; $ROUNDS round(s) of $n_runs runs, ${DURATION} each (+${WARMUP} warm-up): about $(((ROUNDS * n_runs * per + 599) / 600)) min"
T_SWEEP=$SECONDS
for round in $(seq "$ROUNDS"); do
    if has json-server && ((round > 1)) && [[ -z ${DEAD[json-server]:-} ]]; then
        stop json-server
        start_json_server # the same starting db in every round
    fi
    order=("${SYS[@]}")
    if ((round % 2 == 0)); then
        order=()
        for ((i = ${#SYS[@]} - 1; i >= 0; i--)); do order+=("${SYS[$i]}"); done
    fi
    for scheme in $SCHEMES; do
        for spec in $SCENARIOS; do
            for sys in "${order[@]}"; do
                applies "$sys" "${spec%@*}" "${spec#*@}" "$scheme" || continue
                measure "$round" "$sys" "${spec%@*}" "${spec#*@}" "$scheme"
            done
        done
    done
done
T_SWEEP=$((SECONDS - T_SWEEP))

# ---- peak RSS, then the table --------------------------------------------------------------
for name in "${CMPDS[@]}"; do
    if alive "$name"; then
        RSS[$name]=$(awk '/^VmHWM:/ { print $2 }' "/proc/${PID[$name]}/status")
    fi
done

META=$WORK/meta.json
{
    printf '{\n'
    printf '"date": "%s",\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf '"nproc": %s,\n' "$(nproc)"
    printf '"cpu": "%s",\n' "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    printf '"load_start": "%s", "load_end": "%s",\n' "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
    if ((${#CMPDS[@]})); then # the commit, +changes when src/ differs from it (the binary is built from the work tree)
        printf '"cmpd": "%s %s%s",\n' "$("$CMPD_BIN" --version 2>/dev/null | head -n 1)" \
            "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || true)" \
            "$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo '+changes')"
    else
        printf '"cmpd": "cmpd not run",\n'
    fi
    printf '"versions": "%s",\n' "$(nginx -v 2>&1 | sed 's/.*nginx\//nginx /'); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}'); node $(node --version); sqlite3 $(sqlite3 --version | cut -d' ' -f1)$(has cmpd-postgres && echo "; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')")$( (has json-server || has prism) && echo "; ${NPM_PKGS[*]}")"
    printf '"settings": "wrk -t%s, %s per run after a %s warm-up, %s round(s); nginx worker_processes %s; cmpd --threads %s; SEED %s, SMALL %s, BIG %s",\n' \
        "$THREADS" "$DURATION" "$WARMUP" "$ROUNDS" "$NGINX_WORKERS" "${CMPD_THREADS:-default ($(nproc))}" "$SEED" "$SMALL" "$BIG"
    printf '"stores": "%s", "schemes": "%s", "scenarios": "%s", "systems": "%s",\n' "$STORES" "$SCHEMES" "$SCENARIOS" "${SYS[*]}"
    printf '"small": %s, "big": %s,\n' "$SMALL" "$BIG"
    printf '"elapsed_s": %s, "sweep_s": %s,\n' "$((SECONDS - T_START))" "$T_SWEEP"
    printf '"rss_kb": {'
    sep=
    for name in "${!RSS[@]}"; do printf '%s"%s": %s' "$sep" "$name" "${RSS[$name]}"; sep=', '; done
    printf '},\n"bytes": {'
    sep=
    for k in "${!BYTES[@]}"; do printf '%s"%s": %s' "$sep" "$k" "${BYTES[$k]}"; sep=', '; done
    printf '},\n"notes": ['
    sep=
    for n in "${NOTES[@]}"; do printf '%s%s' "$sep" "$(node -e 'console.log(JSON.stringify(process.argv[1]))' "$n")"; sep=', '; done
    printf ']\n}\n'
} >"$META"

mkdir -p "$RESULTS_DIR"
cp "$RAW" "$RESULTS_DIR/latest.tsv"
cp "$META" "$RESULTS_DIR/latest.json"
node "$HERE/lib/report.mjs" "$RAW" "$META" >"$RESULTS_DIR/latest.md"
cat "$RESULTS_DIR/latest.md"
log "table written to $RESULTS_DIR/latest.md (every run: latest.tsv); $((SECONDS - T_START)) s in all"
if ((${#NOTES[@]})); then
    log "some runs could not be made:"
    for n in "${NOTES[@]}"; do log "  $n"; done
    exit 1
fi
