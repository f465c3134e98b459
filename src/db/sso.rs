//! Storage of single sign-on: each organisation's OpenID Connect connection
//! (its client secret sealed by the caller) and the domains it proves.

use super::{DbConn, QueryResult, now};
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

// Joined with nothing else, so declared here (migration 000025).
diesel::table! {
    sso_connections (org_id) {
        org_id -> BigInt,
        issuer -> Text,
        client_id -> Text,
        client_secret_sealed -> Text,
        domains -> Text,
        default_role -> Text,
        group_claim -> Nullable<Text>,
        group_roles -> Text,
        require_sso -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sso_domains (id) {
        id -> BigInt,
        org_id -> BigInt,
        domain -> Text,
        token -> Text,
        verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sso_connections)]
pub struct Connection {
    pub org_id: i64,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    /// Comma-separated, lower-case.
    pub domains: String,
    pub default_role: String,
    pub group_claim: Option<String>,
    /// `group=role` lines.
    pub group_roles: String,
    pub require_sso: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sso_domains)]
pub struct Domain {
    pub id: i64,
    pub org_id: i64,
    pub domain: String,
    pub token: String,
    pub verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn connection(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Option<Connection>> {
    sso_connections::table.find(org_id.get()).select(Connection::as_select()).first(conn).optional()
}

/// Inserts or replaces the organisation's connection.
pub fn save_connection(conn: &mut DbConn, connection: &Connection) -> QueryResult<()> {
    let updated = diesel::update(sso_connections::table.find(connection.org_id)).set(connection).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(sso_connections::table).values(connection).execute(conn)?;
    }
    Ok(())
}

/// Whether any organisation `user_id` belongs to requires single sign-on of it
/// (as a member other than an owner): the organisation's slug, if so.
pub fn required_of(conn: &mut DbConn, user_id: crate::domain::UserId) -> QueryResult<Option<String>> {
    use super::schema::{memberships, orgs};
    let not_owner: Vec<i64> = memberships::table
        .filter(memberships::user_id.eq(user_id.get()))
        .filter(memberships::role.ne(crate::domain::Role::Owner.as_str()))
        .select(memberships::org_id)
        .load(conn)?;
    let requiring: Option<i64> = sso_connections::table
        .filter(sso_connections::org_id.eq_any(not_owner))
        .filter(sso_connections::require_sso.eq(true))
        .select(sso_connections::org_id)
        .first(conn)
        .optional()?;
    match requiring {
        Some(org_id) => orgs::table.find(org_id).select(orgs::slug).first(conn).optional(),
        None => Ok(None),
    }
}

pub fn domains(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<Domain>> {
    sso_domains::table
        .filter(sso_domains::org_id.eq(org_id.get()))
        .order(sso_domains::domain.asc())
        .select(Domain::as_select())
        .load(conn)
}

/// Adds a domain to prove with `token`; an existing one keeps its token (answers false).
pub fn add_domain(conn: &mut DbConn, org_id: OrgId, domain: &str, token: &str) -> QueryResult<bool> {
    let exists = sso_domains::table
        .filter(sso_domains::org_id.eq(org_id.get()))
        .filter(sso_domains::domain.eq(domain))
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(sso_domains::table)
        .values((
            sso_domains::org_id.eq(org_id.get()),
            sso_domains::domain.eq(domain),
            sso_domains::token.eq(token),
            sso_domains::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn domain(conn: &mut DbConn, org_id: OrgId, domain: &str) -> QueryResult<Option<Domain>> {
    sso_domains::table
        .filter(sso_domains::org_id.eq(org_id.get()))
        .filter(sso_domains::domain.eq(domain))
        .select(Domain::as_select())
        .first(conn)
        .optional()
}

pub fn mark_verified(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::update(sso_domains::table.find(id)).set(sso_domains::verified_at.eq(Some(now()))).execute(conn).map(|_| ())
}

/// The organisation that verified `domain` and lists it in its connection, if one did.
pub fn org_of_verified(conn: &mut DbConn, domain: &str) -> QueryResult<Option<OrgId>> {
    let verified: Vec<i64> = sso_domains::table
        .filter(sso_domains::domain.eq(domain))
        .filter(sso_domains::verified_at.is_not_null())
        .order(sso_domains::verified_at.asc())
        .select(sso_domains::org_id)
        .load(conn)?;
    for org_id in verified {
        if let Some(c) = connection(conn, OrgId::new(org_id))?
            && c.domains.split(',').any(|d| d == domain)
        {
            return Ok(Some(OrgId::new(org_id)));
        }
    }
    Ok(None)
}

/// Whether another organisation already verified `domain`.
pub fn verified_elsewhere(conn: &mut DbConn, org_id: OrgId, domain: &str) -> QueryResult<bool> {
    let n: i64 = sso_domains::table
        .filter(sso_domains::domain.eq(domain))
        .filter(sso_domains::org_id.ne(org_id.get()))
        .filter(sso_domains::verified_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Which of `org_ids` require single sign-on.
pub fn requiring(conn: &mut DbConn, org_ids: &[OrgId]) -> QueryResult<Vec<OrgId>> {
    let ids: Vec<i64> = org_ids.iter().map(|o| o.get()).collect();
    let rows: Vec<i64> = sso_connections::table
        .filter(sso_connections::org_id.eq_any(ids))
        .filter(sso_connections::require_sso.eq(true))
        .select(sso_connections::org_id)
        .load(conn)?;
    Ok(rows.into_iter().map(OrgId::new).collect())
}
