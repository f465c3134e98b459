#!/usr/bin/env bash
# Forward-auth benchmark (docs/PERFORMANCE.md: Forward auth): wrk through a
# real nginx to an upstream that answers 200 (nginx itself), the same run
# measuring the API **direct** (nginx → upstream) and **guarded** by Latchkey
# with deploy/nginx/latchkey.conf (nginx → /authz, then the upstream); then
# POST /api/v1/keys/verify against /healthz. SQLite, the `production` build.
# Targets: guarded ≥ 0.5 × direct with p99 < 5 ms; verify ≥ 0.85 × /healthz.
#   bench/forward-auth.sh               # 10 s per measurement
#   DURATION=5s bench/forward-auth.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
command -v wrk >/dev/null && command -v nginx >/dev/null || scripts/bootstrap
command -v wrk >/dev/null || { SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo); "${SUDO[@]}" apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then
  cargo build --profile production --quiet
  BIN=target/production/latchkey
fi
WORK=$(mktemp -d -t latchkey-fabench.XXXXXX)
SERVER_PID= NGINX_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=lib.sh
source bench/lib.sh

measure() {
  local out rps p50 p99
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  [ -z "$non2xx" ] || { echo "non-2xx answers ($non2xx) in: $*" >&2; exit 1; }
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

AUTHZ_PORT=$(free_port) UPSTREAM_PORT=$(free_port) DIRECT_PORT=$(free_port) GUARDED_PORT=$(free_port)
export LATCHKEY_AUTHZ_BIND=127.0.0.1:$AUTHZ_PORT LATCHKEY_AUTHZ_DEFAULT_API=sample LATCHKEY_DEFAULT_RATE_LIMIT=0
start_server "$BIN" "sqlite://$WORK/latchkey.db" "$WORK" forward-auth
login_and_create_key "$WORK/jar" customers:read keys:verify
GUARD_KEY=$KEY
login_and_create_key "$WORK/jar2"
export VERIFIED=$KEY

mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  upstream latchkey_authz { server 127.0.0.1:$AUTHZ_PORT; keepalive 64; }
  upstream your_api { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
  server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 "ok"; } }
  server { listen 127.0.0.1:$DIRECT_PORT;
    location / { proxy_pass http://your_api; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:$GUARDED_PORT; include $PWD/deploy/nginx/latchkey.conf; }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$DIRECT_PORT/" >/dev/null && break; sleep 0.1; done

path=/api/v1/customers
auth=(-H "Authorization: Bearer $GUARD_KEY")
wrk -t2 -c"$CONNECTIONS" -d2s "${auth[@]}" "http://127.0.0.1:$GUARDED_PORT$path" >/dev/null   # warm up
read -r d_rps d_p50 d_p99 < <(measure "http://127.0.0.1:$DIRECT_PORT$path")
read -r g_rps g_p50 g_p99 < <(measure "${auth[@]}" "http://127.0.0.1:$GUARDED_PORT$path")
read -r h_rps h_p50 h_p99 < <(measure "$BASE/healthz")
read -r v_rps v_p50 v_p99 < <(measure -s bench/verify.lua "${auth[@]}" "$BASE/api/v1/keys/verify")
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }
printf '%-34s %12s %9s %9s\n' "$CONNECTIONS connections, $DURATION each" "requests/s" "p50 ms" "p99 ms"
printf '%-34s %12s %9s %9s\n' "nginx → upstream (direct)" "$d_rps" "$d_p50" "$d_p99"
printf '%-34s %12s %9s %9s\n' "nginx → Latchkey → upstream" "$g_rps" "$g_p50" "$g_p99"
printf '%-34s %12s %9s %9s\n' "GET /healthz" "$h_rps" "$h_p50" "$h_p99"
printf '%-34s %12s %9s %9s\n' "POST /api/v1/keys/verify" "$v_rps" "$v_p50" "$v_p99"
echo "guarded / direct = $(ratio "$g_rps" "$d_rps") (target ≥ 0.5, p99 < 5 ms); verify / healthz = $(ratio "$v_rps" "$h_rps") (target ≥ 0.85)"
