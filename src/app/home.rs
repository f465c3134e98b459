//! What an organisation's home page (`/orgs/{slug}`) is made of: its
//! members, and for owners and admins the overview — usage, key counts,
//! keys expiring within 7 days, failing or disabled webhooks, revoked keys
//! still in use, recent events, keys that break the key policy, keys
//! reported exposed. Members and read-only users get no key data: nothing
//! of it is even read for them.

use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::db::api_keys::{self, ApiKey};
use crate::db::audit_events::{self, Filter, StoredEvent};
use crate::db::key_list::{self, ListQuery};
use crate::db::memberships::{self, Member};
use crate::db::webhooks::{self, Endpoint};
use crate::db::{self, DbConn};
use crate::domain::OrgId;
use chrono::{Duration, NaiveDateTime};

pub use crate::db::api_keys::KeyCounts;

/// What owners and admins see, loaded in one blocking call.
#[derive(Default)]
pub struct Overview {
    /// Requests per day over the last 30 days (usage not yet flushed included).
    pub usage: Vec<(chrono::NaiveDate, [i64; 3])>,
    pub counts: KeyCounts,
    /// Keys expired or expiring within 7 days (at most 101).
    pub expiring: Vec<ApiKey>,
    /// Endpoints failing, or disabled by their deliveries (not by a person).
    pub hooks: Vec<Endpoint>,
    /// `api_key.revoked_key_used` in the last 7 days, newest first.
    pub revoked_use: Vec<StoredEvent>,
    /// The 8 newest events.
    pub recent: Vec<StoredEvent>,
    /// Live keys that break the org's key policy (made before it was tightened).
    pub policy_violations: usize,
    /// Keys reported exposed in the last 7 days: (key id, label).
    pub exposed: Vec<(String, String)>,
    /// Live keys whose maker the identity provider deprovisioned.
    pub deprovisioned_keys: usize,
}

fn load_overview(conn: &mut DbConn, org_id: OrgId, at: NaiveDateTime) -> crate::db::QueryResult<Overview> {
    let today = at.date();
    let used_after_revocation = Filter {
        action: Some("api_key.revoked_key_used".into()),
        from: Some(at - Duration::days(7)),
        ..Filter::default()
    };
    Ok(Overview {
        usage: db::usage::daily(conn, org_id, None, today - Duration::days(29))?,
        counts: api_keys::counts(conn, org_id, at)?,
        expiring: api_keys::expiring(conn, org_id, at + Duration::days(7), 101)?,
        hooks: webhooks::list(conn, org_id)?
            .into_iter()
            .filter(|h| {
                h.failing_since.is_some()
                    || (!h.enabled && h.disabled_reason.as_deref() != Some(webhooks::DISABLED_BY_USER))
            })
            .collect(),
        revoked_use: audit_events::page(conn, org_id, &used_after_revocation, None, 100)?,
        recent: audit_events::page(conn, org_id, &Filter::default(), None, 8)?,
        policy_violations: 0,
        exposed: db::exposures::since(conn, org_id, at - Duration::days(7))?,
        deprovisioned_keys: db::scim::flagged_keys(conn, org_id)?.len(),
    })
}

/// The members, and (`Some`) the overview when the caller is an owner or admin, as of `at`.
pub async fn home(
    ctx: &AppState,
    caller: &Caller,
    at: NaiveDateTime,
) -> Result<(Vec<Member>, Option<Overview>), db::Error> {
    let full_view = crate::app::keys::authorize(caller, crate::app::keys::Op::Read).is_ok();
    let (org_id, policy) = (caller.org().id, caller.org().key_policy);
    let (members, overview) = ctx
        .db
        .run(move |conn| {
            let members = memberships::list(conn, org_id)?;
            let overview = match full_view {
                true => {
                    let mut overview = load_overview(conn, org_id, at)?;
                    if !policy.is_empty() {
                        let keys =
                            key_list::list(conn, org_id, &ListQuery::newest(crate::app::keys::POLICY_SCAN_LIMIT), at)?;
                        overview.policy_violations =
                            keys.iter().filter(|k| crate::app::keys::violates(k, &policy)).count();
                    }
                    Some(overview)
                }
                false => None,
            };
            Ok::<_, crate::db::QueryError>((members, overview))
        })
        .await?;
    let overview = overview.map(|mut o| {
        ctx.usage.add_pending(org_id, None, &mut o.usage);
        o
    });
    Ok((members, overview))
}
