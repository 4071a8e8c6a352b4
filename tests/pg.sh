#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks.
#   tests/pg.sh start DIR     initdb in DIR/data (superuser role `cmpd`, trust auth, 127.0.0.1 only,
#                             unix socket in DIR), start it on a free port, print its URL
#                             postgres://cmpd@127.0.0.1:PORT/postgres and write it to DIR/url
#   tests/pg.sh stop DIR      fast shutdown; nothing to do (exit 0) when it is not running
#   tests/pg.sh restart DIR   fast restart on the same port
#   tests/pg.sh bindir        print the directory of the PostgreSQL programs (psql, createdb, ...)
# The binaries come from /usr/lib/postgresql/*/bin (highest version), else from PATH.  PostgreSQL
# refuses to run as root: as root the cluster runs as the `postgres` system user (DIR is chowned to
# it, and every directory above DIR must let it through); otherwise as the current user.
# The port is picked at random in CMPD_PG_PORTS (default 20000-32000, below Linux's ephemeral
# range), skipping ports in use, and another one is tried if the bind still fails.
set -euo pipefail

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

bindir() {
    local d
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
    if [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]]; then
        echo "$d"
        return
    fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return
    fi
    die "PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin nor in PATH; Debian: apt-get install postgresql)"
}

# Run a PostgreSQL program as the cluster's owner.
as_owner() {
    if ((EUID == 0)); then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local range=${CMPD_PG_PORTS:-20000-32000} lo hi p i
    lo=${range%-*}
    hi=${range#*-}
    for ((i = 0; i < 200; i++)); do
        p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
        port_in_use "$p" || {
            echo "$p"
            return
        }
    done
    die "no free port in $range"
}

cmd_start() {
    local dir=$1 bin port url attempt d
    bin=$(bindir)
    [[ -e $dir/data/PG_VERSION ]] && die "$dir already holds a cluster (stop it and remove $dir first)"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # The socket path (DIR/.s.PGSQL.PORT) must fit in sun_path (108 bytes).
    ((${#dir} <= 90)) || die "$dir is too long for a unix socket path; use a shorter directory"
    if ((EUID == 0)); then
        id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (Debian's postgresql package creates it)"
        chown postgres: "$dir"
        chmod 700 "$dir"
        d=$dir
        while [[ $d != / ]]; do
            d=$(dirname "$d")
            runuser -u postgres -- test -x "$d" ||
                die "user postgres cannot enter $d (chmod o+x it, or put the cluster elsewhere)"
        done
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U cmpd -A trust -E UTF8 --locale=C --no-sync \
        >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    }
    cat >>"$dir/data/postgresql.conf" <<EOF

# tests/pg.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
logging_collector = off
log_min_messages = warning
EOF
    for attempt in 1 2 3 4 5; do
        port=$(pick_port)
        echo "port = $port" >>"$dir/data/postgresql.conf"
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -s start >/dev/null 2>&1; then
            url="postgres://cmpd@127.0.0.1:$port/postgres"
            echo "$port" >"$dir/port"
            echo "$url" >"$dir/url"
            echo "$url"
            return
        fi
        # A port taken between the check and the bind: try another one.
        grep -qiE 'could not bind|address already in use' "$dir/log" 2>/dev/null || break
        echo "pg.sh: port $port taken, trying another (attempt $attempt)" >&2
    done
    tail -20 "$dir/log" >&2 2>/dev/null || true
    die "could not start PostgreSQL in $dir"
}

running() {
    [[ -f $1/data/postmaster.pid ]] && as_owner "$2/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

cmd_stop() {
    local dir=$1 bin
    [[ -d $dir/data ]] || return 0
    bin=$(bindir)
    running "$dir" "$bin" || return 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 -s stop >/dev/null 2>&1 ||
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 -s stop >/dev/null 2>&1 ||
        ! running "$dir" "$bin" || die "could not stop PostgreSQL in $dir"
}

cmd_restart() {
    local dir=$1 bin
    [[ -f $dir/data/PG_VERSION ]] || die "no cluster in $dir (tests/pg.sh start it first)"
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -m fast -w -t 60 -s restart >/dev/null 2>&1 || {
        tail -20 "$dir/log" >&2 2>/dev/null || true
        die "could not restart PostgreSQL in $dir"
    }
}

case "${1:-}" in
start | stop | restart)
    [[ $# -eq 2 && -n $2 ]] || die "usage: $0 $1 DIR"
    "cmd_$1" "$2"
    ;;
bindir) bindir ;;
*) die "usage: $0 start|stop|restart DIR | bindir" ;;
esac
