//! `/orgs/{slug}/settings/security`: require two-factor authentication of
//! every member (an owner without a second factor cannot turn it on: they
//! would lock themselves out), and the key policy. Owners change them;
//! admins see them read-only.

use super::templates::{Chrome, Field, NavItem};
use super::{Notice, render, render_status, see_other_with_notice};
use crate::app::audit::RequestMeta;
use crate::app::members::{self, MemberError};
use crate::app::state::AppState;
use crate::domain::Role;
use crate::domain::key_policy::KeyPolicy;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "org_security.html")]
struct SecurityPage {
    chrome: Chrome,
    can_edit: bool,
    required: bool,
    owner_has_factor: bool,
    policy: KeyPolicy,
    lifetime: Field,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    max_key_lifetime_days: String,
    #[serde(default)]
    require_key_expiry: Option<String>,
    #[serde(default)]
    forbid_full_access: Option<String>,
    #[serde(default)]
    require_ip_allowlist: Option<String>,
}

#[derive(Deserialize)]
pub struct RequirementForm {
    #[serde(default)]
    require_two_factor: Option<String>,
}

fn page(member: &OrgMember) -> SecurityPage {
    let policy = member.org.key_policy;
    SecurityPage {
        chrome: Chrome::for_member(member, NavItem::Security),
        can_edit: member.role.can_manage_members(),
        required: member.org.require_two_factor,
        owner_has_factor: member.current.has_second_factor,
        policy,
        lifetime: Field::new(policy.max_lifetime_days.map(|d| d.to_string()).unwrap_or_default()),
        error: None,
        notice: None,
    }
}

pub async fn show(member: OrgMember, session: Session) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_settings)?;
    let mut page = page(&member);
    page.notice = super::notice::take(&session).map(Notice::text);
    render(&page)
}

pub async fn set_requirement(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<RequirementForm>,
) -> Result<HttpResponse, AppError> {
    let required = form.require_two_factor.as_deref() == Some("on");
    if let Err(e) = members::set_two_factor_requirement(&state, &member.caller(meta), required).await {
        let MemberError::NoSecondFactor = e else { return Err(e.into()) };
        let mut page = page(&member);
        page.error = Some("Set up a second factor for your own account first, or you would be locked out too.");
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    Ok(see_other_with_notice(&session, &crate::domain::urls::security(&member.org.slug), Notice::RequirementSaved))
}

pub async fn set_key_policy(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    members::authorize(&caller)?;
    let on = |field: &Option<String>| field.as_deref() == Some("on");
    let mut page = page(&member);
    page.lifetime = Field::new(form.max_key_lifetime_days);
    let Some(max_lifetime_days) = page.lifetime.parse(KeyPolicy::parse_lifetime) else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let policy = KeyPolicy {
        max_lifetime_days,
        require_expiry: on(&form.require_key_expiry),
        forbid_full_access: on(&form.forbid_full_access),
        require_ip_allowlist: on(&form.require_ip_allowlist),
    };
    members::set_key_policy(&state, &caller, policy).await?;
    Ok(see_other_with_notice(&session, &crate::domain::urls::security(&member.org.slug), Notice::RequirementSaved))
}
