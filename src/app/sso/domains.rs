//! Proving a domain: the owner publishes `latchkey-verification=<token>`
//! in a TXT record on the domain itself, and Latchkey looks it up. Only a
//! proven domain routes logins by e-mail address and lets a first login
//! make a member; one organisation at a time may prove a domain.

use super::{SsoError, authorize};
use crate::app::audit::{self, Entry};
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::db::sso;
use crate::domain::sso::{TXT_PREFIX, parse_domain};

/// Adds a domain to prove (owners); answers the TXT value to publish.
pub async fn add(ctx: &AppState, caller: &Caller, domain: &str) -> Result<String, SsoError> {
    authorize(caller, true)?;
    let domain = parse_domain(domain).map_err(|e| SsoError::Invalid(vec![("domain", e)]))?;
    let org_id = caller.org().id;
    let token = crate::domain::token::random_base62(32);
    let who = caller.clone();
    let stored = ctx
        .transaction(move |conn| {
            if sso::add_domain(conn, org_id, &domain, &token)? {
                audit::record(conn, &who.actor(), &who.meta, Entry::sso_domain_added(org_id, &domain))?;
            }
            Ok::<_, SsoError>(sso::domain(conn, org_id, &domain)?)
        })
        .await?;
    stored.map(|d| format!("{TXT_PREFIX}{}", d.token)).ok_or(SsoError::NotConfigured)
}

/// Looks for the domain's TXT record; answers whether it is proven now.
pub async fn verify(ctx: &AppState, caller: &Caller, domain: &str) -> Result<bool, SsoError> {
    authorize(caller, true)?;
    let org_id = caller.org().id;
    let name = domain.to_owned();
    let Some(stored) = ctx.db.run(move |conn| sso::domain(conn, org_id, &name)).await? else {
        return Err(SsoError::Refused("That domain is not on the list: add it first.".into()));
    };
    if stored.verified_at.is_some() {
        return Ok(true);
    }
    let server = crate::infra::dns_txt::server(ctx.config.sso.dns_resolver)?;
    let expected = format!("{TXT_PREFIX}{}", stored.token);
    let records = crate::infra::dns_txt::lookup(server, &stored.domain).await?;
    if !records.iter().any(|r| r.trim() == expected) {
        return Ok(false);
    }
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        if sso::verified_elsewhere(conn, org_id, &stored.domain)? {
            return Err(SsoError::Refused(format!("Another organisation already proved {}.", stored.domain)));
        }
        sso::mark_verified(conn, stored.id).map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                SsoError::Refused(format!("Another organisation already proved {}.", stored.domain))
            } else {
                e.into()
            }
        })?;
        let entry = Entry::sso_domain_verified(org_id, &stored.domain);
        audit::record(conn, &caller.actor(), &caller.meta, entry)?;
        Ok(true)
    })
    .await
}
