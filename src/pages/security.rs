//! `/orgs/{slug}/settings/security` (owners only): require two-factor
//! authentication of every member. An owner without a second factor cannot
//! turn it on (they would lock themselves out).

use super::templates::Chrome;
use super::{Notice, render, render_status, see_other_with_notice};
use crate::audit::{Actor, RequestMeta};
use crate::auth::{CsrfForm, OrgMember};
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "org_security.html")]
struct SecurityPage {
    chrome: Chrome,
    required: bool,
    owner_has_factor: bool,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct RequirementForm {
    #[serde(default)]
    require_two_factor: Option<String>,
}

fn page(member: &OrgMember) -> SecurityPage {
    SecurityPage {
        chrome: Chrome::for_member(member, "security"),
        required: member.org.require_two_factor,
        owner_has_factor: member.current.has_second_factor,
        error: None,
        notice: None,
    }
}

pub async fn show(member: OrgMember, session: Session) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_members)?;
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
    member.require(Role::can_manage_members)?;
    let required = form.require_two_factor.as_deref() == Some("on");
    if required && !member.current.has_second_factor {
        let mut page = page(&member);
        page.error = Some("Set up a second factor for your own account first, or you would be locked out too.");
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let (org, actor) = (member.org.clone(), Actor::user(&member.current.user));
    state.db.run(move |conn| crate::members::set_two_factor_requirement(conn, &org, required, &actor, &meta)).await?;
    Ok(see_other_with_notice(&session, &crate::urls::security(&member.org.slug), Notice::RequirementSaved))
}
