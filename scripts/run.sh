#!/usr/bin/env bash
# `make run`: start cmpd on its embedded default (SQLite in ./cmpd-data, https://127.0.0.1:8443
# and http://127.0.0.1:8080), then print a ready-to-paste curl that creates the documented example
# partner with a freshly minted token.  Ctrl-C stops the server.
set -euo pipefail
BIN=${1:-build/cmpd}
DATA=${2:-./cmpd-data}
TENANT=${CMPD_TENANT:-11111111-1111-4111-8111-111111111111}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

"$BIN" serve --data "$DATA" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 100); do
    curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || exit 1
    sleep 0.1
done
token=$("$BIN" token --data "$DATA" --tenant "$TENANT" \
    --roles DeviceManagementServiceConfig.ReadWrite.All)
data_abs=$(cd "$DATA" && pwd)
cat <<TXT

cmpd is running (tenant $TENANT). Create the documented example partner:

curl --cacert $data_abs/tls/ca.pem \\
  -H 'Authorization: Bearer $token' \\
  -H 'Content-Type: application/json' \\
  --data @$ROOT/examples/create-request.json \\
  https://127.0.0.1:8443/v1.0/deviceManagement/complianceManagementPartners

List them:  curl --cacert $data_abs/tls/ca.pem -H 'Authorization: Bearer $token' https://127.0.0.1:8443/v1.0/deviceManagement/complianceManagementPartners
Another token: $BIN token --data $DATA --tenant <GUID> --roles DeviceManagementServiceConfig.ReadWrite.All
Stop with Ctrl-C.
TXT
wait $pid
