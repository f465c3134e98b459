//! "Forgot your password?": `/password-reset` asks for an address and always
//! answers the same page; the mailed `/password-reset/{token}` link sets a
//! new password once, within 30 minutes, and ends every session.

use super::{Notice, render, render_status, see_other_with_notice};
use crate::app::accounts::password as passwords;
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::domain::link_token::{LinkKind, LinkToken};
use crate::domain::{Email, Password};
use crate::web::auth::{CsrfForm, client_ip, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password_reset_request.html")]
struct RequestPage {
    csrf: String,
    email: String,
    error: Option<String>,
    sent: bool,
}

#[derive(Template)]
#[template(path = "password_reset_form.html")]
struct NewPasswordPage {
    csrf: String,
    action: String,
    email: String,
    error: Option<String>,
}

/// The answer to an unknown, used or expired link (400).
#[derive(Template)]
#[template(path = "link_invalid.html")]
pub struct LinkInvalidPage {
    pub title: &'static str,
    pub message: &'static str,
    pub next_href: &'static str,
    pub next_label: &'static str,
}

fn link_invalid() -> Result<HttpResponse, AppError> {
    render_status(
        StatusCode::BAD_REQUEST,
        &LinkInvalidPage {
            title: "This reset link no longer works",
            message: "It was already used, it has expired (links work for 30 minutes), or your password was changed since. Ask for a new one.",
            next_href: crate::domain::urls::PASSWORD_RESET,
            next_label: "Send me a new link",
        },
    )
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    new_password: String,
}

/// `?email=`: the address typed on the login page, which its link carries here.
#[derive(Deserialize)]
pub struct EmailQuery {
    #[serde(default)]
    email: String,
}

pub async fn form(session: Session, query: web::Query<EmailQuery>) -> Result<HttpResponse, AppError> {
    let email: String = query.email.trim().chars().take(254).collect();
    render(&RequestPage { csrf: session::csrf_token(&session), email, error: None, sent: false })
}

pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> Result<HttpResponse, AppError> {
    let mut page = RequestPage {
        csrf: session::csrf_token(&session),
        email: form.email.trim().to_owned(),
        error: None,
        sent: false,
    };
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            page.error = Some(e.0);
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let ip = client_ip(&req, state.config.trusted_proxy_header.as_deref());
    // Whatever happened (mail, throttle, no account), the answer is the same page.
    passwords::ask_reset(&state, email, ip).await?;
    page.sent = true;
    render(&page)
}

/// The token of a link path, if it has the shape of a reset token.
fn token(path: &str) -> Option<LinkToken> {
    LinkToken::parse(LinkKind::PasswordReset, path)
}

pub async fn new_password_form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(token) = token(&path) else { return link_invalid() };
    let action = crate::domain::urls::password_reset_link(token.expose());
    let Some(user) = passwords::link_user(&state, &token).await? else {
        return link_invalid();
    };
    render(&NewPasswordPage { csrf: session::csrf_token(&session), action, email: user.email, error: None })
}

pub async fn set_new_password(
    state: web::Data<AppState>,
    session: Session,
    meta: RequestMeta,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let Some(token) = token(&path) else { return link_invalid() };
    let action = crate::domain::urls::password_reset_link(token.expose());
    let new = match Password::parse(&form.new_password) {
        Ok(new) => new,
        Err(e) => {
            let Some(user) = passwords::link_user(&state, &token).await? else {
                return link_invalid();
            };
            let page =
                NewPasswordPage { csrf: session::csrf_token(&session), action, email: user.email, error: Some(e.0) };
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if passwords::reset(&state, token, &new, &meta).await?.is_none() {
        return link_invalid();
    }
    // Any login this browser had is over (every session of the user ended).
    session::forget_login(&session);
    Ok(see_other_with_notice(&session, crate::domain::urls::LOGIN, Notice::PasswordReset))
}
