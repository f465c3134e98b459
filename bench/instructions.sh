#!/usr/bin/env bash
# Instructions per request (valgrind's callgrind counts them; the same
# binary and requests give the same count whatever else the machine is
# doing, unlike requests/s on a shared 2-core machine): /healthz, an
# authenticated GET /api/v1/ping and POST /api/v1/keys/verify, one request
# at a time over one kept-alive connection, SQLite, production build. Every
# key first makes more requests than its request log keeps as rows in an
# hour, so the count is wrk's steady state: the log counts them.
#   bench/instructions.sh
#   REQUESTS=500 BIN=/path/to/latchkey bench/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-2000}
command -v callgrind_control >/dev/null || { SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo); "${SUDO[@]}" apt-get install -y -qq valgrind >/dev/null; }
if [ -z "${BIN:-}" ]; then
  cargo build --profile production --quiet
  BIN=target/production/latchkey
fi
WORK=$(mktemp -d -t latchkey-instr.XXXXXX)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=lib.sh
source bench/lib.sh
export LATCHKEY_DEFAULT_RATE_LIMIT=0
# Counting starts only when asked (callgrind_control -i on), after start-up and the warm-up.
SERVE_PREFIX="valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$WORK/callgrind.%p" \
  start_server "$BIN" "sqlite://$WORK/latchkey.db" "$WORK" instructions
login_and_create_key "$WORK/jar" customers:read keys:verify
export GUARD_KEY=$KEY
login_and_create_key "$WORK/jar2"
export VERIFIED=$KEY

# requests KIND N: N requests of one kind, one after another on one connection.
requests() {
  python3 - "$BASE" "$1" "$2" <<'PY'
import http.client, json, os, sys
base, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection(base.split("//")[1])
auth = {"Authorization": "Bearer " + os.environ["GUARD_KEY"]}
body = json.dumps({"key": os.environ["VERIFIED"], "method": "GET", "path": "/api/v1/customers"})
for _ in range(n):
    if kind == "healthz":
        conn.request("GET", "/healthz")
    elif kind == "ping":
        conn.request("GET", "/api/v1/ping", headers=auth)
    else:
        conn.request("POST", "/api/v1/keys/verify", body=body, headers={**auth, "Content-Type": "application/json"})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit(f"{kind}: {answer.status}")
PY
}

# Waits until the server has used under 20 ms of CPU in a second: the
# request log's writer has written the warm-up's rows, which would
# otherwise be counted against the requests measured next.
wait_idle() {
  local before after
  for _ in $(seq 120); do
    before=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    sleep 1
    after=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    [ $((after - before)) -le 2 ] && return
  done
}

declare -A per_request
for kind in healthz ping verify; do
  requests "$kind" 2100   # past the 2,000 rows an hour a key's log keeps
  wait_idle
  callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1
  requests "$kind" "$REQUESTS"
  callgrind_control -i off "$SERVER_PID" >/dev/null 2>&1
  callgrind_control -d "$kind" "$SERVER_PID" >/dev/null 2>&1
  callgrind_control -z "$SERVER_PID" >/dev/null 2>&1
  total=$(awk '/^totals:/ {print $2}' "$(grep -l "^desc: Trigger: dump $kind" "$WORK"/callgrind."$SERVER_PID".*)")
  per_request[$kind]=$((total / REQUESTS))
done
printf '%-28s %16s %12s\n' "$REQUESTS requests each" "instructions" "× /healthz"
for kind in healthz ping verify; do
  printf '%-28s %16s %12s\n' "$kind" "${per_request[$kind]}" \
    "$(python3 -c "print(f'{${per_request[$kind]}/${per_request[healthz]}:.2f}')")"
done
