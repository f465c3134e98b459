//! Organisations (tenants).

use super::schema::memberships as members;
use super::schema::orgs::{self, dsl};
use super::{DbConn, memberships, now};
use crate::domain::key_policy::KeyPolicy;
use crate::domain::{OrgId, OrgName, OrgSlug, Plan, Role, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::orgs)]
pub struct OrgRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub plan: String,
    pub created_at: NaiveDateTime,
    pub require_two_factor: bool,
    pub max_key_lifetime_days: Option<i64>,
    pub require_key_expiry: bool,
    pub forbid_full_access: bool,
    pub require_ip_allowlist: bool,
}

#[derive(Debug, Clone)]
pub struct Org {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub plan: Plan,
    pub created_at: NaiveDateTime,
    /// Members without a second factor are sent to /account instead of the org's pages.
    pub require_two_factor: bool,
    /// The rules every new, edited or rotated key must meet.
    pub key_policy: KeyPolicy,
}

impl From<OrgRow> for Org {
    fn from(row: OrgRow) -> Self {
        Self {
            id: OrgId::new(row.id),
            slug: row.slug,
            name: row.name,
            // The CHECK constraint admits only valid plans; `free` is the safe reading otherwise.
            plan: Plan::parse(&row.plan).unwrap_or(Plan::Free),
            created_at: row.created_at,
            require_two_factor: row.require_two_factor,
            key_policy: KeyPolicy {
                max_lifetime_days: row.max_key_lifetime_days.and_then(|d| u32::try_from(d).ok()),
                require_expiry: row.require_key_expiry,
                forbid_full_access: row.forbid_full_access,
                require_ip_allowlist: row.require_ip_allowlist,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateOrgError {
    #[error("an organisation with this slug already exists")]
    SlugTaken,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Creates the organisation and makes `owner_id` its first owner, in one transaction.
pub fn create_with_owner(
    conn: &mut DbConn,
    slug: &OrgSlug,
    name: &OrgName,
    plan: Plan,
    owner_id: UserId,
) -> Result<Org, CreateOrgError> {
    crate::db::transaction(conn, |conn| {
        let id: i64 =
            diesel::insert_into(dsl::orgs)
                .values((
                    dsl::slug.eq(slug.as_str()),
                    dsl::name.eq(name.as_str()),
                    dsl::plan.eq(plan.as_str()),
                    dsl::created_at.eq(now()),
                ))
                .returning(dsl::id)
                .get_result(conn)
                .map_err(|e| {
                    if super::is_unique_violation(&e) { CreateOrgError::SlugTaken } else { CreateOrgError::Db(e) }
                })?;
        let id = OrgId::new(id);
        memberships::insert(conn, id, owner_id, Role::Owner)?;
        super::audit_events::create_head(conn, id)?;
        Ok(find(conn, id)?.ok_or(diesel::result::Error::NotFound)?)
    })
}

pub fn find(conn: &mut DbConn, id: OrgId) -> QueryResult<Option<Org>> {
    let row: Option<OrgRow> = dsl::orgs.find(id.get()).select(OrgRow::as_select()).first(conn).optional()?;
    Ok(row.map(Org::from))
}

/// Every organisation's id and slug, in slug order.
pub fn all_slugs(conn: &mut DbConn) -> QueryResult<Vec<(OrgId, String)>> {
    let rows: Vec<(i64, String)> = orgs::table.select((orgs::id, orgs::slug)).order(orgs::slug).load(conn)?;
    Ok(rows.into_iter().map(|(id, slug)| (OrgId::new(id), slug)).collect())
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Org>> {
    let row: Option<OrgRow> =
        dsl::orgs.filter(dsl::slug.eq(slug)).select(OrgRow::as_select()).first(conn).optional()?;
    Ok(row.map(Org::from))
}

/// Every organisation the user belongs to, with their role, by name.
pub fn for_user(conn: &mut DbConn, user_id: UserId) -> QueryResult<Vec<(Org, Role)>> {
    let rows: Vec<(OrgRow, String)> = members::table
        .inner_join(orgs::table)
        .filter(members::user_id.eq(user_id.get()))
        .order((orgs::name.asc(), orgs::id.asc()))
        .select((OrgRow::as_select(), members::role))
        .load(conn)?;
    Ok(rows.into_iter().map(|(org, r)| (Org::from(org), memberships::role(&r))).collect())
}

/// Changes the plan of an existing organisation.
pub fn set_plan(conn: &mut DbConn, org_id: OrgId, plan: Plan) -> QueryResult<()> {
    diesel::update(dsl::orgs.find(org_id.get())).set(dsl::plan.eq(plan.as_str())).execute(conn).map(|_| ())
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Organisations whose slug or name contains `needle` (case-insensitive), by slug.
pub fn search(conn: &mut DbConn, needle: &str, limit: i64) -> QueryResult<Vec<Org>> {
    let escaped: String = needle
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("%{escaped}%");
    let rows: Vec<OrgRow> = dsl::orgs
        .filter(lower(dsl::slug).like(pattern.clone()).escape('\\').or(lower(dsl::name).like(pattern).escape('\\')))
        .order(dsl::slug.asc())
        .limit(limit)
        .select(OrgRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Org::from).collect())
}

/// Turns the org's two-factor requirement on or off.
pub fn set_require_two_factor(conn: &mut DbConn, id: OrgId, on: bool) -> QueryResult<()> {
    diesel::update(dsl::orgs.find(id.get())).set(dsl::require_two_factor.eq(on)).execute(conn).map(|_| ())
}

/// Replaces the organisation's key policy.
pub fn set_key_policy(conn: &mut DbConn, id: OrgId, policy: &KeyPolicy) -> QueryResult<()> {
    diesel::update(dsl::orgs.find(id.get()))
        .set((
            dsl::max_key_lifetime_days.eq(policy.max_lifetime_days.map(i64::from)),
            dsl::require_key_expiry.eq(policy.require_expiry),
            dsl::forbid_full_access.eq(policy.forbid_full_access),
            dsl::require_ip_allowlist.eq(policy.require_ip_allowlist),
        ))
        .execute(conn)
        .map(|_| ())
}
