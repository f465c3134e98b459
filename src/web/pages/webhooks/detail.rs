//! An endpoint's page (docs/user-guide.md: Webhooks → Webhook operations): its health
//! mark, Send test / Send example with the terminal-style panel, the
//! attempt log (filters, pages, Resend) and Recover.

use super::attempts::{self, AttemptForm, AttemptQuery};
use super::messages::MessageGroup;
use super::{links, load};
use crate::app::audit::RequestMeta;
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::app::webhooks::health::Health;
use crate::app::webhooks::send::Attempt;
use crate::app::webhooks::{self, Endpoint, EndpointError, examples};
use crate::domain::event_type::EventType;
use crate::domain::urls::WebhookPages;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use crate::web::pages::render_status;
use crate::web::pages::templates::{Chrome, Field, NavItem};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// What a request adds to the page: a send's result, the attempt filters,
/// the Send example and Recover fields as typed (with their errors), a
/// Recover's count.
#[derive(Default)]
struct Extras {
    result: Option<Attempt>,
    query: AttemptQuery,
    test_event: Field,
    since: Field,
    recovered: Option<usize>,
}

#[derive(Template)]
#[template(path = "webhook_detail.html")]
struct DetailPage {
    chrome: Chrome,
    links: WebhookPages,
    hook: Endpoint,
    health: Health,
    /// When the previous secret stops signing, while it still does.
    previous_until: Option<String>,
    result: Option<Attempt>,
    /// This page of the delivery log, by message.
    messages: Vec<MessageGroup>,
    older: Option<i64>,
    filters: AttemptForm,
    event_types: [EventType; 17],
    example_types: Vec<EventType>,
    test_event: Field,
    since: Field,
    recovered: Option<usize>,
}

impl DetailPage {
    /// The pager's link to older attempts, keeping the filters.
    fn older_href(&self) -> Option<String> {
        self.older.map(|before| self.links.deliveries_before(&self.hook.public_id, &self.filters.query(), before))
    }
}

/// The page; 422 when a field of the request could not be read.
async fn detail(
    state: &AppState,
    (member, caller): (&OrgMember, &Caller),
    hook: Endpoint,
    extras: Extras,
) -> Result<HttpResponse, AppError> {
    let (filter, before, filters) = attempts::parse(&extras.query);
    let listed = !filters.has_errors();
    let (log, health) = webhooks::activity(state, caller, &hook, (filter, before, listed)).await?;
    let at = crate::domain::timefmt::now();
    let older = log.older;
    let invalid = !listed || extras.test_event.error.is_some() || extras.since.error.is_some();
    let page = DetailPage {
        chrome: Chrome::for_member(member, NavItem::Webhooks),
        links: links(member),
        health,
        previous_until: hook.previous_until.filter(|t| *t > at).map(|t| crate::domain::timefmt::exact(&t)),
        hook,
        result: extras.result,
        messages: super::messages::group(log, at),
        older,
        filters,
        event_types: EventType::SUBSCRIBABLE,
        example_types: examples::choices(),
        test_event: extras.test_event,
        since: extras.since,
        recovered: extras.recovered,
    };
    render_status(if invalid { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &page)
}

/// `GET …/webhooks/{id}`, with the attempt filters in the query.
pub async fn show(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    query: web::Query<AttemptQuery>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let hook = load(&state, &caller, &path.1).await?;
    detail(&state, (&member, &caller), hook, Extras { query: query.into_inner(), ..Extras::default() }).await
}

/// Resend: one more attempt of a message now (recorded as manual).
pub async fn resend(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String, String)>,
    _form: CsrfForm<crate::web::auth::csrf::NoFields>,
) -> Result<HttpResponse, AppError> {
    let (_, id, message_id) = path.into_inner();
    let caller = member.caller(meta);
    let hook = load(&state, &caller, &id).await?;
    let result = webhooks::resend(&state, &caller, &id, &message_id).await?;
    detail(&state, (&member, &caller), hook, Extras { result, ..Extras::default() }).await
}

#[derive(Deserialize)]
pub struct TestForm {
    /// The example's event type; absent or empty: `webhook.test`.
    #[serde(default)]
    event: String,
}

/// Send test / Send example: a signed example of the chosen type, now, and its result in the panel.
pub async fn test(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<TestForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let hook = load(&state, &caller, &path.1).await?;
    let mut test_event = Field::new(form.event.trim());
    let event_type = match examples::parse_event(&form.event) {
        Ok(event_type) => event_type,
        Err(e) => {
            test_event.error = Some(e);
            return detail(&state, (&member, &caller), hook, Extras { test_event, ..Extras::default() }).await;
        }
    };
    let attempt = webhooks::send_test(&state, &caller, &hook.public_id, event_type).await?;
    let extras = Extras { result: Some(attempt), test_event, ..Extras::default() };
    detail(&state, (&member, &caller), hook, extras).await
}

#[derive(Deserialize)]
pub struct RecoverForm {
    #[serde(default)]
    since: String,
}

/// Recover: every message since the given day or minute whose latest attempt failed is sent again.
pub async fn recover(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<RecoverForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let hook = load(&state, &caller, &path.1).await?;
    let mut since = Field::new(form.since.trim());
    let (start, _, errors) = crate::app::audit::filter::parse_range(&since.value, "");
    since.error = match (start, errors.into_iter().next()) {
        (_, Some((_, message))) => Some(message),
        (None, None) => Some("Enter the day or minute (UTC) to recover from, like 2026-01-31.".into()),
        _ => None,
    };
    let recovered = match start.filter(|_| since.error.is_none()) {
        Some(start) => webhooks::recover(&state, &caller, &hook.public_id, start).await,
        None => return detail(&state, (&member, &caller), hook, Extras { since, ..Extras::default() }).await,
    };
    let recovered = match recovered {
        Ok(count) => Some(count),
        // A disabled endpoint's queued messages are cancelled, not sent.
        Err(EndpointError::Disabled) => {
            since.error = Some("Enable the endpoint first: a disabled endpoint is sent nothing.".into());
            None
        }
        Err(e) => return Err(e.into()),
    };
    detail(&state, (&member, &caller), hook, Extras { since, recovered, ..Extras::default() }).await
}
