//! `/login/two-factor`: the second step of a login for a user with a second
//! factor — a code from the authenticator app or a recovery code (passkeys
//! too, see passkeys.rs). The pending login lives 5 minutes in the session;
//! five wrong codes end it, and the login throttle counts each of them —
//! both kept in the database, so no copy of the cookie starts afresh.

use super::{Notice, render, render_status, see_other, see_other_with_notice};
use crate::app::accounts::{self, two_factor};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::db::users;
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
) -> Result<Option<(session::PendingLogin, users::User, bool)>, AppError> {
    let Some(pending) = session::pending_login(session) else { return Ok(None) };
    let user_id = pending.user_id;
    let found = state
        .db
        .run(move |conn| {
            let Some(user) = users::find(conn, user_id)? else { return Ok(None) };
            let passkeys = !crate::db::second_factors::passkeys(conn, user_id)?.is_empty();
            Ok::<_, crate::db::QueryError>(Some((user, passkeys)))
        })
        .await?;
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
    // A place in the account's throttle first (docs/security-model.md: Rules): of
    // any burst of codes, at most the limit is ever checked.
    let email = user.email.clone();
    let gate = state
        .db
        .run(move |conn| accounts::throttle::reserve(conn, &email, &ip, accounts::throttle::Limits::Account))
        .await?;
    if let accounts::throttle::Gate::Throttled { .. } = gate {
        page.error = Some("Too many failed attempts. Wait a few minutes, then try again.".into());
        return render_status(StatusCode::TOO_MANY_REQUESTS, &page);
    }
    let (config, who, code, info) = (state.config.clone(), user.clone(), form.code, meta.clone());
    let method = state
        .db
        .run(move |conn| Ok::<_, crate::db::QueryError>(two_factor::use_code(conn, &config, &who, &code, &info)))
        .await?
        .map_err(AppError::internal)?;
    let Some(method) = method else {
        let (who, started) = (user.clone(), session::unix_to_time(pending.started_at));
        let failures = state
            .db
            .run(move |conn| {
                accounts::second_factor_failed(conn, &who, &meta)?;
                accounts::throttle::failures_since(conn, &who.email, started)
            })
            .await?;
        if failures >= session::MAX_SECOND_STEP_FAILURES {
            session::end_second_step(&session);
            return Ok(see_other_with_notice(&session, crate::domain::urls::LOGIN, Notice::SecondStepEnded));
        }
        page.error = Some("That code is not right. Use the newest code from your app, or a recovery code.".into());
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    Ok(see_other(&finish(&state, &session, user, method, pending.next, meta).await?))
}

/// Logs the user in after a passed second step; where the login was headed.
pub async fn finish(
    state: &AppState,
    session: &Session,
    user: users::User,
    method: two_factor::Method,
    next: String,
    meta: RequestMeta,
) -> Result<String, AppError> {
    let sid = session::SessionId::generate();
    let (sid_hash, who) = (sid.hash(), user.clone());
    state.db.run(move |conn| accounts::logged_in(conn, &who, &who.email, &sid_hash, Some(method), &meta)).await?;
    state.wake_mail_sender();
    session::start(session, sid, user.id, user.session_epoch).map_err(AppError::internal)?;
    Ok(super::safe_next(Some(&next)).unwrap_or_else(|| "/".to_owned()))
}
