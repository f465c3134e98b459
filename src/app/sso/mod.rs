//! Single sign-on for an organisation (docs/user-guide.md: Single
//! sign-on): its OpenID Connect connection (owners edit it), the domains it
//! proves with a DNS TXT record, and logins through the identity provider
//! that make members just in time.

pub mod domains;
pub mod login;

use crate::app::audit::{self, Entry};
use crate::app::caller::{Caller, Denied, Who};
use crate::app::state::AppState;
use crate::db::sso::{self, Connection, Domain};
use crate::domain::sso::{FieldError, GroupRoles, parse_domains, parse_issuer, parse_sso_role};
use crate::infra::dns_txt::DnsError;
use crate::infra::oidc::OidcError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("the form has problems")]
    Invalid(Vec<FieldError>),
    #[error("this organisation has no single sign-on connection")]
    NotConfigured,
    #[error("no organisation signs in this e-mail domain with single sign-on")]
    NoRoute,
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Provider(#[from] OidcError),
    #[error(transparent)]
    Dns(#[from] DnsError),
    #[error("the client secret could not be sealed or opened")]
    Seal,
    #[error(transparent)]
    Db(#[from] crate::db::Error),
}

impl From<crate::db::QueryError> for SsoError {
    fn from(e: crate::db::QueryError) -> Self {
        Self::Db(e.into())
    }
}

/// The settings form as typed (the client secret left empty keeps the stored one).
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub domains: String,
    pub default_role: String,
    pub group_claim: String,
    pub group_roles: String,
    pub require_sso: bool,
}

impl SettingsInput {
    /// The stored connection as the form shows it (never its secret).
    pub fn of(c: &Connection) -> Self {
        Self {
            issuer: c.issuer.clone(),
            client_id: c.client_id.clone(),
            client_secret: String::new(),
            domains: c.domains.replace(',', ", "),
            default_role: c.default_role.clone(),
            group_claim: c.group_claim.clone().unwrap_or_default(),
            group_roles: c.group_roles.clone(),
            require_sso: c.require_sso,
        }
    }
}

/// What the settings page shows.
pub struct Settings {
    pub connection: Option<Connection>,
    pub domains: Vec<Domain>,
    pub has_scim_token: bool,
}

/// Owners and admins see the settings; only owners change them.
pub(crate) fn authorize(caller: &Caller, change: bool) -> Result<(), Denied> {
    match &caller.who {
        Who::Member { role, .. } if role.can_manage_members() => Ok(()),
        Who::Member { role, .. } if !change && role.can_manage_settings() => Ok(()),
        _ => Err(Denied::Role),
    }
}

pub async fn settings(ctx: &AppState, caller: &Caller) -> Result<Settings, SsoError> {
    authorize(caller, false)?;
    let org_id = caller.org().id;
    Ok(ctx
        .db
        .run(move |conn| {
            Ok::<_, crate::db::QueryError>(Settings {
                connection: sso::connection(conn, org_id)?,
                domains: sso::domains(conn, org_id)?,
                has_scim_token: crate::db::scim::has_token(conn, org_id)?,
            })
        })
        .await?)
}

/// Checks the form; the fields' problems, each next to its field.
fn check(input: &SettingsInput, has_secret: bool) -> Result<Connection, SsoError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let issuer = parse_issuer(&input.issuer).map_err(|e| errors.push(("issuer", e))).unwrap_or_default();
    let client_id = input.client_id.trim().to_owned();
    if client_id.is_empty() || client_id.len() > 255 {
        errors.push(("client_id", "Enter the client ID the identity provider gave you.".into()));
    }
    if input.client_secret.trim().is_empty() && !has_secret {
        errors.push(("client_secret", "Enter the client secret the identity provider gave you.".into()));
    }
    let domains = parse_domains(&input.domains).map_err(|e| errors.push(("domains", e))).unwrap_or_default();
    let role = parse_sso_role(&input.default_role).map_err(|e| errors.push(("default_role", e))).ok();
    let group_claim = Some(input.group_claim.trim().to_owned()).filter(|c| !c.is_empty());
    if group_claim.as_ref().is_some_and(|c| c.len() > 100 || c.contains(char::is_whitespace)) {
        errors.push(("group_claim", "Name one claim, like groups.".into()));
    }
    let group_roles =
        GroupRoles::parse(&input.group_roles).map_err(|e| errors.push(("group_roles", e))).unwrap_or_default();
    if !group_roles.is_empty() && group_claim.is_none() {
        errors.push(("group_claim", "Name the claim the groups come in, or leave the mapping empty.".into()));
    }
    if !errors.is_empty() {
        return Err(SsoError::Invalid(errors));
    }
    Ok(Connection {
        org_id: 0,
        issuer,
        client_id,
        client_secret_sealed: String::new(),
        domains: domains.join(","),
        default_role: role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        group_claim,
        group_roles: group_roles.to_lines(),
        require_sso: input.require_sso,
        updated_at: crate::db::now(),
    })
}

/// Saves the organisation's connection (owners), recording `sso.connection_changed`.
pub async fn save(ctx: &AppState, caller: &Caller, input: SettingsInput) -> Result<(), SsoError> {
    authorize(caller, true)?;
    let org_id = caller.org().id;
    let existing = ctx.db.run(move |conn| sso::connection(conn, org_id)).await?;
    let mut connection = check(&input, existing.is_some())?;
    connection.org_id = org_id.get();
    connection.client_secret_sealed = match (input.client_secret.trim(), existing) {
        // The stored secret goes only to the provider it was given for.
        ("", Some(old)) if old.issuer == connection.issuer && old.client_id == connection.client_id => {
            old.client_secret_sealed
        }
        ("", Some(_)) => {
            let why = "A new issuer or client ID needs its client secret entered again.";
            return Err(SsoError::Invalid(vec![("client_secret", why.into())]));
        }
        (secret, _) => {
            crate::domain::crypto::seal(&ctx.config.encryption_key, secret.as_bytes()).map_err(|_| SsoError::Seal)?
        }
    };
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        sso::save_connection(conn, &connection)?;
        let details = json!({
            "issuer": connection.issuer, "client_id": connection.client_id, "domains": connection.domains,
            "default_role": connection.default_role, "group_claim": connection.group_claim,
            "group_roles": connection.group_roles, "require_sso": connection.require_sso,
            "secret_changed": !input.client_secret.trim().is_empty(),
        });
        let entry = Entry::sso_connection_changed(org_id, &connection.issuer, details);
        Ok::<_, SsoError>(audit::record(conn, &caller.actor(), &caller.meta, entry)?)
    })
    .await
}
