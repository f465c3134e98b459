# Source this: starts a throwaway PostgreSQL cluster in a temp dir on a free
# port, exports LATCHKEY_TEST_DATABASE_URL, and defines pg_throwaway_stop.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
# In memory when there is room (/dev/shm with 8 GiB free): a suite leaves
# ~3 GiB of databases, which a disk takes seconds to delete at the end.
PGTMP_PARENT=${TMPDIR:-/tmp}
if [ -w /dev/shm ] && [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')" -gt $((8 * 1024 * 1024)) ] 2>/dev/null; then
  PGTMP_PARENT=/dev/shm
fi
PGTMP=$(mktemp -d -p "$PGTMP_PARENT" latchkey-pg.XXXXXX)
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PG_AS=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$PGTMP"; PG_AS=(runuser -u postgres --); fi # initdb refuses root
"${PG_AS[@]}" "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PGTMP/initdb.log"
"${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
export LATCHKEY_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
# Immediate: the cluster is thrown away, so it need not write a shutdown checkpoint first.
pg_throwaway_stop() { "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$PGTMP"; }
