//! `/account`, for everyone who is logged in: name, password, and the
//! person's sessions (each can be logged out). A password change ends every
//! other session and keeps this one under a new id.

use super::templates::{Chrome, Field, NavItem};
use super::{Notice, render, render_status, see_other_with_notice};
use crate::app::accounts::profile::{self, PasswordCheck};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::domain::{Password, PersonName};
use crate::web::auth::csrf::NoFields;
use crate::web::auth::{CsrfForm, CurrentUser, client_ip, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

/// One signed-in device, as the page lists it.
pub struct SessionView {
    pub id: i64,
    /// "Chrome on Linux"; the raw user agent is `user_agent`.
    pub device: String,
    pub user_agent: String,
    /// "active now", or when it was last seen ("3 hours ago").
    pub activity: String,
    pub ip: String,
    pub signed_in: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    name: Field,
    current_password: Field,
    new_password: Field,
    sessions: Vec<SessionView>,
    two_factor_on: bool,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// "active now" within five minutes of the last request, else how long ago.
fn activity(last_seen: NaiveDateTime, now: NaiveDateTime) -> String {
    if now - last_seen <= chrono::Duration::minutes(5) {
        "active now".into()
    } else {
        format!("last seen {}", crate::domain::timefmt::relative(&last_seen, &now))
    }
}

async fn page(state: &AppState, current: &CurrentUser) -> Result<AccountPage, AppError> {
    let this = current.login.sid.hash();
    let (rows, two_factor_on) = profile::overview(state, &current.user).await?;
    let now = crate::domain::timefmt::now();
    let sessions = rows
        .into_iter()
        .map(|row| SessionView {
            id: row.id,
            device: crate::domain::user_agent::describe(row.user_agent.as_deref()),
            activity: activity(row.last_seen_at, now),
            user_agent: row.user_agent.unwrap_or_default(),
            ip: row.ip.unwrap_or_else(|| "unknown".into()),
            signed_in: row.created_at,
            last_seen: row.last_seen_at,
            current: row.token_hash == this,
        })
        .collect();
    Ok(AccountPage {
        chrome: Chrome::for_user(current, NavItem::Account),
        name: Field::new(current.user.name.clone()),
        current_password: Field::default(),
        new_password: Field::default(),
        sessions,
        two_factor_on,
        notice: None,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let mut page = page(&state, &current).await?;
    page.notice = super::notice::take(&session).map(Notice::text);
    render(&page)
}

pub async fn update_profile(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let mut page = page(&state, &current).await?;
    page.name = Field::new(form.name);
    let Some(name) = page.name.parse(PersonName::parse) else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    profile::rename(&state, &current.user, name, &meta).await?;
    Ok(see_other_with_notice(&session, crate::domain::urls::ACCOUNT, Notice::ProfileSaved))
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut page = page(&state, &current).await?;
    let new = Password::parse(&form.new_password).map_err(|e| page.new_password.error = Some(e.0)).ok();
    if form.current_password.is_empty() {
        page.current_password.error = Some("Enter your current password.".into());
    }
    let (Some(new), false) = (new, form.current_password.is_empty()) else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let ip = client_ip(&req, state.config.trusted_proxy_header.as_deref());
    if let Some((status, message)) = current_password_refused(&state, &current, ip, form.current_password).await? {
        page.current_password.error = Some(message);
        return render_status(status, &page);
    }
    let sid = session::SessionId::generate();
    let epoch = profile::change_password(&state, &current.user, (new, sid.hash()), &meta).await?;
    session::start(&session, sid, current.user.id, epoch).map_err(AppError::internal)?;
    Ok(see_other_with_notice(&session, crate::domain::urls::ACCOUNT, Notice::PasswordChanged))
}

/// Checks the current password as a login would (a place in the throttle
/// first, a wrong one left counted); `None` when it is right, else the
/// status and message.
pub(super) async fn current_password_refused(
    state: &AppState,
    current: &CurrentUser,
    ip: String,
    given: String,
) -> Result<Option<(StatusCode, String)>, AppError> {
    Ok(match profile::check_password(state, &current.user, ip, given).await? {
        PasswordCheck::Right => None,
        PasswordCheck::Throttled(seconds) => {
            let message = format!("Too many wrong passwords. Try again in {} minutes.", (seconds + 59) / 60);
            Some((StatusCode::TOO_MANY_REQUESTS, message))
        }
        PasswordCheck::Wrong => Some((StatusCode::UNPROCESSABLE_ENTITY, "That is not your current password.".into())),
    })
}

pub async fn revoke_session(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    path: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if !profile::revoke_session(&state, &current.user, path.into_inner(), &meta).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other_with_notice(&session, crate::domain::urls::ACCOUNT, Notice::SessionEnded))
}
