//! `/setup`: the first run creates the first organisation and its owner,
//! logs them in, and closes for good.

use super::templates::Field;
use super::{render, render_status, see_other};
use crate::app::accounts::login::{self, Setup};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::domain::{Email, OrgName, OrgSlug, Password, PersonName};
use crate::web::auth::{CsrfForm, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template, Default)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf: String,
    org_name: Field,
    org_slug: Field,
    name: Field,
    email: Field,
    password: Field,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    org_slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn form(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    if state.setup_done().await? {
        return Ok(see_other(crate::domain::urls::LOGIN));
    }
    render(&SetupPage { csrf: session::csrf_token(&session), ..Default::default() })
}

pub async fn submit(
    state: web::Data<AppState>,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<HttpResponse, AppError> {
    if state.setup_done().await? {
        return Err(AppError::NotFound);
    }
    // Parse every field so the page can show every error at once.
    let mut page = SetupPage {
        csrf: session::csrf_token(&session),
        org_name: Field::new(form.org_name),
        org_slug: Field::new(form.org_slug),
        name: Field::new(form.name),
        email: Field::new(form.email),
        password: Field::default(),
    };
    let org_name = page.org_name.parse(OrgName::parse);
    let org_slug = page.org_slug.parse(OrgSlug::parse);
    let name = page.name.parse(PersonName::parse);
    let email = page.email.parse(Email::parse);
    let pw = Password::parse(&form.password).map_err(|e| page.password.error = Some(e.0)).ok();
    let (Some(org_name), Some(org_slug), Some(name), Some(email), Some(pw)) = (org_name, org_slug, name, email, pw)
    else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    let sid = session::SessionId::generate();
    let setup = Setup { org_name, org_slug, name, email, password: pw };
    let Some((user, org)) = login::set_up(&state, setup, sid.hash(), &meta).await? else {
        return Err(AppError::NotFound);
    };
    tracing::info!(user_id = user.id.get(), org = %org.slug, "first-run setup completed");
    session::start(&session, sid, user.id, user.session_epoch).map_err(AppError::internal)?;
    Ok(see_other(&crate::domain::urls::org(&org.slug)))
}
