#!/usr/bin/env bash
# Audit log benchmark (issue: 1,000,000 events for one org). For SQLite and a
# throwaway PostgreSQL: seeds one org with EVENTS synthetic events, starts the
# release server, logs in as the owner and times the log's pages with curl.
#   bench/audit-log.sh            # 1,000,000 events, 20 requests per page
#   EVENTS=100000 RUNS=10 bench/audit-log.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1000000}
RUNS=${RUNS:-20}
cargo build --release --quiet
BIN=target/release/latchkey
WORK=$(mktemp -d -t latchkey-bench.XXXXXX)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ "$(type -t pg_throwaway_stop)" = function ] && pg_throwaway_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Prints "median max" in milliseconds of RUNS GETs of $1 with cookie jar $2.
time_page() {
  local url=$1 jar=$2 times
  times=$(for _ in $(seq "$RUNS"); do
    curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}\n' "$url"
  done)
  if echo "$times" | grep -qv '^200 '; then echo "non-200 answer for $url" >&2; echo "$times" | sort | uniq -c >&2; exit 1; fi
  echo "$times" | awk '{print $2*1000}' | sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f", a[int((NR+1)/2)], a[NR]}'
}

run_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  "$BIN" user create --email owner@bench.test --name "Bench Owner" --password bench-password >/dev/null
  "$BIN" org create --slug bench --name "Bench Org" --plan paid --owner owner@bench.test >/dev/null
  local seed_start seed_secs
  seed_start=$(date +%s%N)
  "$BIN" audit seed-bench --org bench --events "$EVENTS" 2>/dev/null
  seed_secs=$(( ($(date +%s%N) - seed_start) / 1000000000 ))
  local port; port=$(free_port)
  LATCHKEY_BIND=127.0.0.1:$port LATCHKEY_KEYS_FILE=$WORK/keys RUST_LOG=warn "$BIN" serve 2>"$WORK/server-$name.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local jar=$WORK/jar-$name base=http://127.0.0.1:$port token
  token=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" --data-urlencode email=owner@bench.test \
    --data-urlencode password=bench-password "$base/login"
  local log=$base/orgs/bench/settings/audit-log mid=$((EVENTS / 2))
  local day; day=$(date -u -d '-200 days' +%Y-%m-%d)
  printf '| %s | first page | %s |\n' "$name" "$(time_page "$log" "$jar")"
  printf '| %s | action filter (1 in 9) | %s |\n' "$name" "$(time_page "$log?action=member.added" "$jar")"
  printf '| %s | actor + action (1 in 450) | %s |\n' "$name" "$(time_page "$log?actor=user7%40bench.test&action=org.created" "$jar")"
  printf '| %s | one day (from=to=%s) | %s |\n' "$name" "$day" "$(time_page "$log?from=$day&to=$day" "$jar")"
  printf '| %s | page in the middle (cursor) | %s |\n' "$name" "$(time_page "$log?cursor=$mid" "$jar")"
  printf '| %s | (seeding %s events took %s s) | |\n' "$name" "$EVENTS" "$seed_secs"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}

echo "Audit log, $EVENTS events in one org, $RUNS GETs each (median / max ms), $(nproc) cores"
echo "| backend | page | median max (ms) |"
echo "|---|---|---|"
run_backend sqlite "sqlite://$WORK/bench.db"
# shellcheck source=../scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres bench
run_backend postgres "${LATCHKEY_TEST_DATABASE_URL%/postgres}/bench"
