//! Use cases of platform staff: every look at an organisation is recorded in
//! that organisation's own audit log, in the same transaction as the lookup,
//! and an organisation that requires a second factor is shown only to staff
//! who have one.

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::DbConn;
use crate::db::QueryResult;
use crate::db::orgs::{self, Org};

/// What a staff member's look at an organisation came to.
pub enum Look {
    /// Shown, and recorded in the organisation's log.
    Seen(Org),
    /// There is no such organisation.
    Missing,
    /// The organisation requires a second factor and the staff member has
    /// none: its owners asked that nobody read its data on a password alone,
    /// staff included. Nothing shown, nothing recorded.
    SecondFactorRequired,
}

/// Finds the organisation `slug` and, if the staff member may see it (a
/// second factor where the organisation requires one), records `entry` (a
/// `support.viewed_…` event) in its log.
pub fn look_at(
    conn: &mut DbConn,
    slug: &str,
    actor: &Actor,
    has_second_factor: bool,
    meta: &RequestMeta,
    entry: impl FnOnce(i64) -> Entry,
) -> QueryResult<Look> {
    crate::db::transaction(conn, |conn| {
        let Some(org) = orgs::find_by_slug(conn, slug)? else { return Ok(Look::Missing) };
        if org.require_two_factor && !has_second_factor {
            return Ok(Look::SecondFactorRequired);
        }
        audit::record(conn, actor, meta, entry(org.id))?;
        Ok(Look::Seen(org))
    })
}
