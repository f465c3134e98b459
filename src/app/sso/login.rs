//! A login through an organisation's identity provider: where the browser
//! goes (the provider chosen by organisation, or by the e-mail address's
//! proven domain), and what comes back — a verified e-mail address, which
//! names the account. A first login makes the account and the membership
//! (just in time) when the address's domain is one the organisation
//! proved; a mapping of the provider's groups sets the role, then and at
//! every later login. The provider's own sign-in stands in for Latchkey's
//! second factor.

use super::SsoError;
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::state::AppState;
use crate::db::sso::{self, Connection};
use crate::db::users::{self, User};
use crate::db::{DbConn, memberships, orgs, sessions};
use crate::domain::sso::{GroupRoles, email_domain};
use crate::domain::{Email, OrgId, PersonName, Role};
use crate::infra::oidc::{self, Identity, Pending};

/// Where the browser comes back to: the same for every organisation.
pub const CALLBACK: &str = "/sso/callback";

/// What starts a login: an organisation's slug, or a person's e-mail address.
pub enum Start {
    Org(String),
    Email(String),
}

/// A login under way: kept by the browser (in its encrypted session cookie) until it comes back.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Begun {
    pub org_id: i64,
    pub pending: Pending,
}

async fn connection_for(ctx: &AppState, start: Start) -> Result<Connection, SsoError> {
    ctx.db
        .run(move |conn| {
            let org_id = match start {
                Start::Org(slug) => orgs::find_by_slug(conn, slug.trim())?.map(|o| o.id),
                Start::Email(email) => match email_domain(email.trim()) {
                    Some(domain) => sso::org_of_verified(conn, &domain)?,
                    None => None,
                },
            };
            let Some(org_id) = org_id else { return Ok(Err(SsoError::NoRoute)) };
            Ok::<_, crate::db::QueryError>(sso::connection(conn, org_id)?.ok_or(SsoError::NotConfigured))
        })
        .await?
}

fn settings<'a>(ctx: &AppState, c: &'a Connection, secret: &'a str, redirect: &'a str) -> oidc::Settings<'a> {
    oidc::Settings {
        issuer: &c.issuer,
        client_id: &c.client_id,
        client_secret: secret,
        redirect_uri: redirect,
        allow_private: ctx.config.webhook_allow_private,
    }
}

fn secret(ctx: &AppState, c: &Connection) -> Result<String, SsoError> {
    let bytes =
        crate::domain::crypto::open(&ctx.config.encryption_key, &c.client_secret_sealed).map_err(|_| SsoError::Seal)?;
    String::from_utf8(bytes).map_err(|_| SsoError::Seal)
}

fn redirect_uri(ctx: &AppState) -> String {
    format!("{}{CALLBACK}", ctx.config.public_url.origin())
}

/// Discovers the organisation's provider and answers where to send the browser.
pub async fn begin(ctx: &AppState, start: Start) -> Result<Begun, SsoError> {
    let connection = connection_for(ctx, start).await?;
    let (secret, redirect) = (secret(ctx, &connection)?, redirect_uri(ctx));
    let pending = oidc::begin(&settings(ctx, &connection, &secret, &redirect)).await?;
    Ok(Begun { org_id: connection.org_id, pending })
}

/// Finishes a login the provider sent back with `code`: checks the ID token,
/// finds or makes the account and membership, and starts the session row `sid_hash`.
pub async fn finish(
    ctx: &AppState,
    begun: &Begun,
    code: &str,
    sid_hash: String,
    meta: &RequestMeta,
) -> Result<User, SsoError> {
    let org_id = OrgId::new(begun.org_id);
    let connection = ctx.db.run(move |conn| sso::connection(conn, org_id)).await?.ok_or(SsoError::NotConfigured)?;
    let (secret, redirect) = (secret(ctx, &connection)?, redirect_uri(ctx));
    let identity = oidc::finish(
        &settings(ctx, &connection, &secret, &redirect),
        &begun.pending,
        code,
        connection.group_claim.as_deref(),
    )
    .await?;
    let email = match (&identity.email, identity.email_verified) {
        (Some(email), true) => Email::parse(email).map_err(|e| SsoError::Refused(e.0))?,
        _ => {
            return Err(SsoError::Refused(
                "The identity provider did not vouch for an e-mail address (email_verified), so no account can be matched."
                    .into(),
            ));
        }
    };
    let meta = meta.clone();
    ctx.transaction(move |conn| admit(conn, (&connection, &identity), &email, &sid_hash, &meta)).await
}

