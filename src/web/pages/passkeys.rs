//! Passkeys in the console: register one from `/account/two-factor`, remove
//! one, and use one at the second step of a login. The browser side is
//! `static/app.js` (`data-passkey-*`); it posts forms (with the CSRF token)
//! and gets JSON back: the ceremony's options, then where to go next.

use super::login_two_factor::finish;
use super::sudo::{Needs, SudoFields, confirm};
use super::{Notice, see_other_with_notice};
use crate::app::accounts::ceremony::{self, CeremonyError};
use crate::app::accounts::passkeys::{PasskeyError, Purpose};
use crate::app::accounts::sudo::Prompt;
use crate::app::accounts::two_factor::Method;
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::domain::UserId;
use crate::web::auth::csrf::NoFields;
use crate::web::auth::{CsrfForm, CurrentUser, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    /// The browser's `PublicKeyCredential`, as JSON (binary fields base64url).
    #[serde(default)]
    credential: String,
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    credential: String,
}

/// An answer for the page's script: JSON, never cached.
fn json_answer(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status).insert_header(("Cache-Control", "no-store")).json(body)
}

fn failure(error: CeremonyError) -> Result<HttpResponse, AppError> {
    let error = match error {
        CeremonyError::Db(e) => return Err(e.into()),
        CeremonyError::Refused(error) => error,
    };
    match error {
        e @ PasskeyError::Db(_) => Err(AppError::internal(e)),
        PasskeyError::Refused(cause) => {
            tracing::info!(%cause, "passkey answer refused");
            Ok(json_answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "The passkey could not be checked. Try again." }),
            ))
        }
        other => Ok(json_answer(StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": other.to_string() }))),
    }
}

/// The ceremony's options for the browser, or why there are none.
fn options_answer(options: Result<serde_json::Value, CeremonyError>) -> Result<HttpResponse, AppError> {
    match options {
        Ok(options) => Ok(json_answer(StatusCode::OK, options)),
        Err(e) => failure(e),
    }
}

/// Starts adding a passkey: once the sudo window has passed, the form's
/// `password` (and `code`) must confirm who asks first.
pub async fn registration_options(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<SudoFields>,
) -> Result<HttpResponse, AppError> {
    let needs = Needs::PasswordAndCode;
    let sudo = confirm(&state, &current, &session, &meta, (Prompt::SecondFactor, needs), form.answer()).await?;
    if !sudo.confirmed() {
        return Ok(json_answer(sudo.status(), json!({ "error": sudo.message(&current, needs) })));
    }
    let handle = session::new_ceremony(&session).map_err(AppError::internal)?;
    options_answer(ceremony::registration_options(&state, &current.user, handle).await)
}

pub async fn register(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<HttpResponse, AppError> {
    // The options request confirmed who asks; that confirmation must still hold.
    if !session::sudo_fresh(&current.login) {
        return Ok(json_answer(
            StatusCode::FORBIDDEN,
            json!({ "error": "Confirm it is you again, then add the passkey." }),
        ));
    }
    let Some(handle) = session::ceremony(&session) else { return failure(PasskeyError::NoCeremony.into()) };
    match ceremony::register(&state, &current.user, handle, (form.name, form.credential), &meta).await {
        Err(e) => failure(e),
        // The first second factor: its recovery codes, shown once (the script puts the page in place).
        Ok(Some(codes)) => {
            Ok(json_answer(StatusCode::OK, json!({ "page": super::two_factor::codes_html(&current, codes)? })))
        }
        Ok(None) => {
            super::notice::set(&session, Notice::PasskeyAdded);
            Ok(json_answer(StatusCode::OK, json!({ "redirect": crate::domain::urls::TWO_FACTOR })))
        }
    }
}

pub async fn remove(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<SudoFields>,
) -> Result<HttpResponse, AppError> {
    let refusal = super::two_factor::refused(&state, &current, &session, &meta, Needs::PasswordAndCode, form.answer());
    if let Some(refusal) = refusal.await? {
        return Ok(refusal);
    }
    if !ceremony::remove(&state, &current.user, &path, &meta).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other_with_notice(&session, crate::domain::urls::TWO_FACTOR, Notice::PasskeyRemoved))
}

/// Back to the password step (the pending login is gone or ran out).
fn back_to_login() -> Result<HttpResponse, AppError> {
    Ok(json_answer(StatusCode::UNAUTHORIZED, json!({ "redirect": crate::domain::urls::LOGIN })))
}

pub async fn login_options(
    state: web::Data<AppState>,
    session: Session,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let Some(pending) = session::pending_login(&session) else { return back_to_login() };
    assertion_options(&state, &session, pending.user_id, Purpose::Login).await
}

/// Starts a passkey assertion for `user_id` (a new ceremony handle in the session); the browser's options.
async fn assertion_options(
    state: &web::Data<AppState>,
    session: &Session,
    user_id: UserId,
    purpose: Purpose,
) -> Result<HttpResponse, AppError> {
    let handle = session::new_ceremony(session).map_err(AppError::internal)?;
    options_answer(ceremony::assertion_options(state, user_id, handle, purpose).await)
}

pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let (Some(pending), Some(handle)) = (session::pending_login(&session), session::ceremony(&session)) else {
        return back_to_login();
    };
    let checked = ceremony::assert(&state, pending.user_id, handle, (Purpose::Login, form.credential)).await;
    let user = match checked {
        Ok(found) => found.filter(|u| u.session_epoch == pending.epoch),
        Err(e) => return failure(e),
    };
    let Some(user) = user else { return back_to_login() };
    let location = finish(&state, &session, user, Method::Passkey, pending.next.clone(), meta).await?;
    Ok(json_answer(StatusCode::OK, json!({ "redirect": location })))
}

/// Sudo mode with a passkey: the options for the page's "Confirm with a passkey".
pub async fn sudo_options(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    assertion_options(&state, &session, current.user.id, Purpose::Sudo).await
}

/// A passkey answer for sudo mode: when it checks out, sensitive actions are
/// unlocked for 10 minutes, as a password entry would (the page then sends its form).
pub async fn sudo(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let Some(handle) = session::ceremony(&session) else { return failure(PasskeyError::NoCeremony.into()) };
    let checked = ceremony::assert(&state, current.user.id, handle, (Purpose::Sudo, form.credential)).await;
    if let Err(e) = checked {
        return failure(e);
    }
    session::confirm_password(&session);
    Ok(json_answer(StatusCode::OK, json!({ "confirmed": true })))
}
