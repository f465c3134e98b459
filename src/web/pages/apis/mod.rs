//! Settings → APIs (docs/user-guide.md: APIs): the organisation's APIs, a
//! new one, and each API's page, where its whole definition (permissions,
//! roles, routes) is read, downloaded as JSON and saved back, edited or
//! uploaded (`definition.rs`), imported from OpenAPI with a preview and
//! deleted (`import.rs`). Owners and admins only; the changes are use cases
//! (`crate::app::apis`).

mod definition;
mod import;

pub use definition::{download, save, show};
pub use import::{delete, delete_confirm, import};

use super::templates::{Chrome, Field, NavItem};
use super::{render, render_status, see_other_with_notice};
use crate::app::apis::{self, DefinitionError, manage};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::domain::access::ApiDefinition;
use crate::domain::forms::ApiForm;
use crate::domain::records::FieldError;
use crate::domain::urls::ApiPages;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::json;

fn links(member: &OrgMember) -> ApiPages {
    ApiPages::org(&member.org.slug)
}

impl From<DefinitionError> for AppError {
    fn from(err: DefinitionError) -> Self {
        match err {
            DefinitionError::Denied(d) => d.into(),
            DefinitionError::NotFound => AppError::NotFound,
            DefinitionError::Db(e) => e.into(),
            other => AppError::internal(other),
        }
    }
}

/// One API as the list shows it.
pub struct ApiRow {
    pub slug: String,
    pub name: String,
    pub hosts: Vec<String>,
    pub built_in: bool,
    pub counts: (usize, usize, usize),
}

impl ApiRow {
    fn of(api: &ApiDefinition) -> Self {
        Self {
            slug: api.slug().to_string(),
            name: api.name().to_owned(),
            hosts: api.hosts().iter().map(ToString::to_string).collect(),
            built_in: api.is_built_in(),
            counts: (api.permissions().len(), api.roles().len(), api.routes().routes().len()),
        }
    }
}

#[derive(Template)]
#[template(path = "apis_list.html")]
struct ListPage {
    chrome: Chrome,
    links: ApiPages,
    apis: Vec<ApiRow>,
    notice: Option<&'static str>,
}

pub async fn list(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    session: actix_session::Session,
) -> Result<HttpResponse, AppError> {
    let all = apis::list(&state, &member.caller(meta)).await?;
    let notice = super::notice::take(&session).map(super::Notice::text);
    let apis = all.iter().map(ApiRow::of).collect();
    render(&ListPage { chrome: Chrome::for_member(&member, NavItem::Apis), links: links(&member), apis, notice })
}

#[derive(Template)]
#[template(path = "api_new.html")]
struct NewPage {
    chrome: Chrome,
    links: ApiPages,
    slug: Field,
    name: Field,
    hosts: Field,
    unmatched: String,
}

impl NewPage {
    fn blank(member: &OrgMember) -> Self {
        let chrome = Chrome::for_member(member, NavItem::Apis);
        let (slug, name, hosts) = (Field::default(), Field::default(), Field::default());
        Self { chrome, links: links(member), slug, name, hosts, unmatched: "deny".into() }
    }

    /// Puts each problem next to its field (`hosts[2]` next to the hosts).
    fn place(&mut self, errors: Vec<FieldError>) {
        for e in errors {
            let field = match e.field.split(['[', '.']).next().unwrap_or_default() {
                "name" => &mut self.name,
                "hosts" => &mut self.hosts,
                _ => &mut self.slug,
            };
            field.error.get_or_insert(e.message);
        }
    }
}

pub async fn new(member: OrgMember, meta: RequestMeta) -> Result<HttpResponse, AppError> {
    apis::authorize(&member.caller(meta), apis::Op::Write)?;
    render(&NewPage::blank(&member))
}

/// Creates an API from the form (no permissions, roles or routes yet) and opens its page.
pub async fn create(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    session: actix_session::Session,
    CsrfForm(form): CsrfForm<ApiForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let mut page = NewPage::blank(&member);
    (page.slug, page.name, page.hosts) = (Field::new(&form.slug), Field::new(&form.name), Field::new(&form.hosts));
    page.unmatched = form.unmatched.clone();
    let hosts: Vec<&str> = form.hosts.split([',', '\n', '\r']).map(str::trim).filter(|h| !h.is_empty()).collect();
    let document =
        json!({"slug": form.slug.trim(), "name": form.name.trim(), "hosts": hosts, "unmatched": form.unmatched});
    match manage::create(&state, &caller, document).await {
        Ok(api) => Ok(see_other_with_notice(&session, &page.links.api(api.slug().as_str()), super::Notice::ApiCreated)),
        Err(DefinitionError::Invalid(errors)) => {
            page.place(errors);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(DefinitionError::Exists | DefinitionError::BuiltIn) => {
            page.slug.error = Some("The organisation already has an API with this slug.".into());
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
