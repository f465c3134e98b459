//! `/orgs/{slug}`: the organisation's home. Owners and admins see banners
//! (keys expired or expiring within 7 days, failing or disabled webhooks,
//! revoked keys still in use), key counts, the usage chart and recent
//! events; members and read-only users see only who the owners are.

use super::render;
use super::templates::{Chrome, NavItem};
use crate::app::audit::RequestMeta;
use crate::app::home::{KeyCounts, Overview, home};
use crate::app::members::Member;
use crate::app::state::AppState;
use crate::domain::Role;
use crate::domain::key_state::KeyState;
use crate::domain::timefmt;
use crate::web::auth::OrgMember;
use crate::web::error::AppError;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;

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
    /// The audit log's words for it ("API key revoked").
    pub label: String,
    pub actor: String,
    pub target: String,
    pub when: String,
    pub exact: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    /// Said once after arriving here (joining by invitation).
    notice: Option<&'static str>,
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
    /// Live keys whose maker the identity provider deprovisioned.
    deprovisioned_keys: usize,
}

impl DashboardPage {
    /// How many things the "needs attention" panel names: each key,
    /// endpoint and report it lists, the expiring keys beyond the first
    /// five, and the keys that break the key policy.
    fn attention_total(&self) -> usize {
        self.expiring.len()
            + self.more_expiring
            + self.policy_violations
            + self.hooks.len()
            + self.exposed.len()
            + self.revoked_use.len()
            + self.deprovisioned_keys
    }
}

/// The banners of expired and expiring keys (the first few; how many more).
fn expiring(overview: &Overview, at: NaiveDateTime) -> (Vec<ExpiryBanner>, usize) {
    let more = overview.expiring.len().saturating_sub(BANNER_LIMIT);
    let banners = overview
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
    (banners, more)
}

fn hooks(overview: &Overview, at: NaiveDateTime) -> Vec<HookBanner> {
    overview
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
        .collect()
}

/// One banner per key used after its revocation, with its latest use.
fn revoked_use(overview: &Overview, at: NaiveDateTime) -> Vec<RevokedUseBanner> {
    let mut banners: Vec<RevokedUseBanner> = Vec::new();
    for event in &overview.revoked_use {
        let key_id = event.target_id.clone().unwrap_or_default();
        if banners.iter().any(|b| b.key_id == key_id) {
            continue;
        }
        banners.push(RevokedUseBanner {
            label: event.target_label.clone().unwrap_or_else(|| key_id.clone()),
            key_id,
            when: timefmt::relative(&event.occurred_at, &at),
            ip: event.ip.clone().unwrap_or_else(|| "unknown".into()),
        });
    }
    banners
}

fn recent(overview: &Overview, at: NaiveDateTime) -> Vec<RecentEvent> {
    overview
        .recent
        .iter()
        .map(|e| RecentEvent {
            action: e.action.clone(),
            label: crate::app::audit::human_label(&e.action),
            actor: e.actor_email.clone().unwrap_or_else(|| e.actor_type.clone()),
            target: e.target_label.clone().or_else(|| e.target_id.clone()).unwrap_or_default(),
            when: timefmt::relative(&e.occurred_at, &at),
            exact: timefmt::exact(&e.occurred_at),
        })
        .collect()
}

pub async fn show(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
) -> Result<HttpResponse, AppError> {
    let at = crate::domain::timefmt::now();
    let (members, overview) = home(&state, &member.caller(meta), at).await?;
    let full_view = overview.is_some();
    let overview = overview.unwrap_or_default();
    let member_count = members.len();
    let owners = members.into_iter().filter(|m| m.role == Role::Owner).collect();
    let (expiring, more_expiring) = expiring(&overview, at);
    let chart = match full_view {
        true => crate::web::pages::chart::usage_svg(&overview.usage, at.date(), 30, "API requests"),
        false => String::new(),
    };
    render(&DashboardPage {
        notice: crate::web::pages::notice::take(&session).map(crate::web::pages::Notice::text),
        chrome: Chrome::for_member(&member, NavItem::Dashboard),
        full_view,
        chart,
        role: member.role.label(),
        owners,
        member_count,
        counts: overview.counts,
        expiring,
        more_expiring,
        hooks: hooks(&overview, at),
        revoked_use: revoked_use(&overview, at),
        recent: recent(&overview, at),
        policy_violations: overview.policy_violations,
        exposed: overview.exposed.clone(),
        deprovisioned_keys: overview.deprovisioned_keys,
    })
}
