//! `/login/two-factor`: the second step of a login for a user with a second
//! factor — a code from the authenticator app or a recovery code (passkeys
//! too, see passkeys.rs). The pending login lives 5 minutes in the session;
//! five wrong codes end it, and the login throttle counts each of them —
//! both kept in the database, so no copy of the cookie starts afresh.

use super::{Notice, render, render_status, see_other, see_other_with_notice};
use crate::app::accounts::login::{self, SecondStep};
use crate::app::accounts::two_factor;
use crate::app::audit::RequestMeta;
use crate::app::caller::User;
use crate::app::state::AppState;
use crate::web::auth::{CsrfForm, client_ip, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login_two_factor.html")]
struct SecondStepPage {
    csrf: String,
    email: String,
    has_passkeys: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The pending login's user, or `None` when there is none (or it went stale).
async fn pending_user(
    state: &AppState,
    session: &Session,
) -> Result<Option<(session::PendingLogin, User, bool)>, AppError> {
    let Some(pending) = session::pending_login(session) else { return Ok(None) };
    let found = login::pending_user(state, pending.user_id).await?;
    Ok(found.filter(|(user, _)| user.session_epoch == pending.epoch).map(|(user, passkeys)| (pending, user, passkeys)))
}

pub async fn form(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    let Some((_, user, has_passkeys)) = pending_user(&state, &session).await? else {
        return Ok(see_other(crate::domain::urls::LOGIN));
    };
    render(&SecondStepPage { csrf: session::csrf_token(&session), email: user.email, has_passkeys, error: None })
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some((pending, user, has_passkeys)) = pending_user(&state, &session).await? else {
        return Ok(see_other(crate::domain::urls::LOGIN));
    };
    let ip = client_ip(&req, state.config.trusted_proxy_header.as_deref());
    let mut page =
        SecondStepPage { csrf: session::csrf_token(&session), email: user.email.clone(), has_passkeys, error: None };
    let started = session::unix_to_time(pending.started_at);
    match login::second_step(&state, (&user, ip), &form.code, started, &meta).await? {
        SecondStep::Passed(method) => Ok(see_other(&finish(&state, &session, user, method, pending.next, meta).await?)),
        SecondStep::Throttled => {
            page.error = Some("Too many failed attempts. Wait a few minutes, then try again.".into());
            render_status(StatusCode::TOO_MANY_REQUESTS, &page)
        }
        SecondStep::Wrong { failures } if failures >= session::MAX_SECOND_STEP_FAILURES => {
            session::end_second_step(&session);
            Ok(see_other_with_notice(&session, crate::domain::urls::LOGIN, Notice::SecondStepEnded))
        }
        SecondStep::Wrong { .. } => {
            page.error = Some("That code is not right. Use the newest code from your app, or a recovery code.".into());
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// Logs the user in after a passed second step; where the login was headed.
pub async fn finish(
    state: &AppState,
    session: &Session,
    user: User,
    method: two_factor::Method,
    next: String,
    meta: RequestMeta,
) -> Result<String, AppError> {
    let sid = session::SessionId::generate();
    login::finish_second_step(state, &user, (sid.hash(), method), &meta).await?;
    session::start(session, sid, user.id, user.session_epoch).map_err(AppError::internal)?;
    Ok(super::safe_next(Some(&next)).unwrap_or_else(|| "/".to_owned()))
}
