//! Cluster-wide rate limits (PostgreSQL): one token bucket per key or
//! owner. Instances *lease* tokens from it and spend them in memory; a
//! sync (one transaction for all of an instance's buckets) moves each lease
//! towards what the instance wants, never beyond its fair part
//! (docs/operator-guide.md: Scale-out → Rate limits across instances).

use super::{DbConn, QueryResult};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Text};
use std::collections::HashMap;

/// What an instance says of one bucket.
#[derive(Debug, Clone)]
pub struct Ask {
    pub bucket: String,
    /// The limit a minute: the bucket's capacity (a new capacity starts the bucket afresh).
    pub capacity: i64,
    /// Tokens of its lease not spent yet.
    pub unused: f64,
    /// The lease it would like to hold (about two periods of its demand);
    /// 0: it is done with the bucket and gives its lease back.
    pub want: f64,
}

/// A bucket's answer to one instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lease {
    /// Tokens added to the instance's lease (negative: taken back from it).
    pub granted: f64,
    /// Tokens left in the bucket, leased to nobody.
    pub unleased: f64,
    /// Instances holding a lease on it (this one included).
    pub sharers: i64,
}

#[derive(QueryableByName)]
pub struct Row {
    #[diesel(sql_type = Text)]
    pub bucket: String,
    #[diesel(sql_type = BigInt)]
    pub capacity: i64,
    #[diesel(sql_type = Double)]
    pub tokens: f64,
    #[diesel(sql_type = Double)]
    pub updated_at: f64,
    #[diesel(sql_type = Double)]
    pub now: f64,
    #[diesel(sql_type = BigInt)]
    pub others: i64,
}

/// Syncs `asks` for `instance` in one transaction: each bucket is refilled
/// for the time since it was last touched, then the instance's lease is
/// moved to what it wants, capped by its fair part (what the bucket and the
/// lease hold together, divided among the instances holding leases): the
/// bucket grants the difference, or takes the excess back. The sum of all
/// leases never exceeds what the buckets held.
pub fn sync(conn: &mut DbConn, instance: &str, asks: &[Ask]) -> QueryResult<HashMap<String, Lease>> {
    let DbConn::Pg(pg) = conn else { return Ok(HashMap::new()) };
    let mut asks: Vec<&Ask> = asks.iter().collect();
    // One order for every instance's locks, so two syncs never wait for each other in a circle.
    asks.sort_by(|a, b| a.bucket.cmp(&b.bucket));
    let names: Vec<&str> = asks.iter().map(|a| a.bucket.as_str()).collect();
    let capacities: Vec<i64> = asks.iter().map(|a| a.capacity).collect();
    #[allow(clippy::disallowed_methods)] // PostgreSQL only: a plain transaction is a writer already
    pg.transaction(|pg| {
        diesel::sql_query(
            "INSERT INTO rate_buckets (bucket, capacity, tokens, updated_at) \
             SELECT b, c, c, EXTRACT(EPOCH FROM clock_timestamp()) FROM unnest($1::text[], $2::bigint[]) AS t(b, c) \
             ON CONFLICT (bucket) DO NOTHING",
        )
        .bind::<Array<Text>, _>(&names)
        .bind::<Array<BigInt>, _>(&capacities)
        .execute(pg)?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT r.bucket, r.capacity, r.tokens, r.updated_at, EXTRACT(EPOCH FROM clock_timestamp())::float8 AS now, \
               (SELECT COUNT(*) FROM rate_bucket_shares s WHERE s.bucket = r.bucket AND s.instance_id <> $2 \
                  AND s.synced_at > EXTRACT(EPOCH FROM clock_timestamp()) - 3) AS others \
             FROM rate_buckets r WHERE r.bucket = ANY($1) ORDER BY r.bucket FOR UPDATE OF r",
        )
        .bind::<Array<Text>, _>(&names)
        .bind::<Text, _>(instance)
        .load(pg)?;
        let mut leases = HashMap::new();
        for row in rows {
            let Some(ask) = asks.iter().find(|a| a.bucket == row.bucket) else { continue };
            let (lease, tokens) = settle(&row, ask);
            diesel::sql_query("UPDATE rate_buckets SET capacity = $2, tokens = $3, updated_at = $4 WHERE bucket = $1")
                .bind::<Text, _>(&row.bucket)
                .bind::<BigInt, _>(ask.capacity)
                .bind::<Double, _>(tokens)
                .bind::<Double, _>(row.now)
                .execute(pg)?;
            let share = if ask.want > 0.0 {
                "INSERT INTO rate_bucket_shares (bucket, instance_id, synced_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (bucket, instance_id) DO UPDATE SET synced_at = excluded.synced_at"
            } else {
                // The same three parameters as the insert; the time goes unused.
                "DELETE FROM rate_bucket_shares WHERE bucket = $1 AND instance_id = $2 AND $3 IS NOT NULL"
            };
            diesel::sql_query(share)
                .bind::<Text, _>(&row.bucket)
                .bind::<Text, _>(instance)
                .bind::<Double, _>(row.now)
                .execute(pg)?;
            leases.insert(row.bucket, lease);
        }
        Ok(leases)
    })
}

/// One bucket's arithmetic: its lease for the instance, and the bucket's tokens after.
pub fn settle(row: &Row, ask: &Ask) -> (Lease, f64) {
    let capacity = ask.capacity as f64;
    // A raised limit adds the difference (as if the bucket had always been
    // that large), a lowered one caps what it holds — never a fresh full
    // bucket, which instances disagreeing on a limit would otherwise hand
    // out again and again. Then the refill since the last touch, capped.
    let grown = (capacity - row.capacity as f64).max(0.0);
    let rate = capacity / 60.0;
    let refilled = (row.tokens + grown + (row.now - row.updated_at).max(0.0) * rate).min(capacity);
    let wanting = ask.want > 0.0;
    let sharers = row.others + i64::from(wanting);
    // A lease below zero is a debt (spent after part of it was given back): the bucket pays it.
    let unused = ask.unused;
    let fair = (refilled.max(0.0) + unused) / sharers.max(1) as f64;
    // Whole tokens, and at least one when one is wanted and there: fractions
    // spread over instances would be tokens nobody can spend.
    let mut target = ask.want.min(fair).max(0.0).floor();
    if wanting && target < 1.0 && ask.want >= 1.0 && unused + refilled >= 1.0 {
        target = 1.0;
    }
    // Never more than the bucket holds; never back more than the lease holds.
    let granted = (target - unused).clamp(-unused.max(0.0), refilled.max(0.0).max(-unused));
    let tokens = (refilled - granted).min(capacity);
    (Lease { granted, unleased: tokens, sharers }, tokens)
}

/// Forgets buckets nobody touched for an hour (full again long since) and stale shares.
pub fn forget_idle(conn: &mut DbConn) -> QueryResult<()> {
    let DbConn::Pg(pg) = conn else { return Ok(()) };
    diesel::sql_query("DELETE FROM rate_buckets WHERE updated_at < EXTRACT(EPOCH FROM clock_timestamp()) - 3600")
        .execute(pg)?;
    diesel::sql_query("DELETE FROM rate_bucket_shares WHERE synced_at < EXTRACT(EPOCH FROM clock_timestamp()) - 60")
        .execute(pg)
        .map(|_| ())
}
