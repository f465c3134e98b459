//! Invitations: the owners' Resend and Revoke buttons on the members page,
//! and the page the mailed `/invitations/{token}` link opens — a new
//! account (name and password) or, when the address has one, that account
//! logs in and accepts.

use super::members::list_url;
use super::password_reset::LinkInvalidPage;
use super::{Notice, render, render_status, see_other, see_other_with_notice};
use crate::app::audit::RequestMeta;
use crate::app::members;
use crate::app::members::accept::{self, AcceptFailed};
use crate::app::members::invitations::{AcceptError, Valid};
use crate::app::state::AppState;
use crate::domain::link_token::{LinkKind, LinkToken};
use crate::domain::{Password, PersonName};
use crate::web::auth::csrf::NoFields;
use crate::web::auth::{CsrfForm, CurrentUser, OrgMember, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    csrf: String,
    action: String,
    org_name: String,
    role: &'static str,
    inviter: String,
    email: String,
    expires: String,
    has_account: bool,
    /// The address of whoever is logged in in this browser, if anyone.
    signed_in_as: Option<String>,
    name: String,
    name_error: Option<String>,
    password_error: Option<String>,
    error: Option<String>,
}

impl InvitationPage {
    fn new(session: &Session, token: &LinkToken, valid: &Valid, current: Option<&CurrentUser>) -> Self {
        Self {
            csrf: session::csrf_token(session),
            action: crate::domain::urls::invitation_link(token.expose()),
            org_name: valid.org.name.clone(),
            role: valid.invitation.role().label(),
            inviter: valid.invitation.invited_by_name.clone(),
            email: valid.invitation.email.clone(),
            expires: crate::domain::timefmt::exact(&valid.invitation.expires_at),
            has_account: valid.has_account,
            signed_in_as: current.map(|c| c.user.email.clone()),
            name: String::new(),
            name_error: None,
            password_error: None,
            error: None,
        }
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

fn link_invalid() -> Result<HttpResponse, AppError> {
    render_status(
        StatusCode::BAD_REQUEST,
        &LinkInvalidPage {
            title: "This invitation no longer works",
            message: "It was already accepted or revoked, it has expired (invitations work for 7 days), or a newer one replaced it. Ask the person who invited you to send a new one.",
            next_href: crate::domain::urls::HOME,
            next_label: "Go to Latchkey",
        },
    )
}

/// The token and what it opens, or `None` when the link does not work.
async fn open(state: &AppState, path: &str) -> Result<Option<(LinkToken, Valid)>, AppError> {
    let Some(token) = LinkToken::parse(LinkKind::Invitation, path) else { return Ok(None) };
    let valid = accept::open(state, &token).await?;
    Ok(valid.map(|v| (token, v)))
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    current: Option<CurrentUser>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some((token, valid)) = open(&state, &path).await? else { return link_invalid() };
    render(&InvitationPage::new(&session, &token, &valid, current.as_ref()))
}

pub async fn accept(
    state: web::Data<AppState>,
    session: Session,
    current: Option<CurrentUser>,
    meta: RequestMeta,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let Some((token, valid)) = open(&state, &path).await? else { return link_invalid() };
    let mut page = InvitationPage::new(&session, &token, &valid, current.as_ref());
    if valid.has_account {
        let Some(current) = current else {
            let next = crate::domain::urls::invitation_link(token.expose());
            return Ok(see_other(&format!("{}?next={next}", crate::domain::urls::LOGIN)));
        };
        let accepted = accept::as_user(&state, token, &current.user, &meta).await;
        return finish(accepted.map(|org| org.slug), (&mut page, &session));
    }
    page.name = form.name.trim().to_owned();
    let name = PersonName::parse(&form.name).map_err(|e| page.name_error = Some(e.0)).ok();
    let password = Password::parse(&form.password).map_err(|e| page.password_error = Some(e.0)).ok();
    let (Some(name), Some(password)) = (name, password) else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let sid = session::SessionId::generate();
    let accepted = accept::as_new(&state, token, (name, password), sid.hash(), &meta).await;
    if let Ok((user, _)) = &accepted {
        session::start(&session, sid, user.id, user.session_epoch).map_err(AppError::internal)?;
    }
    finish(accepted.map(|(_, org)| org.slug), (&mut page, &session))
}

/// Lands in the organisation, or explains why not.
fn finish(
    accepted: Result<String, AcceptFailed>,
    (page, session): (&mut InvitationPage, &Session),
) -> Result<HttpResponse, AppError> {
    match accepted {
        Ok(slug) => Ok(see_other_with_notice(session, &crate::domain::urls::org(&slug), Notice::Joined)),
        Err(AcceptFailed::Refused(AcceptError::Invalid)) => link_invalid(),
        Err(AcceptFailed::Refused(e @ AcceptError::Db(_))) => Err(AppError::internal(e)),
        Err(AcceptFailed::Db(e)) => Err(e.into()),
        Err(AcceptFailed::Hash(e)) => Err(AppError::Internal(e)),
        Err(AcceptFailed::Refused(e @ (AcceptError::HasAccount | AcceptError::WrongAccount))) => {
            page.has_account = true;
            page.error = Some(e.to_string());
            render_status(StatusCode::CONFLICT, page)
        }
    }
}

/// `…/members/invitations/{id}/{resend|revoke}` (owners only).
#[derive(Deserialize)]
pub struct InvitationPath {
    invitation_id: String,
}

pub async fn resend(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    path: web::Path<InvitationPath>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    members::resend_invitation(&state, &member.caller(meta), &path.invitation_id).await?;
    Ok(see_other_with_notice(&session, &list_url(&member), Notice::InvitationResent))
}

pub async fn revoke(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    path: web::Path<InvitationPath>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    members::revoke_invitation(&state, &member.caller(meta), &path.invitation_id).await?;
    Ok(see_other_with_notice(&session, &list_url(&member), Notice::InvitationRevoked))
}
