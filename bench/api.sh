#!/usr/bin/env bash
# API hot-path benchmark: one release server per backend (SQLite, then a
# throwaway PostgreSQL), 32 connections with wrk, measuring in one run:
# /healthz, authenticated GET /api/v1/ping (a key limited to 1,000,000 a
# minute: through the rate limiter, cluster-wide on PostgreSQL), malformed-key
# rejection and an authenticated list call; then peak RSS and a revocation check. Uses the
# `production` build profile (release + LTO), as a deployment would.
#   bench/api.sh                 # 10 s per endpoint
#   DURATION=5s bench/api.sh
#   BIN=/path/to/latchkey bench/api.sh   # measure a binary built elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
command -v wrk >/dev/null || { SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo); "${SUDO[@]}" apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then   # BIN=path measures a binary built elsewhere (e.g. an older commit)
  cargo build --profile production --quiet
  BIN=target/production/latchkey
fi
WORK=$(mktemp -d -t latchkey-apibench.XXXXXX)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ "$(type -t pg_throwaway_stop)" = function ] && pg_throwaway_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=lib.sh
source bench/lib.sh

# Prints "requests/s p50 p99" of one wrk run (latencies in ms).
measure() {
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" 2>&1)
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

# Transactions committed or rolled back in the benchmark's PostgreSQL database so far.
transactions() {
  "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d bench -Atc \
    "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'bench'"
}

run_backend() {
  local name=$1 url=$2
  start_server "$BIN" "$url" "$WORK" "$name"
  local base=$BASE jar=$WORK/jar-$name
  # A limited key (the most a key may have: 1,000,000 a minute, never reached in a run), so every
  # ping goes through the rate limiter: on PostgreSQL the cluster-wide one (leases, a sync a second).
  KEY_RATE_LIMIT=1000000 login_and_create_key "$jar"
  local token=$TOKEN key=$KEY
  curl -fs -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"customer_email":"a@b.co"}' "$base/api/v1/orders" >/dev/null
  local bad="lk_live_00000000000000000000000000000000000000"
  # Warm up (first connections, start-up jobs) before anything is measured.
  wrk -t2 -c"$CONNECTIONS" -d2s -H "Authorization: Bearer $key" "$base/api/v1/ping" >/dev/null
  read -r h_rps h_p50 h_p99 < <(measure "$base/healthz")
  local tx_before=
  if [ "$name" = postgres ]; then sleep 11; tx_before=$(transactions); fi
  read -r p_rps p_p50 p_p99 < <(measure -H "Authorization: Bearer $key" "$base/api/v1/ping")
  local tx_per_1000=
  if [ -n "$tx_before" ]; then
    sleep 11   # PostgreSQL publishes a backend's counts up to 10 s late; the pause is counted too
    tx_per_1000=$(python3 -c "print(f'{($(transactions) - $tx_before) / ($p_rps * ${DURATION%s} / 1000):.3f}')")
  fi
  read -r m_rps m_p50 m_p99 < <(measure -H "Authorization: Bearer $bad" "$base/api/v1/ping")
  read -r l_rps l_p50 l_p99 < <(measure -H "Authorization: Bearer $key" "$base/api/v1/orders?limit=10")
  # /healthz again at the end: this machine's throughput drifts by 10-20 % over a minute, so the
  # ratios use the mean of the two /healthz runs that bracket the others.
  read -r h2_rps _ _ < <(measure "$base/healthz")
  h_rps=$(python3 -c "print(round((float($h_rps) + float($h2_rps)) / 2, 2))")
  local rss; rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$SERVER_PID/status")
  ratio() { python3 -c "print(f'{float($1)/float($2):.2f}')"; }
  printf '| %s | /healthz | %s | %s | %s | 1.00 |\n' "$name" "$h_rps" "$h_p50" "$h_p99"
  printf '| %s | ping (valid key) | %s | %s | %s | %s |\n' "$name" "$p_rps" "$p_p50" "$p_p99" "$(ratio "$p_rps" "$h_rps")"
  printf '| %s | malformed key (401) | %s | %s | %s | %s |\n' "$name" "$m_rps" "$m_p50" "$m_p99" "$(ratio "$m_rps" "$h_rps")"
  printf '| %s | list orders | %s | %s | %s | %s |\n' "$name" "$l_rps" "$l_p50" "$l_p99" "$(ratio "$l_rps" "$h_rps")"
  printf '| %s | peak RSS | %s MiB | | | |\n' "$name" "$rss"
  [ -n "$tx_per_1000" ] && printf '| %s | database transactions per 1,000 pings (pg_stat_database, everything the server did) | %s | | | |\n' "$name" "$tx_per_1000"
  # Revocation must still take effect on the very next request.
  local key_id; key_id=$(curl -s -b "$jar" "$base/orgs/bench/settings/api-keys" | grep -o 'data-key-id="key_[0-9A-Za-z]*"' | head -1 | sed 's/.*="//;s/"//')
  curl -s -o /dev/null -b "$jar" --data-urlencode "csrf_token=$token" "$base/orgs/bench/settings/api-keys/$key_id/revoke"
  local after; after=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$base/api/v1/ping")
  printf '| %s | ping right after revoke | answered %s | | | |\n' "$name" "$after"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}

echo "API benchmark: wrk -t2 -c$CONNECTIONS -d$DURATION, release build, $(nproc) cores (wrk shares them)"
echo "| backend | endpoint | requests/s | p50 ms | p99 ms | × /healthz |"
echo "|---|---|---|---|---|---|"
run_backend sqlite "sqlite://$WORK/bench.db"
# shellcheck source=../scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres bench
run_backend postgres "${LATCHKEY_TEST_DATABASE_URL%/postgres}/bench"
