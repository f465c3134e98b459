//! Passkeys in the console: register one from `/account/two-factor`, remove
//! one, and use one at the second step of a login. The browser side is
//! `static/app.js` (`data-passkey-*`); it posts forms (with the CSRF token)
//! and gets JSON back: the ceremony's options, then where to go next.

use super::login_two_factor::finish;
use super::{Notice, see_other_with_notice};
use crate::accounts::passkeys::{self, Added, PasskeyError, Purpose};
use crate::accounts::two_factor::Method;
use crate::audit::RequestMeta;
use crate::auth::csrf::NoFields;
use crate::auth::{CsrfForm, CurrentUser, session};
use crate::db::users;
use crate::error::AppError;
use crate::state::AppState;
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

fn failure(error: PasskeyError) -> Result<HttpResponse, AppError> {
    match error {
        PasskeyError::Db(e) => Err(e.into()),
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

pub async fn registration_options(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if state.passkeys.is_none() {
        return failure(PasskeyError::Unavailable);
    }
    let handle = session::new_ceremony(&session).map_err(AppError::internal)?;
    let (state2, user) = (state.clone(), current.user.clone());
    let options = state
        .db
        .run(move |conn| {
            let rp = state2.passkeys.as_ref().ok_or(PasskeyError::Unavailable);
            Ok::<_, diesel::result::Error>(rp.and_then(|rp| passkeys::begin_registration(conn, rp, &user, &handle)))
        })
        .await?;
    match options {
        Ok(options) => Ok(json_answer(StatusCode::OK, options)),
        Err(e) => failure(e),
    }
}

pub async fn register(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<HttpResponse, AppError> {
    let Some(handle) = session::ceremony(&session) else { return failure(PasskeyError::NoCeremony) };
    let (state2, user) = (state.clone(), current.user.clone());
    let done = state
        .db
        .run(move |conn| {
            let rp = state2.passkeys.as_ref().ok_or(PasskeyError::Unavailable);
            Ok::<_, diesel::result::Error>(rp.and_then(|rp| {
                passkeys::finish_registration(
                    conn,
                    rp,
                    &state2.config,
                    &user,
                    &handle,
                    &Added { name: &form.name, answer: &form.credential },
                    &meta,
                )
            }))
        })
        .await?;
    if let Err(e) = done {
        return failure(e);
    }
    state.wake_mail_sender();
    super::notice::set(&session, Notice::PasskeyAdded);
    Ok(json_answer(StatusCode::OK, json!({ "redirect": crate::urls::TWO_FACTOR })))
}

pub async fn remove(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (config, user, id) = (state.config.clone(), current.user.clone(), path.into_inner());
    if !state.db.run(move |conn| passkeys::remove(conn, &config, &user, &id, &meta)).await? {
        return Err(AppError::NotFound);
    }
    state.wake_mail_sender();
    Ok(see_other_with_notice(&session, crate::urls::TWO_FACTOR, Notice::PasskeyRemoved))
}

pub async fn login_options(
    state: web::Data<AppState>,
    session: Session,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let Some(pending) = session::pending_login(&session) else {
        return Ok(json_answer(StatusCode::UNAUTHORIZED, json!({ "redirect": crate::urls::LOGIN })));
    };
    let handle = session::new_ceremony(&session).map_err(AppError::internal)?;
    let state2 = state.clone();
    let options = state
        .db
        .run(move |conn| {
            let rp = state2.passkeys.as_ref().ok_or(PasskeyError::Unavailable);
            Ok::<_, diesel::result::Error>(
                rp.and_then(|rp| passkeys::begin_assertion(conn, rp, pending.user_id, &handle, Purpose::Login)),
            )
        })
        .await?;
    match options {
        Ok(options) => Ok(json_answer(StatusCode::OK, options)),
        Err(e) => failure(e),
    }
}

pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let (Some(pending), Some(handle)) = (session::pending_login(&session), session::ceremony(&session)) else {
        return Ok(json_answer(StatusCode::UNAUTHORIZED, json!({ "redirect": crate::urls::LOGIN })));
    };
    let (state2, user_id) = (state.clone(), pending.user_id);
    let checked = state
        .db
        .run(move |conn| {
            let rp = state2.passkeys.as_ref().ok_or(PasskeyError::Unavailable);
            let checked = rp.and_then(|rp| {
                passkeys::finish_assertion(conn, rp, user_id, &handle, Purpose::Login, &form.credential)
            });
            Ok::<_, diesel::result::Error>(checked.map(|()| users::find(conn, user_id)))
        })
        .await?;
    let user = match checked {
        Ok(found) => found?.filter(|u| u.session_epoch == pending.epoch),
        Err(e) => return failure(e),
    };
    let Some(user) = user else {
        return Ok(json_answer(StatusCode::UNAUTHORIZED, json!({ "redirect": crate::urls::LOGIN })));
    };
    let next = pending.next.clone();
    let done = finish(&state, &session, user, Method::Passkey, next, meta).await?;
    let location = done.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("/").to_owned();
    Ok(json_answer(StatusCode::OK, json!({ "redirect": location })))
}

/// Sudo mode with a passkey: the options for the page's "Confirm with a passkey".
pub async fn sudo_options(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let handle = session::new_ceremony(&session).map_err(AppError::internal)?;
    let (state2, user_id) = (state.clone(), current.user.id);
    let options = state
        .db
        .run(move |conn| {
            let rp = state2.passkeys.as_ref().ok_or(PasskeyError::Unavailable);
            Ok::<_, diesel::result::Error>(
                rp.and_then(|rp| passkeys::begin_assertion(conn, rp, user_id, &handle, Purpose::Sudo)),
            )
        })
        .await?;
    match options {
        Ok(options) => Ok(json_answer(StatusCode::OK, options)),
        Err(e) => failure(e),
    }
}

/// A passkey answer for sudo mode: when it checks out, sensitive actions are
/// unlocked for 10 minutes, as a password entry would (the page then sends its form).
pub async fn sudo(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let Some(handle) = session::ceremony(&session) else { return failure(PasskeyError::NoCeremony) };
    let (state2, user_id) = (state.clone(), current.user.id);
    let checked =
        state
            .db
            .run(move |conn| {
                let rp = state2.passkeys.as_ref().ok_or(PasskeyError::Unavailable);
                Ok::<_, diesel::result::Error>(rp.and_then(|rp| {
                    passkeys::finish_assertion(conn, rp, user_id, &handle, Purpose::Sudo, &form.credential)
                }))
            })
            .await?;
    if let Err(e) = checked {
        return failure(e);
    }
    session::confirm_password(&session);
    Ok(json_answer(StatusCode::OK, json!({ "confirmed": true })))
}
