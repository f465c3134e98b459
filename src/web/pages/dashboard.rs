//! `/orgs/{slug}`: the organisation's home. Owners and admins see banners
//! (keys expired or expiring within 7 days, failing or disabled webhooks,
//! revoked keys still in use), key counts, the usage chart and recent
//! events; members and read-only users see only who the owners are.

use super::render;
use super::templates::{Chrome, NavItem};
use crate::app::state::AppState;
use crate::db::api_keys::{self, ApiKey, KeyCounts};
use crate::db::audit_events::{self, Filter, StoredEvent};
use crate::db::memberships::{self, Member};
use crate::db::webhooks::{self, Endpoint};
use crate::domain::Role;
use crate::domain::key_state::KeyState;
use crate::domain::timefmt;
use crate::web::auth::OrgMember;
use crate::web::error::AppError;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDateTime};

/// Banners listed one by one; the rest are summed up with a link.
const BANNER_LIMIT: usize = 5;

pub struct ExpiryBanner {
    pub key_id: String,
    pub label: String,
    pub prefix: String,
    pub expired: bool,
    pub when: String,
    pub exact: String,
}

pub struct HookBanner {
    pub public_id: String,
    pub url: String,
    pub disabled: bool,
    pub why: String,
}

pub struct RevokedUseBanner {
    pub key_id: String,
    pub label: String,
    pub when: String,
    pub ip: String,
}

pub struct RecentEvent {
    pub action: String,
    pub actor: String,
    pub target: String,
    pub when: String,
    pub exact: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    full_view: bool,
    role: &'static str,
    owners: Vec<Member>,
    member_count: usize,
    chart: String,
    counts: KeyCounts,
    expiring: Vec<ExpiryBanner>,
    more_expiring: usize,
    hooks: Vec<HookBanner>,
    revoked_use: Vec<RevokedUseBanner>,
    recent: Vec<RecentEvent>,
    /// Live keys that break the org's key policy (made before it was tightened).
    policy_violations: usize,
    /// Keys reported exposed in the last 7 days: (key id, label).
    exposed: Vec<(String, String)>,
}

/// What owners and admins see, loaded in one blocking call.
#[derive(Default)]
struct Overview {
    usage: Vec<(chrono::NaiveDate, [i64; 3])>,
    counts: KeyCounts,
    expiring: Vec<ApiKey>,
    hooks: Vec<Endpoint>,
    revoked_use: Vec<StoredEvent>,
    recent: Vec<StoredEvent>,
    /// Every key of the org, when it has a key policy to hold them to.
    keys: Vec<ApiKey>,
    exposed: Vec<(String, String)>,
}

fn load_overview(
    conn: &mut crate::db::DbConn,
    org_id: i64,
    at: NaiveDateTime,
    policy: bool,
) -> crate::db::QueryResult<Overview> {
    let today = at.date();
    let used_after_revocation = Filter {
        action: Some("api_key.revoked_key_used".into()),
        from: Some(at - Duration::days(7)),
        ..Filter::default()
    };
    Ok(Overview {
        usage: crate::db::usage::daily(conn, org_id, None, today - Duration::days(29))?,
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
        keys: if policy { all_keys(conn, org_id, at)? } else { Vec::new() },
        exposed: crate::db::exposures::since(conn, org_id, at - Duration::days(7))?,
    })
}

fn all_keys(conn: &mut crate::db::DbConn, org_id: i64, at: NaiveDateTime) -> crate::db::QueryResult<Vec<ApiKey>> {
    let query = api_keys::ListQuery::newest(10_000);
    api_keys::list(conn, org_id, &query, at)
}

pub async fn show(state: web::Data<AppState>, member: OrgMember) -> Result<HttpResponse, AppError> {
    let org_id = member.org.id;
    let at = crate::db::now();
    let full_view = member.role.can_manage_settings();
    let policy = member.org.key_policy;
    let (members, overview) = state
        .db
        .run(move |conn| {
            let members = memberships::list(conn, org_id)?;
            // Members and read-only users see no key data, so nothing is loaded for them.
            let overview =
                if full_view { load_overview(conn, org_id, at, !policy.is_empty())? } else { Overview::default() };
            Ok::<_, crate::db::QueryError>((members, overview))
        })
        .await?;
    let member_count = members.len();
    let owners = members.into_iter().filter(|m| m.role == Role::Owner).collect();
    let more_expiring = overview.expiring.len().saturating_sub(BANNER_LIMIT);
    let expiring = overview
        .expiring
        .iter()
        .take(BANNER_LIMIT)
        .filter_map(|k| {
            let t = k.expires_at?;
            Some(ExpiryBanner {
                key_id: k.key_id.to_string(),
                label: k.label.clone(),
                prefix: k.display_prefix.clone(),
                expired: k.state(at) == KeyState::Expired,
                when: timefmt::relative(&t, &at),
                exact: timefmt::exact(&t),
            })
        })
        .collect();
    let hooks = overview
        .hooks
        .iter()
        .map(|h| HookBanner {
            public_id: h.public_id.clone(),
            url: h.url.clone(),
            disabled: !h.enabled,
            why: match (&h.disabled_reason, h.failing_since) {
                (Some(reason), _) if !h.enabled => reason.clone(),
                (_, Some(since)) => format!("deliveries failing since {}", timefmt::relative(&since, &at)),
                _ => String::new(),
            },
        })
        .collect();
    // One banner per key, with its latest use.
    let mut revoked_use: Vec<RevokedUseBanner> = Vec::new();
    for event in &overview.revoked_use {
        let key_id = event.target_id.clone().unwrap_or_default();
        if revoked_use.iter().any(|b| b.key_id == key_id) {
            continue;
        }
        revoked_use.push(RevokedUseBanner {
            label: event.target_label.clone().unwrap_or_else(|| key_id.clone()),
            key_id,
            when: timefmt::relative(&event.occurred_at, &at),
            ip: event.ip.clone().unwrap_or_else(|| "unknown".into()),
        });
    }
    let recent = overview
        .recent
        .iter()
        .map(|e| RecentEvent {
            action: e.action.clone(),
            actor: e.actor_email.clone().unwrap_or_else(|| e.actor_type.clone()),
            target: e.target_label.clone().or_else(|| e.target_id.clone()).unwrap_or_default(),
            when: timefmt::relative(&e.occurred_at, &at),
            exact: timefmt::exact(&e.occurred_at),
        })
        .collect();
    render(&DashboardPage {
        chrome: Chrome::for_member(&member, NavItem::Dashboard),
        full_view,
        chart: if full_view {
            let mut usage = overview.usage.clone();
            state.usage.add_pending(member.org.id, None, &mut usage);
            crate::web::pages::chart::usage_svg(&usage, at.date(), 30, "API requests")
        } else {
            String::new()
        },
        role: member.role.label(),
        owners,
        member_count,
        counts: overview.counts,
        expiring,
        more_expiring,
        hooks,
        revoked_use,
        recent,
        policy_violations: overview.keys.iter().filter(|k| crate::app::keys::violates(k, &policy)).count(),
        exposed: overview.exposed,
    })
}