/// The account for a verified address, its membership (made or updated),
/// the session row and `session.login` (method `sso`), in one transaction.
fn admit(
    conn: &mut DbConn,
    (connection, identity): (&Connection, &Identity),
    email: &Email,
    sid_hash: &str,
    meta: &RequestMeta,
) -> Result<User, SsoError> {
    let org_id = OrgId::new(connection.org_id);
    let mapping = GroupRoles::parse(&connection.group_roles).unwrap_or_default();
    let mapped = mapping.role_for(&identity.groups);
    let domain = email_domain(email.as_str()).unwrap_or_default();
    let proven = sso::org_of_verified(conn, &domain)? == Some(org_id);
    if !proven {
        return Err(not_proven(&domain));
    }
    let user = match users::find_by_email(conn, email)? {
        Some(user) => user,
        None => {
            let name =
                identity.name.clone().unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_owned());
            let name = PersonName::parse(&name)
                .or_else(|_| PersonName::parse(email.as_str()))
                .map_err(|e| SsoError::Refused(e.0))?;
            // No password: this account signs in through its identity provider (or a reset link).
            users::create(conn, email, &name, UNUSABLE_PASSWORD, false).map_err(|e| match e {
                users::CreateUserError::Db(e) => SsoError::from(e),
                users::CreateUserError::EmailTaken => {
                    SsoError::Refused("This account was just created: try again.".into())
                }
            })?
        }
    };
    let memberships = orgs::for_user(conn, user.id)?;
    // An organisation's provider speaks only for addresses at a domain the
    // organisation proved: a session is the account's, in every organisation
    // it belongs to (or joins later), so a provider vouching for another
    // domain's address could sign in as that person everywhere.
    if user.is_staff {
        // Platform staff reach every organisation's log: only their own password signs them in.
        return Err(SsoError::Refused("Platform staff sign in with their password.".into()));
    }
    let current = memberships.into_iter().find(|(org, _)| org.id == org_id).map(|(_, role)| role);
    let actor = Actor::user(&user);
    match current {
        // Someone the identity provider deprovisioned through SCIM comes back only when SCIM says so.
        None if crate::db::scim::row(conn, org_id, user.id)?.is_some_and(|r| r.active == Some(false)) => {
            return Err(SsoError::Refused(
                "Your identity provider deprovisioned you from this organisation: ask an owner.".into(),
            ));
        }
        None => {
            let role = mapped.unwrap_or_else(|| {
                crate::domain::sso::parse_sso_role(&connection.default_role).unwrap_or(Role::ReadOnly)
            });
            memberships::add(conn, org_id, user.id, role).map_err(|e| SsoError::Refused(e.to_string()))?;
            audit::record(conn, &actor, meta, Entry::member_provisioned(org_id, &user, role, &identity.groups))?;
        }
        // Owners are never demoted by a mapping; anyone else follows their groups when a mapping is set.
        Some(role) if role != Role::Owner => {
            if let Some(new_role) = mapped.filter(|r| *r != role) {
                memberships::change_role(conn, org_id, user.id, new_role)
                    .map_err(|e| SsoError::Refused(e.to_string()))?;
                audit::record(
                    conn,
                    &actor,
                    meta,
                    Entry::member_role_changed(org_id, user.id, user.email.as_str(), role, new_role),
                )?;
            }
        }
        Some(_) => {}
    }
    sessions::insert(conn, user.id, sid_hash, &meta.session_origin())?;
    for (org, _) in orgs::for_user(conn, user.id)? {
        audit::record(conn, &actor, meta, Entry::session_login_sso(org.id, &connection.issuer))?;
    }
    Ok(user)
}

/// What a password hash column holds for an account made by single sign-on: never a valid hash.
pub const UNUSABLE_PASSWORD: &str = "!sso";

fn not_proven(domain: &str) -> SsoError {
    SsoError::Refused(format!(
        "{domain} is not a domain this organisation proved, so its identity provider cannot sign you in: log in with your password, or ask an owner."
    ))
}
