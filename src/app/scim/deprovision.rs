//! Deprovisioning a member, the offboarding an identity provider asks for
//! (SCIM `active=false` or DELETE): the membership ends, every session of
//! the person ends (their next request is refused), the live keys they
//! made in the organisation are marked as made by a deprovisioned member —
//! left working, since revoking them could stop a service, but shown on the
//! key list and the dashboard until someone decides — and the organisation
//! hears of it: `member.deprovisioned` in the audit log and as a webhook event.

use super::ScimError;
use crate::app::audit::{self, Entry, RequestMeta};
use crate::db::users::{self, User};
use crate::db::{DbConn, memberships, outbox, scim, sessions};
use crate::domain::OrgId;
use crate::domain::event_type::EventType;
use crate::domain::scim::Problem;
use serde_json::json;

pub(super) fn deprovision(conn: &mut DbConn, org_id: OrgId, user: &User, meta: &RequestMeta) -> Result<(), ScimError> {
    memberships::remove(conn, org_id, user.id).map_err(|e| match e {
        memberships::MembershipError::LastOwner => ScimError::Problem(Problem {
            status: 400,
            scim_type: Some("mutability"),
            detail: "The organisation's last owner cannot be deprovisioned: make someone else an owner first.".into(),
        }),
        memberships::MembershipError::Db(e) => ScimError::from(e),
        other => ScimError::Problem(Problem::invalid(other.to_string())),
    })?;
    users::bump_session_epoch(conn, user.id)?;
    sessions::delete_for_user(conn, user.id)?;
    let keys = scim::flag_keys_of(conn, org_id, user.id)?;
    let actor = super::write::actor();
    let seq = audit::record_seq(conn, &actor, meta, Entry::member_deprovisioned(org_id, user, &keys))?;
    let data = json!({
        "user": {"id": user.id.get(), "email": user.email.as_str(), "name": user.name.as_str()},
        "keys": keys,
        "actor": actor.to_json(),
    });
    outbox::enqueue(conn, org_id, EventType::MemberDeprovisioned, seq, data)?;
    Ok(())
}
