#!/usr/bin/env bash
# Bounded load and soak test (loopback only): first a probe burst (32
# correct logins 16 at a time — argon2 takes 19 MiB each —, 500 malformed
# requests, 500 requests with made-up methods), then 64 connections on a mix
# of API calls (ping, list, create) and console pages (key list, dashboard)
# with a logged-in session, in two back-to-back halves. Fails on any error or
# non-2xx answer in the halves, on memory growth over MAX_GROWTH_MIB between
# the halves, on a peak RSS (VmHWM) over MAX_PEAK_MIB, or on a second-half p99
# over P99_FACTOR × the first half's.
#   bench/soak.sh                         # 2 × 30 s = 60 s, production build
#   HALF=5s BIN=target/debug/latchkey bench/soak.sh    # the short variant scripts/test runs
set -euo pipefail
cd "$(dirname "$0")/.."
HALF=${HALF:-30s}
CONNECTIONS=${CONNECTIONS:-64}
MAX_GROWTH_MIB=${MAX_GROWTH_MIB:-16}
MAX_PEAK_MIB=${MAX_PEAK_MIB:-64}
P99_FACTOR=${P99_FACTOR:-3}
command -v wrk >/dev/null || { SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo); "${SUDO[@]}" apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then
  cargo build --profile production --quiet
  BIN=target/production/latchkey
fi
WORK=$(mktemp -d -t latchkey-soak.XXXXXX)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
# shellcheck source=lib.sh
source bench/lib.sh

start_server "$BIN" "sqlite://$WORK/soak.db" "$WORK" soak
login_and_create_key "$WORK/jar"
export LK_KEY=$KEY LK_COOKIE; LK_COOKIE=$(session_cookie "$WORK/jar")
[ -n "$LK_KEY" ] && [ -n "$LK_COOKIE" ] || { echo "soak: could not log in and create a key" >&2; exit 1; }

rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$SERVER_PID/status"; }
peak() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$SERVER_PID/status"; }

# The probe burst: what scanners and fuzzers send.
login_once() {
  local jar; jar=$(mktemp)
  local t; t=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | csrf_of)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$t" --data-urlencode email=owner@bench.test \
    --data-urlencode password=bench-password "$BASE/login"
  rm -f "$jar"
}
export -f login_once csrf_of; export BASE
seq 32 | xargs -P16 -I{} bash -c login_once
python3 - "${BASE##*:}" <<'PY'
import socket, sys
for i in range(500):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(f"GET / HTTP/1.1\r\nHost: x\r\nBad header {i}\r\n\r\n".encode())
    s.recv(1024); s.close()
PY
seq 500 | xargs -P16 -I{} curl -s -o /dev/null -X "PROBE{}" "$BASE/api/v1/ping"
half() {
  local out; out=$(wrk -t2 -c"$CONNECTIONS" -d"$HALF" --latency -s bench/soak.lua "$BASE" 2>&1)
  local rps p99 bad errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  bad=$(echo "$out" | awk '/Non-2xx or 3xx responses/ {print $5}')
  errors=$(echo "$out" | awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10}')
  echo "$rps $(to_ms "$p99") ${bad:-0} ${errors:-0}"
}
start_rss=$(rss)
read -r rps1 p99_1 bad1 err1 < <(half)
mid_rss=$(rss)
read -r rps2 p99_2 bad2 err2 < <(half)
end_rss=$(rss)
peak_rss=$(peak)

echo "Soak: wrk -t2 -c$CONNECTIONS, 2 × $HALF, $(nproc) cores, $BIN"
echo "| half | requests/s | p99 ms | non-2xx | socket errors | RSS after (MiB) |"
echo "|---|---|---|---|---|---|"
echo "| before the halves (after the probe burst) | | | | | $start_rss |"
echo "| 1 | $rps1 | $p99_1 | $bad1 | $err1 | $mid_rss |"
echo "| 2 | $rps2 | $p99_2 | $bad2 | $err2 | $end_rss |"
echo "Peak RSS (VmHWM) over the whole run: $peak_rss MiB (bound $MAX_PEAK_MIB MiB)"
python3 - "$bad1" "$err1" "$bad2" "$err2" "$mid_rss" "$end_rss" "$p99_1" "$p99_2" "$MAX_GROWTH_MIB" "$P99_FACTOR" "$peak_rss" "$MAX_PEAK_MIB" <<'PY'
import sys
bad1, err1, bad2, err2 = map(int, sys.argv[1:5])
mid, end, p1, p2, growth, factor, top, top_bound = map(float, sys.argv[5:13])
problems = []
if top > top_bound:
    problems.append(f"peak RSS {top} MiB over the bound of {top_bound} MiB")
if bad1 or bad2 or err1 or err2:
    problems.append(f"errors: non-2xx {bad1}+{bad2}, socket {err1}+{err2}")
if end - mid > growth:
    problems.append(f"memory grew {end - mid:.1f} MiB in the second half (bound {growth} MiB)")
if p2 > factor * max(p1, 1.0):
    problems.append(f"p99 went from {p1} ms to {p2} ms")
if problems:
    sys.exit("soak FAILED: " + "; ".join(problems))
print(f"soak ok: no errors, memory {end - mid:+.1f} MiB over the second half, peak {top} MiB, p99 {p1} → {p2} ms")
PY
