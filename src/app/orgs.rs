//! Use cases for organisations as the operator runs them (`latchkey org
//! …`): creating one with its owner, and changing its plan — each in one
//! transaction with its audit entry.

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::orgs::{self, CreateOrgError, Org};
use crate::db::users::User;
use crate::db::{DbConn, QueryResult};
use crate::domain::{OrgName, OrgSlug, Plan};

/// Creates an organisation owned by `owner`, with its `org.created` event.
pub fn create(
    conn: &mut DbConn,
    slug: &OrgSlug,
    name: &OrgName,
    plan: Plan,
    owner: &User,
    actor: &Actor,
    meta: &RequestMeta,
) -> Result<Org, CreateOrgError> {
    crate::db::transaction(conn, |conn| {
        let org = orgs::create_with_owner(conn, slug, name, plan, owner.id)?;
        let entry = Entry::org_created(org.id, &org.slug, &org.name, org.plan.as_str());
        audit::record(conn, actor, meta, entry)?;
        Ok(org)
    })
}

/// Moves `org` to `plan`, with its `org.plan_changed` event. API keys of a
/// downgraded organisation are refused by every running server before this
/// returns (the key caches have acknowledged the change).
pub fn set_plan(conn: &mut DbConn, org: &Org, plan: Plan, actor: &Actor, meta: &RequestMeta) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        orgs::set_plan(conn, org.id, plan)?;
        let entry = Entry::org_plan_changed(org.id, &org.slug, org.plan.as_str(), plan.as_str());
        audit::record(conn, actor, meta, entry)
    })?;
    crate::infra::key_cache::confirm_blocking(conn, std::time::Instant::now())?;
    Ok(())
}
