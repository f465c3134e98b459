//! Dating rows back, for the demo's history (`app::demo`): its rows are
//! created now, through the same functions as real ones, and then given the
//! time they would have had.

use super::DbConn;
use super::schema::{api_keys, memberships, orgs, webhook_deliveries, webhook_endpoints};
use crate::domain::{OrgId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The organisation was founded `at`.
pub fn org(conn: &mut DbConn, org_id: OrgId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(orgs::table.find(org_id.get())).set(orgs::created_at.eq(at)).execute(conn).map(|_| ())
}

/// Every member of the organisation joined `at`.
pub fn members(conn: &mut DbConn, org_id: OrgId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(memberships::table.filter(memberships::org_id.eq(org_id.get())))
        .set(memberships::created_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// One member joined the organisation `at`.
pub fn member(conn: &mut DbConn, org_id: OrgId, user_id: UserId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        memberships::table.filter(memberships::org_id.eq(org_id.get())).filter(memberships::user_id.eq(user_id.get())),
    )
    .set(memberships::created_at.eq(at))
    .execute(conn)
    .map(|_| ())
}

/// The key (row id) was created `at`.
pub fn key_created(conn: &mut DbConn, key_row_id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_keys::table.find(key_row_id)).set(api_keys::created_at.eq(at)).execute(conn).map(|_| ())
}

/// The API (row id) was defined `at`.
pub fn api_created(conn: &mut DbConn, api_row_id: i64, at: NaiveDateTime) -> QueryResult<()> {
    use super::schema::apis;
    diesel::update(apis::table.find(api_row_id))
        .set((apis::created_at.eq(at), apis::updated_at.eq(at)))
        .execute(conn)
        .map(|_| ())
}

/// The key (row id) was revoked `at`.
pub fn key_revoked(conn: &mut DbConn, key_row_id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_keys::table.find(key_row_id)).set(api_keys::revoked_at.eq(at)).execute(conn).map(|_| ())
}

/// The webhook endpoint (row id) was created `at`.
pub fn webhook_created(conn: &mut DbConn, endpoint_row_id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(webhook_endpoints::table.find(endpoint_row_id))
        .set(webhook_endpoints::created_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// The delivery was queued `at`.
pub fn delivery_created(conn: &mut DbConn, delivery_id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(delivery_id))
        .set(webhook_deliveries::created_at.eq(at))
        .execute(conn)
        .map(|_| ())
}
