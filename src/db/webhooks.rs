//! Webhook endpoints of an organisation. Secrets are stored sealed (see crypto.rs).

use super::schema::webhook_endpoints::dsl;
use super::{DbConn, now};
use crate::domain::OrgId;
use crate::domain::event_type::EventType;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::webhook_endpoints)]
pub struct Endpoint {
    pub id: i64,
    pub org_id: i64,
    pub public_id: String,
    pub url: String,
    pub description: String,
    pub events: String,
    pub enabled: bool,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_until: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub created_by_name: String,
    /// The key that made it through the management API, if one did.
    pub created_by_key: Option<String>,
}

impl Endpoint {
    pub fn event_list(&self) -> Vec<String> {
        self.events.split(',').filter(|e| !e.is_empty()).map(str::to_owned).collect()
    }

    /// Whether it ticked `event_type`.
    pub fn subscribes_to(&self, event_type: EventType) -> bool {
        self.events.split(',').any(|e| *e == event_type)
    }

    /// Whether events of `event_type` are sent to it: it is enabled and subscribes to the type.
    pub fn receives(&self, event_type: EventType) -> bool {
        self.enabled && self.subscribes_to(event_type)
    }
}

pub struct NewEndpoint<'a> {
    pub org_id: OrgId,
    pub public_id: &'a str,
    pub url: &'a str,
    pub description: &'a str,
    pub events: &'a str,
    pub secret_sealed: &'a str,
    pub created_by_name: &'a str,
    pub created_by_key: Option<&'a str>,
}

pub fn insert(conn: &mut DbConn, new: NewEndpoint<'_>) -> QueryResult<Endpoint> {
    diesel::insert_into(dsl::webhook_endpoints)
        .values((
            dsl::org_id.eq(new.org_id.get()),
            dsl::public_id.eq(new.public_id),
            dsl::url.eq(new.url),
            dsl::description.eq(new.description),
            dsl::events.eq(new.events),
            dsl::enabled.eq(true),
            dsl::secret_sealed.eq(new.secret_sealed),
            dsl::created_at.eq(now()),
            dsl::created_by_name.eq(new.created_by_name),
            dsl::created_by_key.eq(new.created_by_key),
        ))
        .execute(conn)?;
    dsl::webhook_endpoints.filter(dsl::public_id.eq(new.public_id)).select(Endpoint::as_select()).first(conn)
}

/// How many endpoints the organisation has.
pub fn count(conn: &mut DbConn, org_id: OrgId) -> QueryResult<i64> {
    dsl::webhook_endpoints.filter(dsl::org_id.eq(org_id.get())).count().get_result(conn)
}

/// Makes every other creation of an endpoint in this organisation wait for
/// this transaction, so a [`count`] taken next is still true at commit.
/// PostgreSQL: a row lock on the organisation, taken by a locking read
/// because `db::lock_org`'s no-op UPDATE would fire the auth-generation
/// trigger and empty every instance's key cache; `NO KEY` lets other
/// transactions keep inserting rows that refer to it. SQLite: `BEGIN
/// IMMEDIATE` already made this transaction the only writer.
pub fn hold_creations(conn: &mut DbConn, org_id: OrgId) -> QueryResult<()> {
    if matches!(conn, DbConn::Pg(_)) {
        diesel::sql_query("SELECT id FROM orgs WHERE id = $1 FOR NO KEY UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(org_id.get())
            .execute(conn)?;
    }
    Ok(())
}

pub fn list(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<Endpoint>> {
    dsl::webhook_endpoints
        .filter(dsl::org_id.eq(org_id.get()))
        .order(dsl::id.asc())
        .select(Endpoint::as_select())
        .load(conn)
}

/// The organisation's endpoints that receive `event_type` (the one place subscriptions are matched).
pub fn subscribers(conn: &mut DbConn, org_id: OrgId, event_type: EventType) -> QueryResult<Vec<Endpoint>> {
    Ok(list(conn, org_id)?.into_iter().filter(|e| e.receives(event_type)).collect())
}

/// One of this organisation's endpoints; another organisation's is not found.
pub fn find(conn: &mut DbConn, org_id: OrgId, public_id: &str) -> QueryResult<Option<Endpoint>> {
    dsl::webhook_endpoints
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::public_id.eq(public_id))
        .select(Endpoint::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut DbConn, id: i64, url: &str, description: &str, events: &str) -> QueryResult<()> {
    diesel::update(dsl::webhook_endpoints.find(id))
        .set((dsl::url.eq(url), dsl::description.eq(description), dsl::events.eq(events)))
        .execute(conn)
        .map(|_| ())
}

/// The reason stored when a person disables an endpoint (no dashboard banner for that).
pub const DISABLED_BY_USER: &str = "disabled by a user";

/// Enables, or disables with a reason shown on the endpoint's page.
pub fn set_enabled(conn: &mut DbConn, id: i64, enabled: bool, reason: Option<&str>) -> QueryResult<()> {
    diesel::update(dsl::webhook_endpoints.find(id))
        .set((dsl::enabled.eq(enabled), dsl::disabled_reason.eq(reason)))
        .execute(conn)
        .map(|_| ())
}

/// A new secret; the old one keeps signing too until `previous_until`.
pub fn rotate_secret(
    conn: &mut DbConn,
    id: i64,
    sealed: &str,
    previous: &str,
    previous_until: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(dsl::webhook_endpoints.find(id))
        .set((
            dsl::secret_sealed.eq(sealed),
            dsl::previous_secret_sealed.eq(previous),
            dsl::previous_until.eq(previous_until),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Starts (or, with `None`, ends) the endpoint's current run of failures.
pub fn set_failing_since(conn: &mut DbConn, id: i64, since: Option<NaiveDateTime>) -> QueryResult<()> {
    diesel::update(dsl::webhook_endpoints.find(id)).set(dsl::failing_since.eq(since)).execute(conn).map(|_| ())
}

/// Starts the endpoint's run of failures unless one is under way; true when
/// this call started it. Conditional, so of several failures at once (or on
/// several instances) exactly one changes the endpoint's health.
pub fn start_failing(conn: &mut DbConn, id: i64, since: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(dsl::webhook_endpoints.find(id).filter(dsl::failing_since.is_null()))
        .set(dsl::failing_since.eq(since))
        .execute(conn)
        .map(|n| n == 1)
}

/// Ends the endpoint's run of failures; true when this call ended it.
pub fn stop_failing(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    diesel::update(dsl::webhook_endpoints.find(id).filter(dsl::failing_since.is_not_null()))
        .set(dsl::failing_since.eq(None::<NaiveDateTime>))
        .execute(conn)
        .map(|n| n == 1)
}

/// Disables the endpoint with a reason if it is enabled; true when this call disabled it.
pub fn disable_if_enabled(conn: &mut DbConn, id: i64, reason: &str) -> QueryResult<bool> {
    diesel::update(dsl::webhook_endpoints.find(id).filter(dsl::enabled.eq(true)))
        .set((dsl::enabled.eq(false), dsl::disabled_reason.eq(reason)))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(dsl::webhook_endpoints.find(id)).execute(conn).map(|_| ())
}
