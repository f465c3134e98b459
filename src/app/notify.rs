//! Who is told what, by mail: owners and admins of the organisation, one
//! message each, queued in the caller's transaction (docs/user-guide.md: Notifications and the dashboard). Each
//! message has a dedupe key, so a notification is queued once however many
//! schedulers or instances get there.

use crate::db::api_keys::ApiKey;
use crate::db::mail::{self, NewMail};
use crate::db::memberships::{self, Member};
use crate::db::orgs::Org;
use crate::db::webhooks::Endpoint;
use crate::db::{DbConn, QueryError, QueryResult, orgs, other_error};
use crate::domain::OrgId;
use crate::domain::expiry::ExpiryWarning;
use crate::domain::timefmt;
use crate::infra::mail::compose::{
    self, ComposeError, Composed, KeyExpiring, KeyExposed, KeyFacts, RevokedKeyUsed, WebhookDisabled,
};
use chrono::NaiveDateTime;

/// A key as the mails describe it (label, prefix, id, who made it, when; never a secret).
fn key_facts(key: &ApiKey) -> KeyFacts {
    KeyFacts {
        label: key.label.clone(),
        prefix: key.display_prefix.clone(),
        key_id: key.key_id.to_string(),
        created_by: key.created_by_name.clone(),
        created_at: timefmt::exact(&key.created_at),
        last_used: key.last_used_at.map(|t| timefmt::exact(&t)).unwrap_or_else(|| "never".into()),
        expires_at: key.expires_at.map(|t| timefmt::exact(&t)).unwrap_or_else(|| "never".into()),
    }
}

/// The people who manage the organisation's keys and webhooks.
pub fn managers(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<Member>> {
    Ok(memberships::list(conn, org_id)?.into_iter().filter(|m| m.role.can_manage_settings()).collect())
}

fn org(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Org> {
    orgs::find(conn, org_id)?.ok_or(QueryError::NotFound)
}

/// Queues one message per manager; returns how many were new.
fn queue_for_managers(
    conn: &mut DbConn,
    org_id: OrgId,
    kind: &'static str,
    dedupe: &str,
    compose: impl Fn(&Member) -> Result<Composed, ComposeError>,
) -> QueryResult<usize> {
    let mut queued = 0;
    for member in managers(conn, org_id)? {
        let composed = compose(&member).map_err(other_error)?;
        let mail = NewMail {
            org_id,
            dedupe_key: format!("{dedupe}:user-{}", member.user_id),
            kind,
            recipient: member.email.clone(),
            subject: composed.subject,
            text_body: composed.text,
            html_body: composed.html,
            sealed: false,
        };
        if mail::enqueue(conn, &mail)? {
            queued += 1;
        }
    }
    Ok(queued)
}

fn key_url(public_url: &str, slug: &str, key_id: &str) -> String {
    format!("{public_url}{}", crate::domain::urls::key(slug, key_id))
}

/// An expiry warning about `key` (its expiry is set: it was chosen for that).
pub fn key_expiring(
    conn: &mut DbConn,
    public_url: &str,
    key: &ApiKey,
    expires_at: NaiveDateTime,
    warning: ExpiryWarning,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let org = org(conn, OrgId::new(key.org_id))?;
    let page = key_url(public_url, &org.slug, &key.key_id);
    let dedupe = format!("key-expiring:{}:{}:{}", key.key_id, expires_at.and_utc().timestamp(), warning.as_str());
    queue_for_managers(conn, org.id, "key_expiring", &dedupe, |member| {
        compose::key_expiring(&KeyExpiring {
            recipient_name: member.name.clone(),
            org_name: org.name.clone(),
            key: key_facts(key),
            headline: KeyExpiring::headline(warning, expires_at, now),
            expired: warning == ExpiryWarning::Expired,
            renew_url: format!("{page}/edit?focus=expires_at#expires_at"),
            key_url: page.clone(),
        })
    })
}

/// An endpoint Latchkey disabled on its own (410 Gone, or failing for 5 days).
pub fn webhook_disabled(conn: &mut DbConn, public_url: &str, endpoint: &Endpoint, why: &str) -> QueryResult<usize> {
    let org = org(conn, OrgId::new(endpoint.org_id))?;
    let dedupe = format!("webhook-disabled:{}:{}", endpoint.public_id, crate::db::now().and_utc().timestamp());
    queue_for_managers(conn, org.id, "webhook_disabled", &dedupe, |member| {
        compose::webhook_disabled(&WebhookDisabled {
            recipient_name: member.name.clone(),
            org_name: org.name.clone(),
            url: endpoint.url.clone(),
            description: endpoint.description.clone(),
            why: why.to_owned(),
            endpoint_page: format!("{public_url}{}", crate::domain::urls::webhook(&org.slug, &endpoint.public_id)),
        })
    })
}

/// A revoked or rotated-out key was presented: at most one message per key
/// and day (the audit log has every occurrence, once a minute).
pub fn revoked_key_used(
    conn: &mut DbConn,
    public_url: &str,
    key: &ApiKey,
    ip: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let org = org(conn, OrgId::new(key.org_id))?;
    let state = if key.replaced_by.is_some() { "rotated-out" } else { "revoked" };
    let dedupe = format!("revoked-key-used:{}:{}", key.key_id, at.date());
    queue_for_managers(conn, org.id, "revoked_key_used", &dedupe, |member| {
        compose::revoked_key_used(&RevokedKeyUsed {
            recipient_name: member.name.clone(),
            org_name: org.name.clone(),
            key: key_facts(key),
            state: state.to_owned(),
            ip: ip.to_owned(),
            at: timefmt::exact(&at),
            key_url: key_url(public_url, &org.slug, &key.key_id),
            audit_url: format!("{public_url}{}?target={}", crate::domain::urls::audit_log(&org.slug), key.key_id),
        })
    })
}

/// What a report of an exposed key said, for the mail.
pub struct ExposureNotice<'a> {
    /// `public_report` or `github`.
    pub source: &'a str,
    pub url: Option<&'a str>,
    /// What was done: `revoke`, `disable` or `notify`.
    pub action: &'a str,
    pub reporter_ip: &'a str,
}

/// A key was reported exposed: every manager is told at once (one message
/// per key and hour, however many reports arrive).
pub fn key_exposed(
    conn: &mut DbConn,
    public_url: &str,
    key: &ApiKey,
    notice: &ExposureNotice<'_>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let org = org(conn, OrgId::new(key.org_id))?;
    let dedupe = format!("key-exposed:{}:{}", key.key_id, at.format("%Y-%m-%dT%H"));
    let source = if notice.source == "github" { "GitHub secret scanning" } else { "a public report" };
    let outcome = match notice.action {
        "revoke" => "revoked",
        "disable" => "deactivated",
        _ => "left working (LATCHKEY_EXPOSED_KEY_ACTION=notify): revoke it now",
    };
    queue_for_managers(conn, org.id, "key_exposed", &dedupe, |member| {
        compose::key_exposed(&KeyExposed {
            recipient_name: member.name.clone(),
            org_name: org.name.clone(),
            key: key_facts(key),
            source: source.into(),
            found_at: notice.url.map(str::to_owned),
            outcome: outcome.into(),
            ip: notice.reporter_ip.to_owned(),
            at: timefmt::exact(&at),
            key_url: key_url(public_url, &org.slug, &key.key_id),
            requests_url: format!("{}#requests", key_url(public_url, &org.slug, &key.key_id)),
        })
    })
}
