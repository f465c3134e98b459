//! Cluster-wide rate limits (PostgreSQL): one token bucket per key or
//! owner, to which each instance reports what it spent, at most once a
//! second, in one statement for all its buckets (docs/operator-guide.md:
//! Scale-out → Rate limits across instances).

use super::{DbConn, QueryResult};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Text};

/// A bucket's state after a sync.
#[derive(Debug, Clone, QueryableByName)]
pub struct Synced {
    #[diesel(sql_type = Text)]
    pub bucket: String,
    /// Tokens left in the whole cluster (negative: spent ahead of the refill).
    #[diesel(sql_type = Double)]
    pub tokens: f64,
    /// Instances that spent from it in the last 3 s, this one included.
    #[diesel(sql_type = BigInt)]
    pub sharers: i64,
    /// Live instances (heartbeat in the last 5 s), at least 1.
    #[diesel(sql_type = BigInt)]
    pub live: i64,
}

/// Reports `spent` tokens of each bucket (name, capacity a minute, spent)
/// for instance `instance`, refilling each bucket for the time since its
/// last report first; a changed capacity starts the bucket afresh. Answers
/// each bucket's state. Times come from the database's clock.
pub fn sync(conn: &mut DbConn, instance: &str, spent: &[(String, i64, i64)]) -> QueryResult<Vec<Synced>> {
    let DbConn::Pg(pg) = conn else { return Ok(Vec::new()) };
    let names: Vec<&str> = spent.iter().map(|s| s.0.as_str()).collect();
    let capacities: Vec<i64> = spent.iter().map(|s| s.1).collect();
    let counts: Vec<i64> = spent.iter().map(|s| s.2).collect();
    // `excluded.tokens` carries capacity - spent, so the update can tell what was spent.
    diesel::sql_query(
        "WITH input AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(bucket, capacity, spent)), \
         clock AS (SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS t), \
         upserted AS ( \
           INSERT INTO rate_buckets (bucket, capacity, tokens, updated_at) \
           SELECT i.bucket, i.capacity, (i.capacity - i.spent)::float8, clock.t FROM input i, clock \
           ON CONFLICT (bucket) DO UPDATE SET \
             tokens = CASE WHEN rate_buckets.capacity <> excluded.capacity THEN excluded.tokens \
               ELSE LEAST(rate_buckets.capacity::float8, rate_buckets.tokens \
                 + GREATEST(0, excluded.updated_at - rate_buckets.updated_at) * rate_buckets.capacity / 60.0) \
                 - (excluded.capacity - excluded.tokens) END, \
             capacity = excluded.capacity, updated_at = excluded.updated_at \
           RETURNING bucket, tokens), \
         shared AS ( \
           INSERT INTO rate_bucket_shares (bucket, instance_id, synced_at) SELECT i.bucket, $4, clock.t FROM input i, clock \
           ON CONFLICT (bucket, instance_id) DO UPDATE SET synced_at = excluded.synced_at RETURNING bucket) \
         SELECT u.bucket, u.tokens, \
           1 + (SELECT COUNT(*) FROM rate_bucket_shares s, clock \
                WHERE s.bucket = u.bucket AND s.instance_id <> $4 AND s.synced_at > clock.t - 3) AS sharers, \
           GREATEST(1, (SELECT COUNT(*) FROM api_instances \
                WHERE heartbeat_at > (now() AT TIME ZONE 'UTC') - interval '5 seconds')) AS live \
         FROM upserted u",
    )
    .bind::<Array<Text>, _>(names)
    .bind::<Array<BigInt>, _>(capacities)
    .bind::<Array<BigInt>, _>(counts)
    .bind::<Text, _>(instance)
    .load(pg)
}

/// Forgets buckets nobody reported to for an hour (full again long since) and stale shares.
pub fn forget_idle(conn: &mut DbConn) -> QueryResult<()> {
    let DbConn::Pg(pg) = conn else { return Ok(()) };
    diesel::sql_query("DELETE FROM rate_buckets WHERE updated_at < EXTRACT(EPOCH FROM clock_timestamp()) - 3600")
        .execute(pg)?;
    diesel::sql_query("DELETE FROM rate_bucket_shares WHERE synced_at < EXTRACT(EPOCH FROM clock_timestamp()) - 60")
        .execute(pg)
        .map(|_| ())
}
