//! SCIM writes: create, replace, patch and delete a User. Each runs in one
//! transaction that also makes the membership follow `active`: an active
//! User is a member (new ones get the single sign-on connection's default
//! role, else member), an inactive or deleted one is deprovisioned.

use super::{Resource, ScimError, deprovision, find, not_found, parse_id};
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::state::AppState;
use crate::db::orgs::Org;
use crate::db::scim::{self, Stored};
use crate::db::users::{self, User};
use crate::db::{DbConn, memberships};
use crate::domain::scim::{Problem, ScimUser};
use crate::domain::{Email, OrgId, PersonName, Role};
use serde_json::Value;

/// Who the audit log says did it.
pub(super) fn actor() -> Actor {
    Actor::System { label: "scim" }
}

pub async fn create(ctx: &AppState, org: &Org, body: Value, meta: &RequestMeta) -> Result<Resource, ScimError> {
    let user = ScimUser::from_json(&body)?;
    let (org_id, meta) = (org.id, meta.clone());
    ctx.transaction(move |conn| {
        // An account is named by an address; a User with none gets one that can never receive mail
        // (RFC 6761's .invalid) and cannot sign in through single sign-on until the provider sends one.
        let generated = format!("scim-{}@users.invalid", crate::domain::token::random_base62(12).to_ascii_lowercase());
        let address = user.account_email().filter(|a| Email::parse(a).is_ok()).unwrap_or(&generated);
        let email = Email::parse(address).map_err(|e| Problem::invalid(e.0))?;
        let account = match users::find_by_email(conn, &email)? {
            Some(existing) => {
                if find(conn, org_id, existing.id)?.is_some() {
                    return Err(Problem { status: 409, scim_type: Some("uniqueness"), detail: "This User exists already.".into() }.into());
                }
                // Someone else's account joins only by invitation, unless the organisation proved its domain.
                let domain = crate::domain::sso::email_domain(existing.email.as_str()).unwrap_or_default();
                if existing.is_staff || crate::db::sso::org_of_verified(conn, &domain)? != Some(org_id) {
                    let detail = "An account with this address exists already and its domain is not one this organisation proved: invite the person instead.";
                    return Err(Problem { status: 409, scim_type: Some("uniqueness"), detail: detail.into() }.into());
                }
                existing
            }
            None => {
                let name = user
                    .display_name
                    .clone()
                    .unwrap_or_else(|| address.split('@').next().unwrap_or_default().to_owned());
                let name = PersonName::parse(&name)
                    .or_else(|_| PersonName::parse(address))
                    .map_err(|e| Problem::invalid(e.0))?;
                users::create(conn, &email, &name, crate::app::sso::login::UNUSABLE_PASSWORD, false).map_err(|e| {
                    match e {
                        users::CreateUserError::Db(e) => ScimError::from(e),
                        users::CreateUserError::EmailTaken => Problem {
                            status: 409,
                            scim_type: Some("uniqueness"),
                            detail: "This User exists already.".into(),
                        }
                        .into(),
                    }
                })?
            }
        };
        store(conn, (org_id, &account), &user, &meta)?;
        find(conn, org_id, account.id)?.ok_or_else(not_found)
    })
    .await
}

pub async fn replace(
    ctx: &AppState,
    org: &Org,
    id: &str,
    body: Value,
    meta: &RequestMeta,
) -> Result<Resource, ScimError> {
    let new = ScimUser::from_json(&body)?;
    change(ctx, org, id, meta, move |_| Ok(new)).await
}

pub async fn patch(
    ctx: &AppState,
    org: &Org,
    id: &str,
    body: Value,
    meta: &RequestMeta,
) -> Result<Resource, ScimError> {
    change(ctx, org, id, meta, move |old| old.patch(&body)).await
}

/// Deletes the User: deprovisioned if still a member, and forgotten by SCIM.
pub async fn delete(ctx: &AppState, org: &Org, id: &str, meta: &RequestMeta) -> Result<(), ScimError> {
    let user_id = parse_id(id)?;
    let (org_id, meta) = (org.id, meta.clone());
    ctx.transaction(move |conn| {
        find(conn, org_id, user_id)?.ok_or_else(not_found)?;
        let account = users::find(conn, user_id)?.ok_or_else(not_found)?;
        if is_member(conn, org_id, &account)? {
            deprovision::deprovision(conn, org_id, &account, &meta)?;
        }
        scim::delete(conn, org_id, user_id)?;
        Ok(())
    })
    .await
}

async fn change(
    ctx: &AppState,
    org: &Org,
    id: &str,
    meta: &RequestMeta,
    make: impl FnOnce(&ScimUser) -> Result<ScimUser, Problem> + Send + 'static,
) -> Result<Resource, ScimError> {
    let user_id = parse_id(id)?;
    let (org_id, meta) = (org.id, meta.clone());
    ctx.transaction(move |conn| {
        let old = find(conn, org_id, user_id)?.ok_or_else(not_found)?;
        let new = make(&old.user)?;
        let account = users::find(conn, user_id)?.ok_or_else(not_found)?;
        store(conn, (org_id, &account), &new, &meta)?;
        find(conn, org_id, user_id)?.ok_or_else(not_found)
    })
    .await
}

fn is_member(conn: &mut DbConn, org_id: OrgId, account: &User) -> Result<bool, ScimError> {
    Ok(memberships::list(conn, org_id)?.iter().any(|m| m.user_id == account.id))
}

/// Saves what SCIM says, and makes the membership follow `active`.
fn store(
    conn: &mut DbConn,
    (org_id, account): (OrgId, &User),
    user: &ScimUser,
    meta: &RequestMeta,
) -> Result<(), ScimError> {
    let member = is_member(conn, org_id, account)?;
    if member && !user.is_active() {
        deprovision::deprovision(conn, org_id, account, meta)?;
    } else if !member && user.is_active() {
        let role = crate::db::sso::connection(conn, org_id)?
            .and_then(|c| crate::domain::sso::parse_sso_role(&c.default_role).ok())
            .unwrap_or(Role::Member);
        memberships::add(conn, org_id, account.id, role).map_err(|e| match e {
            memberships::MembershipError::Db(e) => ScimError::from(e),
            other => Problem::invalid(other.to_string()).into(),
        })?;
        audit::record(conn, &actor(), meta, Entry::member_provisioned_by(org_id, account, role, "scim"))?;
    }
    let emails = serde_json::to_string(&user.emails).unwrap_or_else(|_| "[]".into());
    let stored = Stored {
        user_name: &user.user_name,
        display_name: user.display_name.as_deref(),
        emails: &emails,
        external_id: user.external_id.as_deref(),
        active: user.active,
    };
    scim::save(conn, org_id, account.id, &stored)?;
    Ok(())
}
