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
struct Row {
    #[diesel(sql_type = Text)]
    bucket: String,
    #[diesel(sql_type = BigInt)]
    capacity: i64,
    #[diesel(sql_type = Double)]
    tokens: f64,
    #[diesel(sql_type = Double)]
    updated_at: f64,
    #[diesel(sql_type = Double)]
    now: f64,
    #[diesel(sql_type = BigInt)]
    others: i64,
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
fn settle(row: &Row, ask: &Ask) -> (Lease, f64) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(capacity: i64, tokens: f64, elapsed: f64, others: i64) -> Row {
        Row { bucket: "k:1".into(), capacity, tokens, updated_at: 100.0, now: 100.0 + elapsed, others }
    }

    fn ask(unused: f64, want: f64) -> Ask {
        Ask { bucket: "k:1".into(), capacity: 60, unused, want }
    }

    #[test]
    fn leases_follow_demand_within_the_fair_part() {
        // Alone and wanting it all: the whole bucket.
        let (lease, left) = settle(&row(60, 60.0, 0.0, 0), &ask(0.0, 100.0));
        assert_eq!((lease.granted, left), (60.0, 0.0));
        // Wanting little: that much, the rest stays for the others.
        let (lease, left) = settle(&row(60, 60.0, 0.0, 2), &ask(0.0, 5.0));
        assert_eq!((lease.granted, left), (5.0, 55.0));
        // Three sharers: at most a third of what the bucket and the lease hold together.
        let (lease, left) = settle(&row(60, 30.0, 0.0, 2), &ask(6.0, 100.0));
        assert_eq!((lease.granted, left), (6.0, 24.0));
        // Refilled a token a second, never above capacity.
        assert_eq!(settle(&row(60, 0.0, 2.0, 0), &ask(0.0, 100.0)).0.granted, 2.0);
        assert_eq!(settle(&row(60, 59.0, 30.0, 0), &ask(0.0, 100.0)).0.granted, 60.0);
        // A lease above what is wanted gives the excess back; a leaver gives all of it back.
        let (lease, left) = settle(&row(60, 0.0, 0.0, 1), &ask(40.0, 10.0));
        assert_eq!((lease.granted, left), (-30.0, 30.0), "down to what it wants");
        let (lease, left) = settle(&row(60, 10.0, 0.0, 1), &ask(5.0, 0.0));
        assert_eq!((lease.granted, left), (-5.0, 15.0));
        // Fractions are not handed out, but one whole token is when there is one.
        assert_eq!(settle(&row(60, 2.5, 0.0, 2), &ask(0.0, 5.0)).0.granted, 1.0);
        assert_eq!(settle(&row(60, 0.5, 0.0, 2), &ask(0.0, 5.0)).0.granted, 0.0);
        // A raised limit adds the difference, a lowered one caps; a debt is paid from the bucket.
        assert_eq!(settle(&row(30, 0.0, 0.0, 0), &ask(0.0, 100.0)).0.granted, 30.0);
        assert_eq!(settle(&row(90, 80.0, 0.0, 0), &ask(0.0, 100.0)).0.granted, 60.0);
        let (lease, left) = settle(&row(60, 10.0, 0.0, 0), &ask(-4.0, 0.0));
        assert_eq!((lease.granted, left), (4.0, 6.0));
    }
}
