//! Importing routes and permissions from an OpenAPI document (pasted, or
//! read from a file into the box by app.js), previewed before it is saved,
//! and deleting an API (asked first; refused while keys still belong to it).

use super::definition::{DetailPage, Preview};
use super::links;
use crate::app::apis::{self, DefinitionError, manage};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::domain::access::OpenApiImport;
use crate::domain::forms::ImportForm;
use crate::domain::urls::ApiPages;
use crate::web::auth::csrf::NoFields;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use crate::web::pages::templates::{Chrome, NavItem};
use crate::web::pages::{Notice, render, render_status, see_other_with_notice};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

fn preview(import: &OpenApiImport) -> Preview {
    Preview {
        permissions: import.permissions.iter().map(|p| (p.slug.to_string(), p.description.clone())).collect(),
        routes: import
            .routes
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string(), r.requires.to_string()))
            .collect(),
    }
}

/// `action=preview` shows what the document brings; `action=import` saves it.
pub async fn import(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    session: actix_session::Session,
    (path, CsrfForm(form)): (web::Path<(String, String)>, CsrfForm<ImportForm>),
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let mut page = DetailPage::of(&member, &apis::get(&state, &caller, &path.1).await?);
    page.openapi.value.clone_from(&form.openapi);
    let document = match serde_json::from_str(&form.openapi) {
        Ok(document) => document,
        Err(e) => return refuse(page, format!("This is not a JSON document: {e}.")),
    };
    let dry_run = form.action != "import";
    match manage::import_openapi(&state, &caller, &path.1, document, dry_run).await {
        Ok(import) if dry_run => {
            page.preview = Some(preview(&import));
            render(&page)
        }
        Ok(_) => Ok(see_other_with_notice(&session, &page.links.api(&path.1), Notice::ApiImported)),
        Err(DefinitionError::Invalid(errors)) => refuse(page, crate::domain::access::document::describe(&errors)),
        Err(DefinitionError::BuiltIn) => refuse(page, "The sample API is built in and cannot be changed.".into()),
        Err(e) => Err(e.into()),
    }
}

fn refuse(mut page: DetailPage, message: String) -> Result<HttpResponse, AppError> {
    page.openapi.error = Some(message);
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Template)]
#[template(path = "api_delete.html")]
struct DeletePage {
    chrome: Chrome,
    links: ApiPages,
    slug: String,
    name: String,
    /// Keys that still belong to it, when a delete was refused.
    in_use: Option<i64>,
}

pub async fn delete_confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    apis::authorize(&caller, apis::Op::Write)?;
    let api = apis::get(&state, &caller, &path.1).await?;
    if api.is_built_in() {
        return Err(AppError::NotFound);
    }
    let chrome = Chrome::for_member(&member, NavItem::Apis);
    let (slug, name) = (api.slug().to_string(), api.name().to_owned());
    render(&DeletePage { chrome, links: links(&member), slug, name, in_use: None })
}

pub async fn delete(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    session: actix_session::Session,
    (path, CsrfForm(_)): (web::Path<(String, String)>, CsrfForm<NoFields>),
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    match manage::delete(&state, &caller, &path.1).await {
        Ok(()) => Ok(see_other_with_notice(&session, links(&member).list(), Notice::ApiDeleted)),
        Err(DefinitionError::InUse(n)) => {
            let chrome = Chrome::for_member(&member, NavItem::Apis);
            let api = apis::get(&state, &caller, &path.1).await?;
            let (slug, name) = (api.slug().to_string(), api.name().to_owned());
            render_status(
                StatusCode::CONFLICT,
                &DeletePage { chrome, links: links(&member), slug, name, in_use: Some(n) },
            )
        }
        Err(DefinitionError::BuiltIn) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
