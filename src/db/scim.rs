//! Storage of SCIM provisioning: each organisation's bearer token (its
//! SHA-256 only) and what SCIM says of each user it manages.

use super::{DbConn, QueryResult, now};
use crate::domain::{OrgId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

// Joined with nothing else, so declared here (migration 000026).
diesel::table! {
    scim_tokens (org_id) {
        org_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scim_users (id) {
        id -> BigInt,
        org_id -> BigInt,
        user_id -> BigInt,
        user_name -> Text,
        display_name -> Nullable<Text>,
        emails -> Text,
        external_id -> Nullable<Text>,
        active -> Nullable<Bool>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scim_users)]
pub struct Row {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub display_name: Option<String>,
    /// JSON list of `{value, primary}`.
    pub emails: String,
    pub external_id: Option<String>,
    pub active: Option<bool>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a write stores.
pub struct Stored<'a> {
    pub user_name: &'a str,
    pub display_name: Option<&'a str>,
    pub emails: &'a str,
    pub external_id: Option<&'a str>,
    pub active: Option<bool>,
}

/// Replaces the organisation's token (the old one stops working at once).
pub fn set_token(conn: &mut DbConn, org_id: OrgId, token_hash: &str) -> QueryResult<()> {
    diesel::delete(scim_tokens::table.find(org_id.get())).execute(conn)?;
    diesel::insert_into(scim_tokens::table)
        .values((
            scim_tokens::org_id.eq(org_id.get()),
            scim_tokens::token_hash.eq(token_hash),
            scim_tokens::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The organisation a token (by its hash) belongs to.
pub fn org_of_token(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<OrgId>> {
    let org: Option<i64> = scim_tokens::table
        .filter(scim_tokens::token_hash.eq(token_hash))
        .select(scim_tokens::org_id)
        .first(conn)
        .optional()?;
    Ok(org.map(OrgId::new))
}

pub fn has_token(conn: &mut DbConn, org_id: OrgId) -> QueryResult<bool> {
    Ok(scim_tokens::table.find(org_id.get()).count().get_result::<i64>(conn)? > 0)
}

pub fn row(conn: &mut DbConn, org_id: OrgId, user_id: UserId) -> QueryResult<Option<Row>> {
    scim_users::table
        .filter(scim_users::org_id.eq(org_id.get()))
        .filter(scim_users::user_id.eq(user_id.get()))
        .select(Row::as_select())
        .first(conn)
        .optional()
}

pub fn rows(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<Row>> {
    scim_users::table.filter(scim_users::org_id.eq(org_id.get())).select(Row::as_select()).load(conn)
}

/// Inserts or replaces what SCIM says of the user in this organisation.
pub fn save(conn: &mut DbConn, org_id: OrgId, user_id: UserId, s: &Stored<'_>) -> QueryResult<()> {
    let at = now();
    let updated = diesel::update(
        scim_users::table.filter(scim_users::org_id.eq(org_id.get())).filter(scim_users::user_id.eq(user_id.get())),
    )
    .set((
        scim_users::user_name.eq(s.user_name),
        scim_users::display_name.eq(s.display_name),
        scim_users::emails.eq(s.emails),
        scim_users::external_id.eq(s.external_id),
        scim_users::active.eq(s.active),
        scim_users::updated_at.eq(at),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(scim_users::table)
            .values((
                scim_users::org_id.eq(org_id.get()),
                scim_users::user_id.eq(user_id.get()),
                scim_users::user_name.eq(s.user_name),
                scim_users::display_name.eq(s.display_name),
                scim_users::emails.eq(s.emails),
                scim_users::external_id.eq(s.external_id),
                scim_users::active.eq(s.active),
                scim_users::created_at.eq(at),
                scim_users::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete(conn: &mut DbConn, org_id: OrgId, user_id: UserId) -> QueryResult<()> {
    diesel::delete(
        scim_users::table.filter(scim_users::org_id.eq(org_id.get())).filter(scim_users::user_id.eq(user_id.get())),
    )
    .execute(conn)
    .map(|_| ())
}

/// Marks the live keys `user_id` made in the organisation as made by a deprovisioned member; answers their ids.
pub fn flag_keys_of(conn: &mut DbConn, org_id: OrgId, user_id: UserId) -> QueryResult<Vec<String>> {
    use super::schema::api_keys;
    let mine = api_keys::table
        .filter(api_keys::org_id.eq(org_id.get()))
        .filter(api_keys::created_by_id.eq(user_id.get()))
        .filter(api_keys::revoked_at.is_null());
    let ids: Vec<String> = mine.select(api_keys::key_id).load(conn)?;
    diesel::update(mine.filter(api_keys::creator_deprovisioned_at.is_null()))
        .set(api_keys::creator_deprovisioned_at.eq(Some(now())))
        .execute(conn)?;
    Ok(ids)
}

/// The live keys of the organisation whose creator was deprovisioned.
pub fn flagged_keys(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<String>> {
    use super::schema::api_keys;
    api_keys::table
        .filter(api_keys::org_id.eq(org_id.get()))
        .filter(api_keys::creator_deprovisioned_at.is_not_null())
        .filter(api_keys::revoked_at.is_null())
        .select(api_keys::key_id)
        .load(conn)
}
