//! `/docs/api`: readable API documentation with curl examples for this server.

use super::render;
use crate::app::state::AppState;
use crate::domain::records::{Field, fields, id_prefix};
use crate::domain::scopes::Resource;
use crate::web::error::AppError;
use actix_web::{HttpResponse, web};
use askama::Template;

pub struct ResourceDoc {
    pub name: &'static str,
    pub prefix: &'static str,
    pub fields: &'static [Field],
    pub example: String,
}

/// A webhook event type as the page lists it: its example body, pretty-printed.
pub struct EventView {
    pub event_type: &'static str,
    pub summary: &'static str,
    pub example: String,
}

#[derive(Template)]
#[template(path = "docs_api.html")]
struct DocsPage {
    base: String,
    resources: Vec<ResourceDoc>,
    events: Vec<EventView>,
}

fn example(resource: Resource) -> &'static str {
    match resource {
        Resource::Customers => r#"{"email": "ada@example.com", "name": "Ada Lovelace"}"#,
        Resource::Orders => r#"{"customer_email": "ada@example.com", "total_cents": 4200, "currency": "EUR"}"#,
        Resource::Products => r#"{"name": "Mug", "sku": "MUG-1", "price_cents": 900}"#,
        Resource::Categories => r#"{"name": "Kitchen"}"#,
    }
}

pub async fn api(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    // The examples use the configured public URL, never a client-supplied Host header.
    let base = state.config.public_url.origin().to_owned();
    let resources = Resource::ALL
        .into_iter()
        .map(|r| ResourceDoc {
            name: r.as_str(),
            prefix: id_prefix(r),
            fields: fields(r),
            example: example(r).to_owned(),
        })
        .collect();
    let events = crate::app::webhooks::catalog::events()
        .into_iter()
        .map(|e| EventView {
            event_type: e.event_type.as_str(),
            summary: e.summary,
            example: serde_json::to_string_pretty(&e.example).unwrap_or_default(),
        })
        .collect();
    render(&DocsPage { base, resources, events })
}
