# Shared by the bench scripts: a server on a free port, an owner logged in
# through the console, and an unlimited API key made through the create form.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server BIN DATABASE_URL WORKDIR NAME: starts `serve`, sets SERVER_PID and BASE.
# SERVE_PREFIX (e.g. a valgrind command line) runs `serve` under another program.
start_server() {
  local bin=$1 url=$2 work=$3 name=$4
  DATABASE_URL=$url "$bin" user create --email owner@bench.test --name "Bench Owner" --password bench-password >/dev/null
  DATABASE_URL=$url "$bin" org create --slug bench --name "Bench Org" --plan paid --owner owner@bench.test >/dev/null
  local port; port=$(free_port)
  BASE=http://127.0.0.1:$port
  DATABASE_URL=$url LATCHKEY_BIND=127.0.0.1:$port LATCHKEY_KEYS_FILE=$work/keys RUST_LOG=warn \
    ${SERVE_PREFIX:-} "$bin" serve 2>"$work/server-$name.log" &
  SERVER_PID=$!
  for _ in $(seq 600); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
}

# A wrk latency ("812.00us", "1.63ms", "2.01s") in milliseconds.
to_ms() { python3 -c "import sys; v=sys.argv[1]; u=''.join(c for c in v if c.isalpha()); n=float(v[:len(v)-len(u)]); print(round(n*{'us':0.001,'ms':1,'s':1000}[u],2))" "$1"; }

csrf_of() { grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//'; }

# login_and_create_key JAR [SCOPE...]: logs the owner in (cookie jar JAR); sets TOKEN (CSRF), KEY
# (API token of a new key of the sample API with those scopes ticked; none = full access),
# limited to KEY_RATE_LIMIT requests a minute (default 0: unlimited).
login_and_create_key() {
  local jar=$1; shift
  local scope_args=(--data-urlencode access=full)
  if [ $# -gt 0 ]; then scope_args=(--data-urlencode access=custom); fi
  for scope in "$@"; do scope_args+=(--data-urlencode "scopes=$scope"); done
  TOKEN=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | csrf_of)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$TOKEN" --data-urlencode email=owner@bench.test \
    --data-urlencode password=bench-password "$BASE/login"
  local page form_id; page=$(curl -s -b "$jar" "$BASE/orgs/bench/settings/api-keys/new")
  # Login rotated the CSRF token: take the new one from the form.
  TOKEN=$(echo "$page" | csrf_of)
  form_id=$(echo "$page" | grep -o 'name="form_id" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  KEY=$(curl -s -b "$jar" --data-urlencode "csrf_token=$TOKEN" --data-urlencode "form_id=$form_id" --data-urlencode label=bench \
    "${scope_args[@]}" --data-urlencode "rate_limit_per_minute=${KEY_RATE_LIMIT:-0}" "$BASE/orgs/bench/settings/api-keys" | grep -o 'lk_live_[0-9A-Za-z]*' | head -1)
}

# The session cookie in JAR, as a Cookie header value.
session_cookie() { awk '$6 == "latchkey_session" {print $6 "=" $7}' "$1"; }
