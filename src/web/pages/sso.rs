//! `/orgs/{slug}/settings/sso`: the organisation's OpenID Connect
//! connection and the domains it proves (owners change them; admins see
//! them). A refused form comes back with the values as typed and each
//! problem next to its field.

use super::templates::{Chrome, Field, NavItem};
use super::{Notice, render, render_status, see_other_with_notice};
use crate::app::audit::RequestMeta;
use crate::app::sso::{self, Settings, SettingsInput, SsoError, domains};
use crate::app::state::AppState;
use crate::db::sso::Domain;
use crate::domain::Role;
use crate::web::auth::csrf::NoFields;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// One text field of the connection form.
struct SsoField {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "org_sso.html")]
struct SsoPage {
    chrome: Chrome,
    org_slug: String,
    can_edit: bool,
    redirect_uri: String,
    fields: Vec<SsoField>,
    require_sso: bool,
    domains: Vec<Domain>,
    domain: Field,
    error: Option<String>,
    notice: Option<&'static str>,
    scim_base: String,
    has_scim_token: bool,
    /// A SCIM token just made: shown this once.
    new_token: Option<String>,
}

#[derive(Deserialize)]
pub struct ConnectionForm {
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    default_role: String,
    #[serde(default)]
    group_claim: String,
    #[serde(default)]
    group_roles: String,
    #[serde(default)]
    require_sso: Option<String>,
}

#[derive(Deserialize)]
pub struct DomainForm {
    #[serde(default)]
    domain: String,
}

fn fields(input: &SettingsInput, has_secret: bool) -> Vec<SsoField> {
    let field = |name, label, hint, value: &str| SsoField { name, label, hint, value: value.to_owned(), error: None };
    vec![
        field("issuer", "Issuer URL", "from your provider, e.g. https://login.example.com", &input.issuer),
        field("client_id", "Client ID", "", &input.client_id),
        field("client_secret", "Client secret", if has_secret { "stored; leave empty to keep it" } else { "" }, ""),
        field("domains", "Domains it serves", "comma-separated, e.g. example.com", &input.domains),
        field("default_role", "Role of a new member", "", &input.default_role),
        field("group_claim", "Groups claim", "optional, e.g. groups", &input.group_claim),
        field("group_roles", "Groups to roles", "one group=role a line; the most capable wins", &input.group_roles),
    ]
}

fn page(state: &AppState, member: &OrgMember, settings: Settings, input: Option<SettingsInput>) -> SsoPage {
    let has_secret = settings.connection.is_some();
    let input = input
        .or_else(|| settings.connection.as_ref().map(SettingsInput::of))
        .unwrap_or_else(|| SettingsInput { default_role: "member".into(), ..SettingsInput::default() });
    SsoPage {
        chrome: Chrome::for_member(member, NavItem::Security),
        org_slug: member.org.slug.to_string(),
        can_edit: member.role.can_manage_members(),
        redirect_uri: format!("{}{}", state.config.public_url.origin(), sso::login::CALLBACK),
        fields: fields(&input, has_secret),
        require_sso: input.require_sso,
        domains: settings.domains.clone(),
        domain: Field::new(""),
        error: None,
        notice: None,
        scim_base: format!("{}/scim/v2", state.config.public_url.origin()),
        has_scim_token: settings.has_scim_token,
        new_token: None,
    }
}

pub async fn show(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_settings)?;
    let settings = sso::settings(&state, &member.caller(meta)).await?;
    let mut page = page(&state, &member, settings, None);
    page.notice = super::notice::take(&session).map(Notice::text);
    render(&page)
}

pub async fn save(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<ConnectionForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let input = SettingsInput {
        issuer: form.issuer,
        client_id: form.client_id,
        client_secret: form.client_secret,
        domains: form.domains,
        default_role: form.default_role,
        group_claim: form.group_claim,
        group_roles: form.group_roles,
        require_sso: form.require_sso.as_deref() == Some("on"),
    };
    match sso::save(&state, &caller, input.clone()).await {
        Ok(()) => {
            Ok(see_other_with_notice(&session, &crate::domain::urls::sso(&member.org.slug), Notice::RequirementSaved))
        }
        Err(SsoError::Invalid(problems)) => {
            let mut page = page(&state, &member, sso::settings(&state, &caller).await?, Some(input));
            for field in &mut page.fields {
                field.error = problems.iter().find(|(name, _)| *name == field.name).map(|(_, m)| m.clone());
            }
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_domain(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<DomainForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    match domains::add(&state, &caller, &form.domain).await {
        Ok(_) => Ok(see_other_with_notice(&session, &crate::domain::urls::sso(&member.org.slug), Notice::DomainAdded)),
        Err(SsoError::Invalid(problems)) => {
            let mut page = page(&state, &member, sso::settings(&state, &caller).await?, None);
            page.domain = Field { value: form.domain, error: problems.into_iter().next().map(|(_, m)| m) };
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn verify_domain(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let result = domains::verify(&state, &caller, &path.1).await;
    let message = match result {
        Ok(true) => {
            let to = crate::domain::urls::sso(&member.org.slug);
            return Ok(see_other_with_notice(&session, &to, Notice::DomainVerified));
        }
        Ok(false) => format!(
            "No TXT record on {} holds the value shown yet. DNS changes can take a while to be seen; try again later.",
            path.1
        ),
        Err(SsoError::Refused(why)) => why,
        Err(SsoError::Dns(e)) => format!("The DNS lookup failed: {e}."),
        Err(e) => return Err(e.into()),
    };
    let mut page = page(&state, &member, sso::settings(&state, &caller).await?, None);
    page.error = Some(message);
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

impl From<SsoError> for AppError {
    fn from(err: SsoError) -> Self {
        match err {
            SsoError::Denied(d) => d.into(),
            SsoError::Db(e) => e.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

pub async fn new_scim_token(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let token = crate::app::scim::new_token(&state, &caller).await?;
    let mut page = page(&state, &member, sso::settings(&state, &caller).await?, None);
    page.new_token = Some(token);
    render(&page)
}
