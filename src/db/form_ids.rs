//! One-time ids of requests that issue keys (a console form's id, an API
//! `Idempotency-Key`): claimed with the key they create, so a repeat
//! creates nothing and can be told which key the first one made.

use super::schema::used_form_ids;
use super::{DbConn, now};
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Claims a one-time form id; false when it was used before. `ON CONFLICT DO
/// NOTHING` (raw SQL: upserts do not compile through the MultiConnection)
/// keeps a duplicate from aborting the surrounding PostgreSQL transaction.
pub fn claim(conn: &mut DbConn, form_id: &str, org_id: OrgId, key_id: &str) -> QueryResult<bool> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let inserted = diesel::sql_query(
        "INSERT INTO used_form_ids (form_id, org_id, key_id, used_at) VALUES ($1, $2, $3, $4) ON CONFLICT (form_id) DO NOTHING",
    )
    .bind::<Text, _>(form_id)
    .bind::<BigInt, _>(org_id.get())
    .bind::<Text, _>(key_id)
    .bind::<Timestamp, _>(now())
    .execute(conn)?;
    Ok(inserted == 1)
}

/// Lets a one-time id used before `before` be used again (an API
/// `Idempotency-Key` is remembered for a day; form ids are never reused).
pub fn forget(conn: &mut DbConn, form_id: &str, before: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(
        used_form_ids::table.filter(used_form_ids::form_id.eq(form_id)).filter(used_form_ids::used_at.lt(before)),
    )
    .execute(conn)
    .map(|_| ())
}

/// The key a used form id created, if any (to answer a replayed POST).
pub fn key_of(conn: &mut DbConn, form_id: &str, org_id: OrgId) -> QueryResult<Option<String>> {
    used_form_ids::table
        .filter(used_form_ids::form_id.eq(form_id))
        .filter(used_form_ids::org_id.eq(org_id.get()))
        .select(used_form_ids::key_id)
        .first(conn)
        .optional()
}
