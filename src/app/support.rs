//! Use cases of platform staff: every look at an organisation is recorded in
//! that organisation's own audit log, in the same transaction as the lookup,
//! and an organisation that requires a second factor is shown only to staff
//! who have one.

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::state::AppState;
use crate::db::orgs::{self, Org};
use crate::db::users::User;
use crate::domain::OrgId;

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

/// Finds the organisation `slug` and, if the staff member (`staff`, and
/// whether they have a second factor) may see it — a second factor where the
/// organisation requires one — records `entry` (a `support.viewed_…` event)
/// in its log, in the same transaction.
pub async fn look_at(
    ctx: &AppState,
    (staff, has_second_factor): (&User, bool),
    slug: &str,
    meta: &RequestMeta,
    entry: impl FnOnce(OrgId) -> Entry + Send + 'static,
) -> Result<Look, crate::db::Error> {
    let (actor, slug, meta) = (Actor::staff(staff), slug.to_owned(), meta.clone());
    ctx.db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                let Some(org) = orgs::find_by_slug(conn, &slug)? else { return Ok(Look::Missing) };
                if org.require_two_factor && !has_second_factor {
                    return Ok(Look::SecondFactorRequired);
                }
                audit::record(conn, &actor, &meta, entry(org.id))?;
                Ok::<_, crate::db::QueryError>(Look::Seen(org))
            })
        })
        .await
}

/// Organisations whose name or slug holds `needle` (at most 200), for the support console's search.
pub async fn search(ctx: &AppState, needle: &str) -> Result<Vec<Org>, crate::db::Error> {
    let needle = needle.to_owned();
    ctx.db.run(move |conn| orgs::search(conn, &needle, 200)).await
}
