//! The per-key request log (docs/user-guide.md: Per-key request log): one row per API request
//! that named a known key, served or refused, written in batches — or, for
//! requests counted rather than kept (a flood), one row with `repeats`; and
//! the networks each key was used from (for `api_key.new_network`).

use super::schema::api_request_log::{self as log, dsl};
use super::schema::key_networks;
use super::{DbConn, conn::MultiBackend};
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = log)]
pub struct RequestRow {
    pub id: i64,
    pub org_id: i64,
    pub api_key_id: i64,
    pub at: NaiveDateTime,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub error_code: Option<String>,
    pub latency_ms: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: String,
    /// How many more requests like this one (same key, status and error code, same minute) it stands for.
    pub repeats: i64,
    /// How it reached Latchkey: `api`, `verify` or `authz`.
    pub via: String,
    /// The host a forwarded request was for (none for Latchkey's own API).
    pub host: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub org_id: OrgId,
    pub api_key_id: i64,
    pub at: NaiveDateTime,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub error_code: Option<String>,
    pub latency_ms: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: String,
    pub via: &'static str,
    pub host: Option<String>,
}

/// Rows one INSERT carries: 13 parameters each stays far below either
/// backend's limit on bind parameters (SQLite's 32,766, PostgreSQL's 65,535).
const ROWS_PER_INSERT: usize = 400;

/// Writes a batch (in the caller's transaction), many rows per statement:
/// the log is written at the API's pace, so the per-statement cost counts.
pub fn insert_batch(conn: &mut DbConn, rows: &[NewRequest]) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    // Numbered placeholders in each backend's own syntax. SQLite reads `$N`
    // as a *named* parameter and looks each name up among the ones before it
    // (quadratic in a 4,400-parameter statement: most of a core at full API
    // load, found with perf); `?N` is a plain index there.
    let sigil = match conn {
        DbConn::Pg(_) => '$',
        DbConn::Sqlite(_) => '?',
    };
    let mut written = 0;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let p: Vec<String> = (1..=13).map(|c| format!("{sigil}{}", r * 13 + c)).collect();
                format!("({})", p.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO api_request_log (org_id, api_key_id, at, method, path, status, error_code, latency_ms, ip, \
             user_agent, request_id, via, host) VALUES {}",
            values.join(", ")
        );
        let mut query = diesel::sql_query(sql).into_boxed::<MultiBackend>();
        for row in chunk {
            query = query
                .bind::<BigInt, _>(row.org_id.get())
                .bind::<BigInt, _>(row.api_key_id)
                .bind::<Timestamp, _>(row.at)
                .bind::<Text, _>(row.method.clone())
                .bind::<Text, _>(row.path.clone())
                .bind::<BigInt, _>(row.status)
                .bind::<Nullable<Text>, _>(row.error_code.clone())
                .bind::<BigInt, _>(row.latency_ms)
                .bind::<Nullable<Text>, _>(row.ip.clone())
                .bind::<Nullable<Text>, _>(row.user_agent.clone())
                .bind::<Text, _>(row.request_id.clone())
                .bind::<Text, _>(row.via)
                .bind::<Nullable<Text>, _>(row.host.clone());
        }
        written += query.execute(conn)?;
    }
    Ok(written)
}

/// Writes one row that stands for `repeats` more requests like it (in the
/// caller's transaction); its id, so later counts can be added to it.
pub fn insert_tallied(conn: &mut DbConn, row: &NewRequest, repeats: i64) -> QueryResult<i64> {
    diesel::insert_into(log::table)
        .values((
            dsl::org_id.eq(row.org_id.get()),
            dsl::api_key_id.eq(row.api_key_id),
            dsl::at.eq(row.at),
            dsl::method.eq(&row.method),
            dsl::path.eq(&row.path),
            dsl::status.eq(row.status),
            dsl::error_code.eq(&row.error_code),
            dsl::latency_ms.eq(row.latency_ms),
            dsl::ip.eq(&row.ip),
            dsl::user_agent.eq(&row.user_agent),
            dsl::request_id.eq(&row.request_id),
            dsl::repeats.eq(repeats),
            dsl::via.eq(row.via),
            dsl::host.eq(&row.host),
        ))
        .returning(dsl::id)
        .get_result(conn)
}

/// Adds `more` to the count of row `id` of key `key_row_id`; false when the
/// row is gone (pruned, or its key deleted), so the caller writes a new one.
pub fn add_repeats(conn: &mut DbConn, id: i64, key_row_id: i64, more: i64) -> QueryResult<bool> {
    diesel::update(dsl::api_request_log.filter(dsl::id.eq(id)).filter(dsl::api_key_id.eq(key_row_id)))
        .set(dsl::repeats.eq(dsl::repeats + more))
        .execute(conn)
        .map(|n| n == 1)
}

/// What the key page filters on.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// 2, 4 or 5: the status class.
    pub status_class: Option<i64>,
    pub ip: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// A page of one key's requests, newest first, older than `before_id`.
pub fn page(
    conn: &mut DbConn,
    key_row_id: i64,
    filter: &RequestFilter,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    let mut query = dsl::api_request_log.filter(dsl::api_key_id.eq(key_row_id)).into_boxed::<MultiBackend>();
    if let Some(class) = filter.status_class {
        query = query.filter(dsl::status.ge(class * 100)).filter(dsl::status.lt(class * 100 + 100));
    }
    if let Some(ip) = &filter.ip {
        query = query.filter(dsl::ip.eq(ip.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(dsl::at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(dsl::at.lt(to));
    }
    if let Some(before) = before_id {
        query = query.filter(dsl::id.lt(before));
    }
    query.order(dsl::id.desc()).limit(limit).select(RequestRow::as_select()).load(conn)
}

/// Deletes requests older than `before`; returns how many.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(dsl::api_request_log.filter(dsl::at.lt(before))).execute(conn)
}

/// When the key was last used from `network`, if ever.
pub fn network_last_seen(conn: &mut DbConn, key_row_id: i64, network: &str) -> QueryResult<Option<NaiveDateTime>> {
    key_networks::table
        .filter(key_networks::api_key_id.eq(key_row_id))
        .filter(key_networks::network.eq(network))
        .select(key_networks::last_seen)
        .first(conn)
        .optional()
}

/// Notes the key's use from `network` at `at`.
pub fn touch_network(conn: &mut DbConn, key_row_id: i64, network: &str, at: NaiveDateTime) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    diesel::sql_query(
        "INSERT INTO key_networks (api_key_id, network, last_seen) VALUES ($1, $2, $3) \
         ON CONFLICT (api_key_id, network) DO UPDATE SET last_seen = excluded.last_seen",
    )
    .bind::<BigInt, _>(key_row_id)
    .bind::<Text, _>(network)
    .bind::<Timestamp, _>(at)
    .execute(conn)
    .map(|_| ())
}

/// Forgets networks not used since `before` (a use from one again is new).
pub fn prune_networks(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(key_networks::table.filter(key_networks::last_seen.lt(before))).execute(conn)
}
