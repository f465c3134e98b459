//! An endpoint's page (docs/user-guide.md: Webhooks → Webhook operations): its health
//! mark, Send test / Send example with the terminal-style panel, the
//! attempt log (filters, pages, Resend) and Recover.

use super::attempts::{self, AttemptForm, AttemptQuery};
use super::{links, load};
use crate::app::audit::{Actor, RequestMeta};
use crate::app::state::AppState;
use crate::app::webhooks::health::{self, Health};
use crate::app::webhooks::send::Attempt;
use crate::app::webhooks::{endpoints, examples};
use crate::db::deliveries::{self, AttemptRow};
use crate::db::webhooks::Endpoint;
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
    attempts: Vec<(AttemptRow, String, String)>,
    older: Option<i64>,
    filters: AttemptForm,
    event_types: [EventType; 15],
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
    member: &OrgMember,
    hook: Endpoint,
    extras: Extras,
) -> Result<HttpResponse, AppError> {
    let (filter, before, filters) = attempts::parse(&extras.query);
    let (scope, listed) = (deliveries::EndpointScope::from(&hook), !filters.has_errors());
    let ((attempts, older), recent) = state
        .db
        .run(move |conn| {
            let page = if listed { attempts::load_page(conn, scope, &filter, before)? } else { Default::default() };
            Ok::<_, crate::db::QueryError>((page, deliveries::recent_statuses(conn, scope, health::RECENT)?))
        })
        .await?;
    let at = crate::db::now();
    let invalid = !listed || extras.test_event.error.is_some() || extras.since.error.is_some();
    let page = DetailPage {
        chrome: Chrome::for_member(member, NavItem::Webhooks),
        links: links(member),
        health: health::of(&hook, &recent, at),
        previous_until: hook.previous_until.filter(|t| *t > at).map(|t| crate::domain::timefmt::exact(&t)),
        hook,
        result: extras.result,
        attempts,
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
    path: web::Path<(String, String)>,
    query: web::Query<AttemptQuery>,
) -> Result<HttpResponse, AppError> {
    let hook = load(&state, &member, path.into_inner().1).await?;
    detail(&state, &member, hook, Extras { query: query.into_inner(), ..Extras::default() }).await
}

/// Resend: one more attempt of a message now (recorded as manual).
pub async fn resend(
    state: web::Data<AppState>,
    member: OrgMember,
    path: web::Path<(String, String, String)>,
    _form: CsrfForm<crate::web::auth::csrf::NoFields>,
) -> Result<HttpResponse, AppError> {
    let (_, id, message_id) = path.into_inner();
    let hook = load(&state, &member, id).await?;
    let scope = deliveries::EndpointScope::from(&hook);
    let delivery = state
        .db
        .run(move |conn| deliveries::find_for_endpoint(conn, scope, &message_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let result = crate::jobs::deliveries::deliver(&state, delivery.id, "manual").await?;
    detail(&state, &member, hook, Extras { result, ..Extras::default() }).await
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
    let hook = load(&state, &member, path.into_inner().1).await?;
    let mut test_event = Field::new(form.event.trim());
    let event_type = match examples::parse_event(&form.event) {
        Ok(event_type) => event_type,
        Err(e) => {
            test_event.error = Some(e);
            return detail(&state, &member, hook, Extras { test_event, ..Extras::default() }).await;
        }
    };
    let actor = Actor::user(&member.current.user);
    let attempt = crate::jobs::deliveries::send_test(&state, &hook, event_type, &actor, &meta).await?;
    detail(&state, &member, hook, Extras { result: Some(attempt), test_event, ..Extras::default() }).await
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
    let hook = load(&state, &member, path.into_inner().1).await?;
    let mut since = Field::new(form.since.trim());
    let (start, _, errors) = crate::app::audit::filter::parse_range(&since.value, "");
    since.error = match (start, errors.into_iter().next()) {
        (_, Some((_, message))) => Some(message),
        (None, None) => Some("Enter the day or minute (UTC) to recover from, like 2026-01-31.".into()),
        // A disabled endpoint's queued messages are cancelled, not sent.
        _ if !hook.enabled => Some("Enable the endpoint first: a disabled endpoint is sent nothing.".into()),
        _ => None,
    };
    let Some(start) = start.filter(|_| since.error.is_none()) else {
        return detail(&state, &member, hook, Extras { since, ..Extras::default() }).await;
    };
    let (actor, recovered) = (Actor::user(&member.current.user), hook.clone());
    let count = state.db.run(move |conn| endpoints::recover(conn, &recovered, start, &actor, &meta)).await?;
    detail(&state, &member, hook, Extras { since, recovered: Some(count), ..Extras::default() }).await
}
