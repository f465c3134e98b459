//! The instance registry (PostgreSQL; docs/operator-guide.md: Scale-out): each `latchkey
//! serve` heartbeats its row and acknowledges the auth generation its key
//! cache has caught up with; a revoking request waits for every live one.

use super::{DbConn, other_error};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryResult, QueryableByName, RunQueryDsl};

/// Seconds without a heartbeat after which an instance no longer counts as live.
pub const LIVE_SECS: i64 = 5;

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The current auth generation.
pub fn generation(conn: &mut PgConnection) -> QueryResult<u64> {
    let row: Number = diesel::sql_query("SELECT n FROM auth_generation WHERE id = 1").get_result(conn)?;
    Ok(row.n as u64)
}

/// The current auth generation, through a pooled connection.
pub fn current_generation(conn: &mut DbConn) -> QueryResult<u64> {
    let row: Number = diesel::sql_query("SELECT n FROM auth_generation WHERE id = 1").get_result(conn)?;
    Ok(row.n as u64)
}

/// The key cache listener's connection, outside the pool: it `LISTEN`s on
/// `latchkey_auth`, where every key or organisation change announces its
/// new auth generation at commit. The registry's functions take it as the
/// PostgreSQL connection it is.
pub struct Listener(PgConnection, PgConnection);

impl Listener {
    /// Connects and starts listening, with a second connection that sends
    /// the probes; every statement on either may take 2 s at most.
    pub fn connect(url: &str) -> QueryResult<Self> {
        let mut conn = PgConnection::establish(url).map_err(other_error)?;
        conn.batch_execute(
            "SET application_name = 'latchkey-listen'; SET statement_timeout = '2s'; LISTEN latchkey_auth",
        )?;
        let mut prober = PgConnection::establish(url).map_err(other_error)?;
        prober.batch_execute("SET application_name = 'latchkey-probe'; SET statement_timeout = '2s'")?;
        Ok(Self(conn, prober))
    }

    /// Announces probe `n` of instance `id` on the channel from the other
    /// connection: it comes back only if notifications reach this listening
    /// session while it is idle, as every other instance's changes must (a
    /// session's own notification would come back in its own answer).
    pub fn probe(&mut self, id: &str, n: u64) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_notify('latchkey_auth', $1)")
            .bind::<Text, _>(format!("probe:{id}:{n}"))
            .execute(&mut self.1)
            .map(|_| ())
    }

    /// The newest generation announced since the last call, if any was, and
    /// the newest of this instance's own probes (`probe:<id>:<n>`) heard.
    pub fn newest_announced(&mut self, id: &str) -> QueryResult<(Option<u64>, Option<u64>)> {
        let (mut newest, mut probe) = (None, None);
        let own = format!("probe:{id}:");
        for notification in self.0.notifications_iter() {
            let payload = notification?.payload;
            match payload.strip_prefix(&own) {
                Some(n) => probe = probe.max(n.parse::<u64>().ok()),
                None => newest = newest.max(payload.parse::<u64>().ok()),
            }
        }
        Ok((newest, probe))
    }

    /// The server process this session runs in: a pooler in transaction mode hands out others.
    pub fn backend_pid(&mut self) -> QueryResult<i32> {
        #[derive(QueryableByName)]
        struct Pid {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            pid: i32,
        }
        diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result::<Pid>(&mut self.0).map(|p| p.pid)
    }
}

impl std::ops::Deref for Listener {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.0
    }
}

impl std::ops::DerefMut for Listener {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0
    }
}

/// Records a heartbeat and the generation this instance has applied
/// (creating its row); answers the server process that ran it and how many
/// instances are live (this one included).
pub fn heartbeat_counted(conn: &mut PgConnection, id: &str, acked: u64) -> QueryResult<(i32, i64)> {
    #[derive(QueryableByName)]
    struct Beat {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
        #[diesel(sql_type = BigInt)]
        live: i64,
    }
    diesel::sql_query(
        "INSERT INTO api_instances (id, started_at, heartbeat_at, acked_generation) \
         VALUES ($1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', $2) ON CONFLICT (id) DO UPDATE \
         SET heartbeat_at = EXCLUDED.heartbeat_at, acked_generation = GREATEST(api_instances.acked_generation, EXCLUDED.acked_generation) \
         RETURNING pg_backend_pid() AS pid, 1 + (SELECT count(*) FROM api_instances o WHERE o.id <> $1 \
         AND o.heartbeat_at > (now() AT TIME ZONE 'UTC') - interval '5 seconds') AS live",
    )
    .bind::<Text, _>(id)
    .bind::<BigInt, _>(acked as i64)
    .get_result::<Beat>(conn)
    .map(|b| (b.pid, b.live))
}

/// Live instances that have not yet acknowledged `generation`. Old rows (an hour without a heartbeat) are removed.
pub fn lagging(conn: &mut PgConnection, generation: u64) -> QueryResult<i64> {
    let sql = format!(
        "SELECT count(*) AS n FROM api_instances WHERE acked_generation < $1 \
         AND heartbeat_at > (now() AT TIME ZONE 'UTC') - interval '{LIVE_SECS} seconds'"
    );
    let row: Number = diesel::sql_query(sql).bind::<BigInt, _>(generation as i64).get_result(conn)?;
    Ok(row.n)
}

/// Removes this instance's row (an orderly stop) and rows silent for an hour.
pub fn leave(conn: &mut PgConnection, id: &str) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM api_instances WHERE id = $1 OR heartbeat_at < (now() AT TIME ZONE 'UTC') - interval '1 hour'",
    )
    .bind::<Text, _>(id)
    .execute(conn)
    .map(|_| ())
}

/// [`leave`] over a connection of its own: an orderly stop, after the pool's work is done.
pub fn leave_via(url: &str, id: &str) -> QueryResult<()> {
    let mut conn = PgConnection::establish(url).map_err(other_error)?;
    leave(&mut conn, id)
}
