//! `/login` and `/logout`: generic errors, throttling per account and per IP,
//! a fresh session at login, and "log out everywhere".

use super::templates::Chrome;
use super::{render, render_status, safe_next, see_other};
use crate::app::accounts::login::{self, LoginOutcome as Outcome};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::domain::OrgId;
use crate::domain::forms::LoginForm;
use crate::web::auth::csrf::NoFields;
use crate::web::auth::{CsrfForm, CurrentUser, client_ip, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    csrf: String,
    email: String,
    next: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
    /// What single sign-on said (sso_login.rs), or that an organisation requires it.
    pub(super) sso_error: Option<String>,
    /// The organisation whose single sign-on to offer first.
    pub(super) sso_org: Option<String>,
}

/// The login page, empty but for the address.
pub(super) fn login_page(session: &Session, email: &str) -> LoginPage {
    LoginPage {
        csrf: session::csrf_token(session),
        email: email.trim().to_owned(),
        next: String::new(),
        error: None,
        notice: None,
        sso_error: None,
        sso_org: None,
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
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
        notice: super::notice::take(&session).map(super::Notice::text),
        sso_error: None,
        sso_org: None,
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
    let LoginForm { email, password, next } = form;
    let outcome = login::log_in(&state, (email.trim().to_lowercase(), password), ip, sid.hash(), &meta).await?;
    let next = safe_next(Some(&next));
    match outcome {
        Outcome::LoggedIn(user) => {
            session::start(&session, sid, user.id, user.session_epoch).map_err(AppError::internal)?;
            tracing::info!(user_id = user.id.get(), "login succeeded");
            Ok(see_other(next.as_deref().unwrap_or("/")))
        }
        Outcome::SecondStep(user) => {
            session::begin_second_step(&session, user.id, user.session_epoch, next.unwrap_or_default())
                .map_err(AppError::internal)?;
            Ok(see_other(crate::domain::urls::LOGIN_SECOND_STEP))
        }
        Outcome::SsoRequired(slug) => {
            let mut page = login_page(&session, &email);
            page.sso_error = Some(format!("{slug} requires single sign-on: sign in through your identity provider."));
            page.sso_org = Some(slug);
            render_status(StatusCode::FORBIDDEN, &page)
        }
        Outcome::Failed => {
            tracing::info!("login failed");
            again(&session, &email, next, (StatusCode::UNAUTHORIZED, "Invalid email or password."))
        }
        Outcome::Throttled(seconds) => {
            tracing::warn!("login throttled");
            let why = "Too many failed attempts. Wait 15 minutes and try again, or ask an owner to help.";
            let mut res = again(&session, &email, next, (StatusCode::TOO_MANY_REQUESTS, why))?;
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seconds.to_string()) {
                res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, value);
            }
            Ok(res)
        }
    }
}

/// The login form again, with the address as typed and the generic error.
fn again(
    session: &Session,
    email: &str,
    next: Option<String>,
    (status, error): (StatusCode, &'static str),
) -> Result<HttpResponse, AppError> {
    let page = LoginPage {
        csrf: session::csrf_token(session),
        email: email.trim().to_owned(),
        next: next.unwrap_or_default(),
        error: Some(error),
        notice: None,
        sso_error: None,
        sso_org: None,
    };
    render_status(status, &page)
}

/// Records `session.logout` in each of the user's organisations.
async fn record_logout(
    state: &AppState,
    current: &CurrentUser,
    meta: RequestMeta,
    everywhere: bool,
) -> Result<(), AppError> {
    let orgs: Vec<OrgId> = current.orgs.iter().map(|(org, _)| org.id).collect();
    Ok(login::log_out(state, (&current.user, orgs), current.login.sid.hash(), everywhere, &meta).await?)
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    chrome: Chrome,
}

/// GET /logout asks first: logging out is a POST, so a link or image cannot do it.
pub async fn logout_confirm(current: CurrentUser) -> Result<HttpResponse, AppError> {
    render(&LogoutPage { chrome: Chrome::for_user(&current, None) })
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
    Ok(see_other(crate::domain::urls::LOGIN))
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
    Ok(see_other(crate::domain::urls::LOGIN))
}
