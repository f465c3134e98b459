//! Requests per key per UTC day, by status class.

use super::DbConn;
use super::schema::key_usage_daily::dsl;
use crate::domain::OrgId;
use chrono::NaiveDate;
use diesel::prelude::*;

/// Adds counts with an upsert (raw SQL: `on_conflict` does not compile through the MultiConnection).
pub fn add(conn: &mut DbConn, api_key_id: i64, org_id: OrgId, day: NaiveDate, counts: [i64; 3]) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Date};
    diesel::sql_query(
        "INSERT INTO key_usage_daily (api_key_id, day, org_id, ok, client_errors, server_errors) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (api_key_id, day) DO UPDATE SET ok = key_usage_daily.ok + excluded.ok, \
         client_errors = key_usage_daily.client_errors + excluded.client_errors, \
         server_errors = key_usage_daily.server_errors + excluded.server_errors",
    )
    .bind::<BigInt, _>(api_key_id)
    .bind::<Date, _>(day)
    .bind::<BigInt, _>(org_id.get())
    .bind::<BigInt, _>(counts[0])
    .bind::<BigInt, _>(counts[1])
    .bind::<BigInt, _>(counts[2])
    .execute(conn)
    .map(|_| ())
}

/// Daily totals (ok, client errors, server errors) since `from` for one key,
/// or for the whole organisation when `api_key_id` is `None`.
pub fn daily(
    conn: &mut DbConn,
    org_id: OrgId,
    api_key_id: Option<i64>,
    from: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, [i64; 3])>> {
    let mut query = dsl::key_usage_daily
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::day.ge(from))
        .into_boxed::<super::conn::MultiBackend>();
    if let Some(id) = api_key_id {
        query = query.filter(dsl::api_key_id.eq(id));
    }
    let rows: Vec<(NaiveDate, i64, i64, i64)> =
        query.select((dsl::day, dsl::ok, dsl::client_errors, dsl::server_errors)).order(dsl::day.asc()).load(conn)?;
    let mut out: Vec<(NaiveDate, [i64; 3])> = Vec::new();
    for (day, ok, client, server) in rows {
        match out.last_mut() {
            Some((d, c)) if *d == day => {
                c[0] += ok;
                c[1] += client;
                c[2] += server;
            }
            _ => out.push((day, [ok, client, server])),
        }
    }
    Ok(out)
}

/// Deletes the daily counts of days before `before`; answers how many rows went.
pub fn prune(conn: &mut DbConn, before: NaiveDate) -> QueryResult<usize> {
    diesel::delete(dsl::key_usage_daily.filter(dsl::day.lt(before))).execute(conn)
}
