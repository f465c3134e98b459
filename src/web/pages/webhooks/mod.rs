//! Settings → Webhooks (docs/user-guide.md: Webhooks; docs/ARCHITECTURE.md): endpoints with a signing secret shown
//! once, edit, enable/disable, secret rotation, delete; the endpoint's page
//! (detail.rs: Send test, the attempt log, Recover) and the attempt page
//! (attempts.rs). The changes themselves are use cases (`crate::app::webhooks::endpoints`).

mod attempts;
mod confirm;
mod detail;
mod messages;

pub use attempts::show as attempt;
pub use confirm::{delete_confirm, rotate_secret, rotate_secret_confirm};
pub use detail::{recover, resend, show, test};

use super::templates::{Chrome, Field, NavItem};
use super::{Notice, render, render_status, see_other_with_notice};
use crate::app::audit::RequestMeta;
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::app::webhooks::health::Health;
use crate::app::webhooks::signing::SigningSecret;
use crate::app::webhooks::{self, Endpoint, EndpointError, EndpointFields, Op, events, target};
use crate::domain::event_type::EventType;
use crate::domain::forms::HookForm;
use crate::domain::urls::WebhookPages;
use crate::web::auth::csrf::NoFields;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

/// The links of the organisation's webhook pages.
fn links(member: &OrgMember) -> WebhookPages {
    WebhookPages::org(&member.org.slug)
}

/// One of the organisation's endpoints, for an owner or admin (403 for other roles, 404 if unknown).
async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<Endpoint, AppError> {
    Ok(webhooks::find(state, caller, Op::Read, id).await?)
}

#[derive(Template)]
#[template(path = "webhooks_list.html")]
struct ListPage {
    chrome: Chrome,
    links: WebhookPages,
    hooks: Vec<(Endpoint, Health)>,
    notice: Option<&'static str>,
}

pub async fn list(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    session: actix_session::Session,
) -> Result<HttpResponse, AppError> {
    let hooks = webhooks::list_with_health(&state, &member.caller(meta)).await?;
    let notice = super::notice::take(&session).map(Notice::text);
    render(&ListPage { chrome: Chrome::for_member(&member, NavItem::Webhooks), links: links(&member), hooks, notice })
}

#[derive(Template)]
#[template(path = "webhook_form.html")]
struct FormPage {
    chrome: Chrome,
    links: WebhookPages,
    editing: Option<String>,
    url: Field,
    description: Field,
    events: Vec<String>,
    events_error: Option<String>,
    all_events: [EventType; 17],
    insecure_allowed: bool,
}

impl FormPage {
    fn blank(member: &OrgMember, state: &AppState) -> Self {
        Self {
            chrome: Chrome::for_member(member, NavItem::Webhooks),
            links: links(member),
            editing: None,
            url: Field::default(),
            description: Field::default(),
            events: Vec::new(),
            events_error: None,
            all_events: EventType::SUBSCRIBABLE,
            insecure_allowed: state.config.webhook_allow_insecure,
        }
    }

    fn has_event(&self, event_type: &EventType) -> bool {
        self.events.iter().any(|e| *e == *event_type)
    }

    /// The events to choose from, grouped by what they are about, each with its line from the catalog.
    fn event_groups(&self) -> Vec<(&'static str, Vec<(EventType, &'static str)>)> {
        let mut groups: Vec<(&'static str, Vec<(EventType, &'static str)>)> = Vec::new();
        for event in self.all_events {
            let title = match event.as_str().split('.').next().unwrap_or_default() {
                "api_key" => "API keys",
                "api" => "APIs",
                "audit" => "Audit log",
                "member" => "Members",
                _ => "Your API's resources",
            };
            let line = (event, crate::app::webhooks::catalog::summary(event));
            match groups.iter_mut().find(|(t, _)| *t == title) {
                Some((_, events)) => events.push(line),
                None => groups.push((title, vec![line])),
            }
        }
        groups
    }
}

