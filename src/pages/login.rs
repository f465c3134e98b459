//! `/login` and `/logout`: generic errors, throttling per account and per IP,
//! a fresh session at login, and "log out everywhere".

use super::templates::Chrome;
use super::{render, render_status, safe_next, see_other};
use crate::app::AppState;
use crate::audit::{self, Actor, Entry, RequestMeta};
use crate::auth::csrf::NoFields;
use crate::auth::{CsrfForm, CurrentUser, client_ip, password, session};
use crate::db::users::User;
use crate::db::{DbConn, login_failures, memberships, sessions, users};
use crate::domain::Email;
use crate::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Duration;
use serde::Deserialize;

/// Failures counted over this window…
const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// …lock the account after this many…
const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// …and the client address after this many (several accounts from one IP).
const MAX_FAILURES_PER_IP: i64 = 20;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    email: String,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

enum Outcome {
    LoggedIn(User),
    Failed,
    /// Seconds until a throttle that applies lifts (for `Retry-After`).
    Throttled(i64),
}

pub async fn form(session: Session, query: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    if session::current(&session).is_some() {
        return Ok(see_other(next.as_deref().unwrap_or("/")));
    }
    render(&LoginPage {
        csrf: session::csrf_token(&session),
        email: String::new(),
        next: next.unwrap_or_default(),
        error: None,
    })
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let meta = RequestMeta::of(&req);
    let ip = client_ip(&req, state.config.trusted_proxy_header.as_deref());
    let sid = session::SessionId::generate();
    let sid_hash = sid.hash();
    let attempted = form.email.trim().to_lowercase();
    let pw = form.password;
    let outcome = state
        .db
        .run(move |conn| -> Result<Outcome, AppError> {
            let since = crate::db::now() - Duration::minutes(THROTTLE_WINDOW_MINUTES);
            let (by_email, by_ip) = login_failures::count_since(conn, &attempted, &ip, since)?;
            let throttled = by_email >= MAX_FAILURES_PER_ACCOUNT || by_ip >= MAX_FAILURES_PER_IP;
            let retry_after = if throttled {
                let by_email =
                    login_failures::lifts_after(conn, Some(&attempted), None, since, MAX_FAILURES_PER_ACCOUNT)?;
                let by_ip = login_failures::lifts_after(conn, None, Some(&ip), since, MAX_FAILURES_PER_IP)?;
                let lifts = by_email.max(by_ip).map(|oldest| oldest + Duration::minutes(THROTTLE_WINDOW_MINUTES));
                lifts.map_or(1, |at| (at - crate::db::now()).num_seconds().max(1))
            } else {
                0
            };
            let found = match Email::parse(&attempted) {
                Ok(email) => users::find_for_login(conn, &email)?.map(|(user, hash)| {
                    let ok = !throttled && password::verify(&pw, &hash);
                    (user, ok)
                }),
                Err(_) => None,
            };
            if found.is_none() && !throttled {
                password::verify_dummy(&pw);
            }
            // The outcome and its audit events are written together.
            crate::db::transaction(conn, |conn| match found {
                Some((user, true)) => {
                    login_failures::clear_for_email(conn, &attempted)?;
                    sessions::insert(conn, user.id, &sid_hash, &meta.session_origin())?;
                    let orgs = org_ids(conn, user.id)?;
                    audit::record_each(conn, &Actor::user(&user), &meta, &orgs, Entry::session_login)?;
                    Ok(Outcome::LoggedIn(user))
                }
                found => {
                    let user = found.map(|(user, _)| user);
                    let reason = if throttled { "throttled" } else { "invalid_credentials" };
                    if !throttled {
                        login_failures::record(conn, &attempted, &ip)?;
                    }
                    let orgs = match &user {
                        Some(user) => org_ids(conn, user.id)?,
                        None => Vec::new(),
                    };
                    audit::record_each(conn, &Actor::Anonymous, &meta, &orgs, |org| {
                        Entry::session_login_failed(org, &attempted, user.as_ref(), reason)
                    })?;
                    Ok(if throttled { Outcome::Throttled(retry_after) } else { Outcome::Failed })
                }
            })
        })
        .await?;

    let next = safe_next(Some(&form.next));
    let again = |status, error| {
        let page = LoginPage {
            csrf: session::csrf_token(&session),
            email: form.email.trim().to_owned(),
            next: next.clone().unwrap_or_default(),
            error: Some(error),
        };
        render_status(status, &page)
    };
    match outcome {
        Outcome::LoggedIn(user) => {
            session::start(&session, sid, user.id, user.session_epoch).map_err(AppError::internal)?;
            tracing::info!(user_id = user.id, "login succeeded");
            Ok(see_other(next.as_deref().unwrap_or("/")))
        }
        Outcome::Failed => {
            tracing::info!("login failed");
            again(StatusCode::UNAUTHORIZED, "Invalid email or password.")
        }
        Outcome::Throttled(seconds) => {
            tracing::warn!("login throttled");
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed attempts. Wait 15 minutes and try again, or ask an owner to help.",
            )?;
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seconds.to_string()) {
                res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, value);
            }
            Ok(res)
        }
    }
}

fn org_ids(conn: &mut DbConn, user_id: i64) -> diesel::QueryResult<Vec<i64>> {
    Ok(memberships::for_user(conn, user_id)?.into_iter().map(|(org, _)| org.id).collect())
}

/// Records `session.logout` in each of the user's organisations.
async fn record_logout(
    state: &AppState,
    current: &CurrentUser,
    meta: RequestMeta,
    everywhere: bool,
) -> Result<(), AppError> {
    let actor = Actor::user(&current.user);
    let orgs: Vec<i64> = current.orgs.iter().map(|(org, _)| org.id).collect();
    let (user_id, sid_hash) = (current.user.id, current.login.sid.hash());
    state
        .db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                if everywhere {
                    users::bump_session_epoch(conn, user_id)?;
                    sessions::delete_for_user(conn, user_id)?;
                } else {
                    sessions::delete(conn, &sid_hash)?;
                }
                audit::record_each(conn, &actor, &meta, &orgs, |org| Entry::session_logout(org, everywhere))
            })
        })
        .await
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    chrome: Chrome,
}

/// GET /logout asks first: logging out is a POST, so a link or image cannot do it.
pub async fn logout_confirm(current: CurrentUser) -> Result<HttpResponse, AppError> {
    render(&LogoutPage { chrome: Chrome::for_user(&current, "") })
}

pub async fn logout(
    state: web::Data<AppState>,
    session: Session,
    current: Option<CurrentUser>,
    meta: RequestMeta,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let Some(current) = current {
        record_logout(&state, &current, meta, false).await?;
    }
    session::end(&session);
    Ok(see_other("/login"))
}

/// Ends every session of this user, on every device, by moving their epoch on.
pub async fn logout_everywhere(
    state: web::Data<AppState>,
    session: Session,
    current: CurrentUser,
    meta: RequestMeta,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    record_logout(&state, &current, meta, true).await?;
    session::end(&session);
    Ok(see_other("/login"))
}
