//! One API's page: what it declares (permissions, roles, routes), its
//! definition as the management API's JSON document (downloaded, edited or
//! uploaded, and saved back whole), and the OpenAPI import form.

use super::links;
use crate::app::apis::{self, DefinitionError, manage};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::domain::access::ApiDefinition;
use crate::domain::access::document::describe;
use crate::domain::forms::DefinitionForm;
use crate::domain::urls::ApiPages;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use crate::web::pages::templates::{Chrome, Field, NavItem};
use crate::web::pages::{Notice, render, render_status, see_other_with_notice};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

/// What an import would bring, for the preview.
pub struct Preview {
    pub permissions: Vec<(String, String)>,
    pub routes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "api_detail.html")]
pub struct DetailPage {
    pub chrome: Chrome,
    pub links: ApiPages,
    pub slug: String,
    pub name: String,
    pub hosts: Vec<String>,
    pub unmatched: &'static str,
    pub built_in: bool,
    pub permissions: Vec<(String, String)>,
    pub roles: Vec<(String, String, String)>,
    pub routes: Vec<(String, String, String)>,
    /// The JSON document in the edit box: the saved one, or what was sent.
    pub definition: Field,
    pub openapi: Field,
    pub preview: Option<Preview>,
    pub notice: Option<&'static str>,
}

impl DetailPage {
    pub fn of(member: &OrgMember, api: &ApiDefinition) -> Self {
        let routes = api.routes().routes();
        Self {
            chrome: Chrome::for_member(member, NavItem::Apis),
            links: links(member),
            slug: api.slug().to_string(),
            name: api.name().to_owned(),
            hosts: api.hosts().iter().map(ToString::to_string).collect(),
            unmatched: if api.unmatched() == crate::domain::access::Unmatched::Allow { "allow" } else { "deny" },
            built_in: api.is_built_in(),
            permissions: api.permissions().iter().map(|p| (p.slug.to_string(), p.description.clone())).collect(),
            roles: api
                .roles()
                .iter()
                .map(|r| {
                    let grants: Vec<&str> = r.permissions.iter().map(|g| g.as_str()).collect();
                    (r.slug.to_string(), r.name.clone(), grants.join(", "))
                })
                .collect(),
            routes: routes.iter().map(|r| (r.method.to_string(), r.path.to_string(), r.requires.to_string())).collect(),
            definition: Field::new(pretty(api)),
            openapi: Field::default(),
            preview: None,
            notice: None,
        }
    }
}

/// The definition as people read and edit it.
fn pretty(api: &ApiDefinition) -> String {
    serde_json::to_string_pretty(api).unwrap_or_default()
}

pub async fn show(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    session: actix_session::Session,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let api = apis::get(&state, &member.caller(meta), &path.1).await?;
    let mut page = DetailPage::of(&member, &api);
    page.notice = crate::web::pages::notice::take(&session).map(Notice::text);
    render(&page)
}

/// `definition.json`: the document, as the management API's GET answers it, to keep or edit.
pub async fn download(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let api = apis::get(&state, &member.caller(meta), &path.1).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{}.json\"", api.slug())))
        .insert_header(("Cache-Control", "no-store"))
        .body(pretty(&api)))
}

/// Saves the edit box's document over the whole definition; problems are
/// listed on the box, with what was typed kept.
pub async fn save(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    session: actix_session::Session,
    (path, CsrfForm(form)): (web::Path<(String, String)>, CsrfForm<DefinitionForm>),
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let current = apis::get(&state, &caller, &path.1).await?;
    let mut page = DetailPage::of(&member, &current);
    page.definition = Field::new(&form.definition);
    let document = match serde_json::from_str(&form.definition) {
        Ok(document) => document,
        Err(e) => return refuse(page, format!("This is not JSON: {e}.")),
    };
    match manage::put(&state, &caller, &path.1, document).await {
        Ok(_) => Ok(see_other_with_notice(&session, &page.links.api(&path.1), Notice::ApiSaved)),
        Err(DefinitionError::Invalid(errors)) => refuse(page, describe(&errors)),
        Err(DefinitionError::BuiltIn) => refuse(page, "The sample API is built in and cannot be changed.".into()),
        Err(e) => Err(e.into()),
    }
}

/// The page again, with the problem on the definition box.
fn refuse(mut page: DetailPage, message: String) -> Result<HttpResponse, AppError> {
    page.definition.error = Some(message);
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
