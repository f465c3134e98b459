//! `/account/two-factor`: set up an authenticator app (a QR code drawn here
//! as SVG, and the secret as text), confirm it with a code, see recovery
//! codes once, make new ones, or remove the app (password + code). Every
//! change asks again who it is once the sudo window has passed (sudo.rs).

use super::sudo::{Answer, Needs, SudoFields};
use super::templates::{Chrome, NavItem};
use super::{Notice, render, render_status, see_other, see_other_with_notice};
use crate::app::accounts::factors::{self, FactorError};
use crate::app::accounts::sudo::Prompt;
use crate::app::accounts::two_factor::{self, TwoFactorError};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::web::auth::csrf::NoFields;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    chrome: Chrome,
    /// Setting up: the QR code (inline SVG) and the secret to type by hand.
    enrolment: Option<(String, String)>,
    status: two_factor::Status,
    passkeys_available: bool,
    /// The sudo window has passed: changes ask for the password (and a code) on their form.
    ask_sudo: bool,
    error: Option<String>,
    notice: Option<&'static str>,
    /// The organisation that sent the user here: it requires a second factor.
    required_by: Option<String>,
}

/// `?required=<org slug>`: an organisation of the user's that requires a second factor sent them.
#[derive(Deserialize)]
pub struct RequiredQuery {
    #[serde(default)]
    required: String,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    chrome: Chrome,
    codes: Vec<String>,
}

impl RecoveryCodesPage {
    /// The codes as a text file, one a line, in a `data:` link (Download
    /// works without script, and the codes never go to a URL the server sees).
    fn download_href(&self) -> String {
        let text = format!("Latchkey recovery codes (each works once)\n\n{}\n", self.codes.join("\n"));
        let encoded: String = text
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("data:text/plain;charset=utf-8,{encoded}")
    }
}

/// Confirming a new authenticator: its first code, and the password when
/// the sudo window has passed.
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

/// The otpauth URL as an inline SVG QR code (no outside service sees the secret).
fn qr_svg(url: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(AppError::internal)?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen("<svg ", r#"<svg role="img" aria-label="QR code for your authenticator app" "#, 1))
}

async fn page(state: &AppState, current: &CurrentUser, error: Option<String>) -> Result<TwoFactorPage, AppError> {
    let (status, enrolment) = factors::overview(state, &current.user).await?;
    let enrolment = match enrolment {
        Some(e) => {
            let url = e.secret.otpauth_url(&current.user.email).ok_or_else(|| AppError::internal("no otpauth URL"))?;
            Some((qr_svg(&url)?, e.secret.base32()))
        }
        None => None,
    };
    let passkeys_available = state.passkeys.is_some();
    Ok(TwoFactorPage {
        chrome: Chrome::for_user(current, NavItem::Account),
        enrolment,
        status,
        passkeys_available,
        ask_sudo: !crate::web::auth::session::sudo_fresh(&current.login),
        error,
        notice: None,
        required_by: None,
    })
}

/// Re-authentication for a second-factor change (docs/user-guide.md: Two-factor authentication):
/// `None` when confirmed, else the page again with the reason (422, or 429
/// past the login throttle).
pub(super) async fn refused(
    state: &AppState,
    current: &CurrentUser,
    session: &Session,
    meta: &RequestMeta,
    needs: Needs,
    answer: Answer<'_>,
) -> Result<Option<HttpResponse>, AppError> {
    let sudo = super::sudo::confirm(state, current, session, meta, (Prompt::SecondFactor, needs), answer).await?;
    if sudo.confirmed() {
        return Ok(None);
    }
    let page = page(state, current, Some(sudo.message(current, needs))).await?;
    Ok(Some(render_status(sudo.status(), &page)?))
}

pub async fn show(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    query: web::Query<RequiredQuery>,
) -> Result<HttpResponse, AppError> {
    let mut page = page(&state, &current, None).await?;
    page.notice = super::notice::take(&session).map(Notice::text);
    // Until a factor is set up; the organisation is named when the user belongs to it (staff may not).
    if !query.required.is_empty() && !current.has_second_factor {
        let member_of = current.orgs.iter().find(|(org, _)| org.slug.as_str() == query.required);
        page.required_by =
            Some(member_of.map_or_else(|| "The organisation you opened".to_owned(), |(org, _)| org.name.clone()));
    }
    render(&page)
}

fn codes_page(current: &CurrentUser, codes: Vec<String>) -> Result<HttpResponse, AppError> {
    render(&RecoveryCodesPage { chrome: Chrome::for_user(current, NavItem::Account), codes })
}

/// The recovery codes page as HTML, for an answer made by script (a passkey
/// added as the first factor comes with the codes, which the page then shows).
pub fn codes_html(current: &CurrentUser, codes: Vec<String>) -> Result<String, AppError> {
    RecoveryCodesPage { chrome: Chrome::for_user(current, NavItem::Account), codes }
        .render()
        .map_err(AppError::internal)
}

pub async fn confirm(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let answer = Answer { password: &form.password, code: "" };
    if let Some(refusal) = refused(&state, &current, &session, &meta, Needs::PasswordAndCode, answer).await? {
        return Ok(refusal);
    }
    let done = factors::confirm_totp(&state, &current.user, &form.code, &meta).await;
    if let Err(FactorError::Refused(TwoFactorError::AlreadyOn)) = done {
        return Ok(see_other(crate::domain::urls::TWO_FACTOR));
    }
    new_codes(&state, &current, done).await
}

/// Shows freshly made recovery codes once (the user is being mailed), or why none were made.
async fn new_codes(
    state: &AppState,
    current: &CurrentUser,
    made: Result<Vec<String>, FactorError>,
) -> Result<HttpResponse, AppError> {
    match made {
        Ok(codes) => codes_page(current, codes),
        Err(FactorError::Db(e)) => Err(e.into()),
        Err(e) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(state, current, Some(e.to_string())).await?),
    }
}

pub async fn cancel(
    state: web::Data<AppState>,
    current: CurrentUser,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    factors::cancel_totp(&state, &current.user).await?;
    Ok(see_other(crate::domain::urls::ACCOUNT))
}

pub async fn regenerate(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<SudoFields>,
) -> Result<HttpResponse, AppError> {
    if let Some(refusal) = refused(&state, &current, &session, &meta, Needs::PasswordAndCode, form.answer()).await? {
        return Ok(refusal);
    }
    let done = factors::regenerate_recovery_codes(&state, &current.user, &meta).await;
    new_codes(&state, &current, done).await
}

/// Removes the authenticator app: the password and a code, every time.
pub async fn disable(
    state: web::Data<AppState>,
    current: CurrentUser,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<SudoFields>,
) -> Result<HttpResponse, AppError> {
    if !current.has_authenticator_app {
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, &current, Some(TwoFactorError::NotOn.to_string())).await?,
        );
    }
    if let Some(refusal) = refused(&state, &current, &session, &meta, Needs::PasswordAndCodeNow, form.answer()).await? {
        return Ok(refusal);
    }
    factors::disable_totp(&state, &current.user, &meta).await?;
    Ok(see_other_with_notice(&session, crate::domain::urls::ACCOUNT, Notice::TwoFactorOff))
}
