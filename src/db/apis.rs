//! The APIs an organisation defines: one row each, its definition stored as
//! the management API's JSON document (checked by the domain before it is
//! written). The built-in sample API has no row.

use super::schema::apis::{self, dsl};
use super::{DbConn, now};
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = apis)]
pub struct ApiRow {
    pub id: i64,
    pub org_id: i64,
    pub slug: String,
    pub name: String,
    /// The JSON document (`ApiDefinition::from_json` reads it).
    pub definition: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The organisation's APIs, by slug.
pub fn list(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<ApiRow>> {
    dsl::apis.filter(dsl::org_id.eq(org_id.get())).order(dsl::slug.asc()).select(ApiRow::as_select()).load(conn)
}

/// One API of this organisation; another organisation's is simply not found.
pub fn find(conn: &mut DbConn, org_id: OrgId, slug: &str) -> QueryResult<Option<ApiRow>> {
    dsl::apis
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::slug.eq(slug))
        .select(ApiRow::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn, org_id: OrgId) -> QueryResult<i64> {
    dsl::apis.filter(dsl::org_id.eq(org_id.get())).count().get_result(conn)
}

pub fn insert(conn: &mut DbConn, org_id: OrgId, slug: &str, name: &str, definition: &str) -> QueryResult<ApiRow> {
    let at = now();
    diesel::insert_into(apis::table)
        .values((
            dsl::org_id.eq(org_id.get()),
            dsl::slug.eq(slug),
            dsl::name.eq(name),
            dsl::definition.eq(definition),
            dsl::created_at.eq(at),
            dsl::updated_at.eq(at),
        ))
        .execute(conn)?;
    dsl::apis.filter(dsl::org_id.eq(org_id.get())).filter(dsl::slug.eq(slug)).select(ApiRow::as_select()).first(conn)
}

/// Replaces an API's name and definition (its slug stays).
pub fn update(conn: &mut DbConn, id: i64, name: &str, definition: &str) -> QueryResult<()> {
    diesel::update(dsl::apis.find(id))
        .set((dsl::name.eq(name), dsl::definition.eq(definition), dsl::updated_at.eq(now())))
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(dsl::apis.find(id)).execute(conn).map(|_| ())
}
