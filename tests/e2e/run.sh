#!/usr/bin/env bash
# End-to-end tests: the real cmpd binary (CMPD_BIN, default build/cmpd) over HTTP and HTTPS, raw and
# through the Microsoft Graph JavaScript client.  Installs the pinned client first when
# node_modules is missing or older than package-lock.json.  Prints node's TAP summary
# (# pass N / # fail N) and exits with the runner's status.
set -euo pipefail
# A relative CMPD_BIN is relative to where run.sh was called from.
if [[ -n "${CMPD_BIN:-}" && "$CMPD_BIN" != /* ]]; then
    CMPD_BIN="$PWD/$CMPD_BIN"
    export CMPD_BIN
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ||
      ! -d node_modules/@microsoft/microsoft-graph-client ]]; then
    npm ci --silent --no-audit --no-fund
fi

# --test-concurrency exists from node 20.10 / 21; older runners pick their own file concurrency.
args=(--test --test-reporter=tap)
if node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=10)?0:1)'; then
    # Each test is bounded, and a file whose tests are done exits even if a handle lingers, so a
    # stuck test fails instead of holding the run.
    args+=(--test-concurrency=2 --test-timeout=120000 --test-force-exit)
fi

status=0
node "${args[@]}" ./*.test.mjs || status=$?
exit "$status"
