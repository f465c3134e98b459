//! `/sso/start` (GET by link, POST from the login page) and `GET /sso/callback`: a login through an
//! organisation's identity provider. The login under way (`state`, `nonce`,
//! PKCE verifier) stays in this browser's encrypted session cookie, so only
//! the browser that started a login can finish it, and only once.

use super::login::{LoginPage, login_page};
use super::{render, render_status, see_other};
use crate::app::audit::RequestMeta;
use crate::app::sso::SsoError;
use crate::app::sso::login::{self, Begun, Start};
use crate::app::state::AppState;
use crate::web::auth::{CsrfForm, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// A page that sends the browser on to the provider (see [`Onwards::Page`]).
#[derive(Template)]
#[template(path = "sso_redirect.html")]
struct Onward {
    url: String,
    host: String,
}

/// The session key of a login under way.
const BEGUN_KEY: &str = "sso_login";

/// What starts a login: a POST with the CSRF token, so no other site can
/// start one in this browser (and sign it into an account of theirs).
#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The login page with a message about single sign-on.
fn refused(session: &Session, status: StatusCode, message: String, email: &str) -> Result<HttpResponse, AppError> {
    let mut page: LoginPage = login_page(session, email);
    page.sso_error = Some(message);
    render_status(status, &page)
}

/// How the browser goes on to the provider.
#[derive(Clone, Copy, PartialEq)]
enum Onwards {
    /// A 303 (a link or a typed address).
    Redirect,
    /// A page that goes on by itself: after a form's submission a redirect
    /// could only lead where the page's `form-action` allows, and the
    /// provider is none of ours; a new navigation from this page is free.
    Page,
}

/// `GET /sso/start?org=…` (or `?email=`): straight on to the provider. A
/// navigation another site started (`Sec-Fetch-Site: cross-site`) gets the
/// login page's single sign-on button instead, so no site can start a
/// login in this browser on its own (and sign it into an account of theirs).
pub async fn start_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<StartForm>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let cross_site = req.headers().get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site");
    if cross_site {
        let mut page = login_page(&session, query.email.as_deref().unwrap_or_default());
        page.sso_org = query.org.filter(|o| !o.trim().is_empty());
        return render_status(StatusCode::OK, &page);
    }
    start_with(&state, &session, query, Onwards::Redirect).await
}

/// `POST /sso/start` (the login page's box, with its CSRF token).
pub async fn start(
    state: web::Data<AppState>,
    session: Session,
    CsrfForm(form): CsrfForm<StartForm>,
) -> Result<HttpResponse, AppError> {
    start_with(&state, &session, form, Onwards::Page).await
}

async fn start_with(
    state: &AppState,
    session: &Session,
    query: StartForm,
    onwards: Onwards,
) -> Result<HttpResponse, AppError> {
    let email = query.email.clone().unwrap_or_default();
    let start = match (query.org, query.email) {
        (Some(org), _) if !org.trim().is_empty() => Start::Org(org),
        (_, Some(email)) if email.contains('@') => Start::Email(email),
        // The login box takes an organisation's slug too.
        (_, Some(slug)) if !slug.trim().is_empty() => Start::Org(slug),
        _ => {
            let why = "Enter your work e-mail address, or your organisation's name in Latchkey (its slug).".to_owned();
            return refused(session, StatusCode::UNPROCESSABLE_ENTITY, why, &email);
        }
    };
    match login::begin(state, start).await {
        Ok(begun) => {
            let url = begun.pending.url.clone();
            session.insert(BEGUN_KEY, &begun).map_err(AppError::internal)?;
            if onwards == Onwards::Redirect {
                return Ok(see_other(&url));
            }
            let host = url::Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
            render(&Onward { url, host })
        }
        Err(SsoError::NoRoute | SsoError::NotConfigured) => {
            let why = "No organisation signs in that address with single sign-on. Log in with your password, or ask an owner.";
            refused(session, StatusCode::NOT_FOUND, why.to_owned(), &email)
        }
        Err(SsoError::Provider(e)) => refused(session, StatusCode::BAD_GATEWAY, e.to_string(), &email),
        Err(e) => Err(e.into()),
    }
}

pub async fn callback(
    state: web::Data<AppState>,
    session: Session,
    meta: RequestMeta,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    // Taken out whatever happens next: a login under way is finished at most once.
    let begun: Option<Begun> = session.remove_as(BEGUN_KEY).and_then(Result::ok);
    let query = query.into_inner();
    let Some(begun) = begun else {
        let why = "This sign-in was not started here, or it was already used. Start again.".to_owned();
        return refused(&session, StatusCode::BAD_REQUEST, why, "");
    };
    let state_matches =
        query.state.as_deref().is_some_and(|s| bool::from(s.as_bytes().ct_eq(begun.pending.state.as_bytes())));
    if let Some(error) = query.error {
        let why = format!("The identity provider refused: {}", query.error_description.unwrap_or(error));
        return refused(&session, StatusCode::FORBIDDEN, why, "");
    }
    let (Some(code), true) = (query.code, state_matches) else {
        let why = "This answer does not belong to the sign-in started here. Start again.".to_owned();
        return refused(&session, StatusCode::BAD_REQUEST, why, "");
    };
    let sid = session::SessionId::generate();
    match login::finish(&state, &begun, &code, sid.hash(), &meta).await {
        Ok(user) => {
            session::start(&session, sid, user.id, user.session_epoch).map_err(AppError::internal)?;
            tracing::info!(user_id = user.id.get(), "single sign-on login succeeded");
            Ok(see_other("/"))
        }
        Err(SsoError::Refused(why)) => refused(&session, StatusCode::FORBIDDEN, why, ""),
        Err(SsoError::Provider(e)) => refused(&session, StatusCode::FORBIDDEN, e.to_string(), ""),
        Err(e) => Err(e.into()),
    }
}
