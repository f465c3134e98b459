//! An endpoint's attempt log (docs/user-guide.md: Webhooks → Webhook operations): the
//! filters of the endpoint's page (result, event type, time) with keyset
//! pages, and the attempt page, which shows the request exactly as sent —
//! URL, every header, the body — and what came back.

use super::{links, load};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::app::webhooks::{self, AttemptFilter, AttemptRequest, AttemptRow, Endpoint};
use crate::domain::event_type::EventType;
use crate::domain::urls::WebhookPages;
use crate::web::auth::OrgMember;
use crate::web::error::AppError;
use crate::web::pages::render;
use crate::web::pages::templates::{Chrome, Field, NavItem};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// The endpoint page's query string.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AttemptQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// An attempt id: the page lists older ones.
    #[serde(default)]
    before: String,
}

/// The filter form as typed, with an error per field.
#[derive(Default)]
pub struct AttemptForm {
    pub status: Field,
    pub event: Field,
    pub from: Field,
    pub to: Field,
}

impl AttemptForm {
    pub fn has_errors(&self) -> bool {
        [&self.status, &self.event, &self.from, &self.to].iter().any(|f| f.error.is_some())
    }

    /// The filters as a query string (for the next page's link).
    pub fn query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, field) in [("status", &self.status), ("event", &self.event), ("from", &self.from), ("to", &self.to)]
        {
            if !field.value.is_empty() {
                out.append_pair(name, &field.value);
            }
        }
        out.finish()
    }
}

/// Parses the query; bad values are reported on the form (and nothing is listed).
pub fn parse(q: &AttemptQuery) -> (AttemptFilter, Option<i64>, AttemptForm) {
    let mut form = AttemptForm {
        status: Field::new(q.status.trim()),
        event: Field::new(q.event.trim()),
        from: Field::new(q.from.trim()),
        to: Field::new(q.to.trim()),
    };
    let mut filter = AttemptFilter::default();
    match form.status.value.as_str() {
        "" => {}
        "succeeded" => filter.succeeded = Some(true),
        "failed" => filter.succeeded = Some(false),
        _ => form.status.error = Some("Choose succeeded or failed.".into()),
    }
    if !form.event.value.is_empty() {
        match EventType::parse_subscribable(&form.event.value) {
            Some(t) => filter.event_type = Some(t),
            None => form.event.error = Some("Choose an event type from the list.".into()),
        }
    }
    let (from, to, errors) = crate::app::audit::filter::parse_range(&form.from.value, &form.to.value);
    (filter.from, filter.to) = (from, to);
    for (field, message) in errors {
        if field == "from" { form.from.error = Some(message) } else { form.to.error = Some(message) }
    }
    let before = q.before.trim().parse::<i64>().ok().filter(|b| *b > 0);
    (filter, before, form)
}

#[derive(Template)]
#[template(path = "webhook_attempt.html")]
struct AttemptDetailPage {
    chrome: Chrome,
    links: WebhookPages,
    hook: Endpoint,
    attempt: AttemptRow,
    event_type: String,
    event_id: String,
    request: AttemptRequest,
    request_headers: Vec<(String, String)>,
    response_headers: Vec<(String, String)>,
}

impl AttemptDetailPage {
    fn succeeded(&self) -> bool {
        self.attempt.status_code.is_some_and(|s| (200..300).contains(&s))
    }

    fn pretty(&self, body: &str) -> String {
        pretty(body)
    }
}

/// A body for reading: JSON indented, anything else (or JSON cut short) as it is.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned())
}

/// Headers as stored (a JSON array of pairs); a row written before they were kept has none.
fn pairs(json: &str) -> Vec<(String, String)> {
    serde_json::from_str(json).unwrap_or_default()
}

/// `GET …/webhooks/{id}/attempts/{attempt_id}`: 404 unless the attempt is this endpoint's.
pub async fn show(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (_, id, attempt_id) = path.into_inner();
    let caller = member.caller(meta);
    let hook = load(&state, &caller, &id).await?;
    let attempt_id: i64 = attempt_id.parse().map_err(|_| AppError::NotFound)?;
    let (attempt, request, event_type, event_id) = webhooks::attempt(&state, &caller, &hook, attempt_id).await?;
    render(&AttemptDetailPage {
        chrome: Chrome::for_member(&member, NavItem::Webhooks),
        links: links(&member),
        hook,
        attempt,
        event_type,
        event_id,
        request_headers: pairs(&request.request_headers),
        response_headers: pairs(&request.response_headers),
        request,
    })
}
