//! Use cases for webhook endpoints: one async entry point per thing an
//! owner or admin (console) or a key holding `webhooks:write` (API) does to
//! an endpoint — create, edit, rotate the signing secret, delete (enabling,
//! disabling and Recover are in switch.rs). Each checks the caller and finds
//! the endpoint in its organisation inside the transaction that acts, with
//! its audit entry. URLs come checked by the SSRF guard (`target::check`,
//! part of reading the form or body); signing secrets are made and sealed
//! here and answered once.

use super::access::{HookError, Op, authorize};
use super::signing::SigningSecret;
use crate::app::audit::{self, Actor, Entry};
use crate::app::caller::{Caller, Denied};
use crate::app::state::AppState;
use crate::db::webhooks::{self, Endpoint, NewEndpoint};
use crate::db::{self, now};
use crate::domain::token::random_base62;
use serde_json::json;

/// How long the previous secret keeps signing after a rotation (docs/user-guide.md:
/// Webhooks → Webhook operations): long enough to update every receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    OneHour,
    OneDay,
    SevenDays,
}

impl Overlap {
    pub const ALL: [Overlap; 3] = [Overlap::OneHour, Overlap::OneDay, Overlap::SevenDays];

    /// `1h`, `24h` or `7d`; empty means the default, a day.
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "" => Ok(Self::OneDay),
            text => Self::ALL.into_iter().find(|o| o.as_str() == text).ok_or_else(|| "Choose 1h, 24h or 7d.".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneHour => "1h",
            Self::OneDay => "24h",
            Self::SevenDays => "7d",
        }
    }

    /// For people: "1 hour", "24 hours", "7 days".
    pub fn label(self) -> &'static str {
        match self {
            Self::OneHour => "1 hour",
            Self::OneDay => "24 hours",
            Self::SevenDays => "7 days",
        }
    }

    pub fn duration(self) -> chrono::Duration {
        match self {
            Self::OneHour => chrono::Duration::hours(1),
            Self::OneDay => chrono::Duration::hours(24),
            Self::SevenDays => chrono::Duration::days(7),
        }
    }
}

/// What an endpoint is set to: a checked URL, a description, event types (comma-separated).
pub struct EndpointFields {
    pub url: String,
    pub description: String,
    pub events: String,
}

/// A create refused because the organisation already has the most
/// endpoints the server allows (`LATCHKEY_MAX_WEBHOOK_ENDPOINTS`, the number here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtCap(pub u32);

impl AtCap {
    /// The refusal in words, shown next to the URL (console) or on `url` (API).
    pub fn message(self) -> String {
        format!(
            "This organisation already has {0} webhook endpoints, the most this server allows \
             (LATCHKEY_MAX_WEBHOOK_ENDPOINTS = {0}). Delete one to add another.",
            self.0
        )
    }
}

