//! The instance registry (PostgreSQL; docs/operator-guide.md: Scale-out): each `latchkey
//! serve` heartbeats its row and acknowledges the auth generation its key
//! cache has caught up with; a revoking request waits for every live one.

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

/// Seconds without a heartbeat after which an instance no longer counts as live.
pub const LIVE_SECS: i64 = 5;

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The current auth generation.
pub fn generation(conn: &mut diesel::PgConnection) -> diesel::QueryResult<u64> {
    let row: Number = diesel::sql_query("SELECT n FROM auth_generation WHERE id = 1").get_result(conn)?;
    Ok(row.n as u64)
}

/// Records a heartbeat and the generation this instance has applied (creating its row).
pub fn heartbeat(conn: &mut diesel::PgConnection, id: &str, acked: u64) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO api_instances (id, started_at, heartbeat_at, acked_generation) \
         VALUES ($1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', $2) ON CONFLICT (id) DO UPDATE \
         SET heartbeat_at = EXCLUDED.heartbeat_at, acked_generation = GREATEST(api_instances.acked_generation, EXCLUDED.acked_generation)",
    )
    .bind::<Text, _>(id)
    .bind::<BigInt, _>(acked as i64)
    .execute(conn)
    .map(|_| ())
}

/// Live instances that have not yet acknowledged `generation`. Old rows (an hour without a heartbeat) are removed.
pub fn lagging(conn: &mut diesel::PgConnection, generation: u64) -> diesel::QueryResult<i64> {
    let sql = format!(
        "SELECT count(*) AS n FROM api_instances WHERE acked_generation < $1 \
         AND heartbeat_at > (now() AT TIME ZONE 'UTC') - interval '{LIVE_SECS} seconds'"
    );
    let row: Number = diesel::sql_query(sql).bind::<BigInt, _>(generation as i64).get_result(conn)?;
    Ok(row.n)
}

/// Removes this instance's row (an orderly stop) and rows silent for an hour.
pub fn leave(conn: &mut diesel::PgConnection, id: &str) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM api_instances WHERE id = $1 OR heartbeat_at < (now() AT TIME ZONE 'UTC') - interval '1 hour'",
    )
    .bind::<Text, _>(id)
    .execute(conn)
    .map(|_| ())
}
