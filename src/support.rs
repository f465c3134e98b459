//! Use cases of platform staff: every look at an organisation is recorded in
//! that organisation's own audit log, in the same transaction as the lookup.

use crate::audit::{self, Actor, Entry, RequestMeta};
use crate::db::DbConn;
use crate::db::orgs::{self, Org};
use diesel::QueryResult;

/// Finds the organisation `slug` and records `entry` (a `support.viewed_…`
/// event) in its log; `None` when there is no such organisation.
pub fn look_at(
    conn: &mut DbConn,
    slug: &str,
    actor: &Actor,
    meta: &RequestMeta,
    entry: impl FnOnce(i64) -> Entry,
) -> QueryResult<Option<Org>> {
    crate::db::transaction(conn, |conn| {
        let Some(org) = orgs::find_by_slug(conn, slug)? else { return Ok(None) };
        audit::record(conn, actor, meta, entry(org.id))?;
        Ok(Some(org))
    })
}