/// Why an endpoint change did nothing.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such webhook endpoint in this organisation")]
    NotFound,
    /// A create at the organisation's cap of endpoints.
    #[error("at the cap of webhook endpoints")]
    AtCap(AtCap),
    /// Recover on a disabled endpoint: its queued messages are cancelled, not sent.
    #[error("the endpoint is disabled")]
    Disabled,
    /// A new signing secret could not be sealed with the configured key.
    #[error("the signing secret could not be sealed")]
    Seal(#[source] crate::domain::crypto::CryptoError),
    #[error(transparent)]
    Db(#[from] db::Error),
}

impl From<crate::db::QueryError> for EndpointError {
    fn from(e: crate::db::QueryError) -> Self {
        Self::Db(e.into())
    }
}

impl From<HookError> for EndpointError {
    fn from(e: HookError) -> Self {
        match e {
            HookError::Denied(d) => Self::Denied(d),
            HookError::NotFound => Self::NotFound,
            HookError::Db(e) => Self::Db(e),
        }
    }
}

/// One of the caller's organisation's endpoints, read in the caller's transaction.
pub(super) fn in_org(conn: &mut db::DbConn, caller: &Caller, public_id: &str) -> Result<Endpoint, EndpointError> {
    webhooks::find(conn, caller.org().id, public_id)?.ok_or(EndpointError::NotFound)
}

/// A new signing secret, and the same sealed for storage.
fn new_secret(ctx: &AppState) -> Result<(SigningSecret, String), EndpointError> {
    let secret = SigningSecret::generate();
    let sealed =
        crate::domain::crypto::seal(&ctx.config.encryption_key, secret.bytes()).map_err(EndpointError::Seal)?;
    Ok((secret, sealed))
}

/// Adds an endpoint with a new signing secret (answered once), unless the
/// organisation already has the most the server allows
/// (`LATCHKEY_MAX_WEBHOOK_ENDPOINTS`). Counted under a lock on the
/// organisation, so concurrent creates cannot pass the cap together.
pub async fn create(
    ctx: &AppState,
    caller: &Caller,
    fields: EndpointFields,
) -> Result<(Endpoint, SigningSecret), EndpointError> {
    authorize(caller, Op::Write)?;
    let (secret, sealed) = new_secret(ctx)?;
    let (caller, cap) = (caller.clone(), ctx.config.max_webhook_endpoints);
    let public_id = format!("wh_{}", random_base62(16));
    let hook = ctx
        .transaction(move |conn| {
            let (org_id, actor) = (caller.org().id, caller.actor());
            let by = actor.display_name();
            let by_key = match &actor {
                Actor::ApiKey { key_id, .. } => Some(key_id.as_str()),
                _ => None,
            };
            webhooks::hold_creations(conn, org_id)?;
            if webhooks::count(conn, org_id)? >= i64::from(cap) {
                return Err(EndpointError::AtCap(AtCap(cap)));
            }
            let new = NewEndpoint {
                org_id,
                public_id: &public_id,
                url: &fields.url,
                description: &fields.description,
                events: &fields.events,
                secret_sealed: &sealed,
                created_by_name: &by,
                created_by_key: by_key,
            };
            let hook = webhooks::insert(conn, new)?;
            audit::record(conn, &actor, &caller.meta, Entry::webhook_created(&hook))?;
            Ok(hook)
        })
        .await?;
    Ok((hook, secret))
}

/// Changes an endpoint's URL, description and events (audited with before
/// and after when anything changed), and enables or disables it when
/// `enable` says so and it is not already. Answers the endpoint as it is now.
pub async fn update(
    ctx: &AppState,
    caller: &Caller,
    public_id: &str,
    fields: EndpointFields,
    enable: Option<bool>,
) -> Result<Endpoint, EndpointError> {
    authorize(caller, Op::Write)?;
    let (caller, public_id) = (caller.clone(), public_id.to_owned());
    ctx.transaction(move |conn| {
        let hook = in_org(conn, &caller, &public_id)?;
        webhooks::update(conn, hook.id, &fields.url, &fields.description, &fields.events)?;
        let before = json!({ "url": hook.url, "description": hook.description, "events": hook.events });
        let after = json!({ "url": fields.url, "description": fields.description, "events": fields.events });
        if before != after {
            audit::record(conn, &caller.actor(), &caller.meta, Entry::webhook_updated(&hook, before, after))?;
        }
        if let Some(enable) = enable.filter(|e| *e != hook.enabled) {
            super::switch::switch(conn, &hook, enable, &caller.actor(), &caller.meta)?;
        }
        in_org(conn, &caller, &public_id)
    })
    .await
}

/// Replaces the signing secret (the new one answered once); the previous
/// one keeps signing for `overlap`. Answers the endpoint as it was asked for.
pub async fn rotate_secret(
    ctx: &AppState,
    caller: &Caller,
    public_id: &str,
    overlap: Overlap,
) -> Result<(Endpoint, SigningSecret), EndpointError> {
    authorize(caller, Op::Write)?;
    let (secret, sealed) = new_secret(ctx)?;
    let (caller, public_id, until) = (caller.clone(), public_id.to_owned(), now() + overlap.duration());
    let hook = ctx
        .transaction(move |conn| {
            let hook = in_org(conn, &caller, &public_id)?;
            webhooks::rotate_secret(conn, hook.id, &sealed, &hook.secret_sealed, until)?;
            audit::record(conn, &caller.actor(), &caller.meta, Entry::webhook_secret_rotated(&hook, overlap.as_str()))?;
            Ok::<_, EndpointError>(hook)
        })
        .await?;
    Ok((hook, secret))
}

/// Deletes an endpoint for good, with its queued deliveries and its attempt
/// log: nothing of it is sent later or shown under any other endpoint.
pub async fn delete(ctx: &AppState, caller: &Caller, public_id: &str) -> Result<(), EndpointError> {
    authorize(caller, Op::Write)?;
    let (caller, public_id) = (caller.clone(), public_id.to_owned());
    ctx.transaction(move |conn| {
        let hook = in_org(conn, &caller, &public_id)?;
        db::deliveries::delete_for_endpoint(conn, (&hook).into())?;
        webhooks::delete(conn, hook.id)?;
        Ok(audit::record(conn, &caller.actor(), &caller.meta, Entry::webhook_deleted(&hook))?)
    })
    .await
}