/// Parses the form and checks the URL's address now (it is checked again at every send).
async fn parse(
    state: &AppState,
    page: &mut FormPage,
    form: HookForm,
) -> Result<Option<(String, String, String)>, AppError> {
    page.url = Field::new(form.url.trim());
    page.description = Field::new(form.description.trim());
    page.events = form.events.clone();
    let mut ok = true;
    if page.description.value.chars().count() > 500 {
        page.description.error = Some("Use at most 500 characters.".into());
        ok = false;
    }
    let events = events::parse(&form.events).map_err(|e| page.events_error = Some(e)).ok();
    let (insecure, private) = (state.config.webhook_allow_insecure, state.config.webhook_allow_private);
    let url = target::check(&page.url.value, insecure, private).await.map_err(|e| page.url.error = Some(e)).ok();
    match (url, events, ok) {
        (Some(url), Some(events), true) => Ok(Some((url, page.description.value.clone(), events))),
        _ => Ok(None),
    }
}

pub async fn new(state: web::Data<AppState>, member: OrgMember, meta: RequestMeta) -> Result<HttpResponse, AppError> {
    webhooks::authorize(&member.caller(meta), Op::Write)?;
    render(&FormPage::blank(&member, &state))
}

#[derive(Template)]
#[template(path = "webhook_secret.html")]
struct SecretPage {
    chrome: Chrome,
    links: WebhookPages,
    hook: Endpoint,
    title: &'static str,
    secret: String,
}

pub(super) fn secret_page(
    member: &OrgMember,
    hook: Endpoint,
    title: &'static str,
    secret: &SigningSecret,
) -> Result<HttpResponse, AppError> {
    render(&SecretPage {
        chrome: Chrome::for_member(member, NavItem::Webhooks),
        links: links(member),
        hook,
        title,
        secret: secret.expose(),
    })
}

pub async fn create(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<HookForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    webhooks::authorize(&caller, Op::Write)?;
    let mut page = FormPage::blank(&member, &state);
    let Some((url, description, events)) = parse(&state, &mut page, form).await? else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    match webhooks::create(&state, &caller, EndpointFields { url, description, events }).await {
        Ok((hook, secret)) => secret_page(&member, hook, "Webhook endpoint added", &secret),
        // At the cap: the form again, values kept, the reason next to the URL.
        Err(EndpointError::AtCap(refused)) => {
            page.url.error = Some(refused.message());
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let hook = load(&state, &member.caller(meta), &path.1).await?;
    let mut page = FormPage::blank(&member, &state);
    page.editing = Some(hook.public_id.clone());
    page.url = Field::new(&hook.url);
    page.description = Field::new(&hook.description);
    page.events = hook.event_list();
    render(&page)
}

pub async fn update(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<HookForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let hook = load(&state, &caller, &path.1).await?;
    let mut page = FormPage::blank(&member, &state);
    page.editing = Some(hook.public_id.clone());
    let Some((url, description, events)) = parse(&state, &mut page, form).await? else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    webhooks::update(&state, &caller, &hook.public_id, EndpointFields { url, description, events }, None).await?;
    Ok(see_other_with_notice(&session, links(&member).list(), Notice::WebhookUpdated))
}

/// `/orgs/{slug}/settings/webhooks/{id}/{action}`: the route matches only these two verbs.
#[derive(serde::Deserialize)]
pub struct SwitchPath {
    id: String,
    action: Switch,
}

#[derive(serde::Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    Enable,
    Disable,
}

pub async fn set_enabled(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    path: web::Path<SwitchPath>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let SwitchPath { id, action } = path.into_inner();
    let enable = matches!(action, Switch::Enable);
    webhooks::set_enabled(&state, &member.caller(meta), &id, enable).await?;
    Ok(see_other_with_notice(
        &session,
        links(&member).list(),
        if enable { Notice::WebhookEnabled } else { Notice::WebhookDisabled },
    ))
}

pub async fn delete(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    webhooks::delete(&state, &member.caller(meta), &path.1).await?;
    Ok(see_other_with_notice(&session, links(&member).list(), Notice::WebhookDeleted))
}
