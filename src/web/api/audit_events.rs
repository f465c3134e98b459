//! `GET /api/v1/audit-events` (`audit:read`; docs/api-guide.md: Audit events): the
//! organisation's audit log with the console's filters, newest first in
//! keyset pages, or — with `after=<seq>` — oldest first from that point, for
//! incremental pulls. Every event carries `seq`, `prev_hash` and `hash`, so a
//! client can verify the chain it pulled.

use super::auth::BearerKey;
use super::error::ApiError;
use crate::app::audit::RequestMeta;
use crate::app::audit::export::json;
use crate::app::audit::filter::{FilterInput, parse};
use crate::app::audit_log::{self as reads, Filter};
use crate::app::state::AppState;
use crate::domain::records::FieldError;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// The query: the console's filters, and `after` (the last `seq` the client has).
#[derive(Default)]
struct Query {
    values: std::collections::BTreeMap<String, String>,
    filter: Filter,
    after: Option<i64>,
}

fn query(raw: &str) -> Result<Query, Vec<FieldError>> {
    let pairs: Vec<(String, String)> = serde_html_form::from_str(raw).unwrap_or_default();
    let mut q = Query::default();
    let mut details = Vec::new();
    for (name, value) in pairs {
        if matches!(name.as_str(), "actor" | "action" | "target" | "from" | "to" | "after")
            && q.values.insert(name.clone(), value.clone()).is_some()
        {
            details
                .push(FieldError { field: name.clone(), message: "is a query parameter given more than once".into() });
        }
    }
    // The console's form trims what was typed; the API takes values as sent.
    for name in ["action", "from", "to"] {
        if q.values.get(name).is_some_and(|v| v.trim() != v) {
            details.push(FieldError { field: name.into(), message: "has white space around it".into() });
        }
    }
    if let Some(after) = q.values.get("after") {
        match after.parse::<i64>() {
            Ok(n) if n >= 0 && after.len() <= 18 && after.bytes().all(|b| b.is_ascii_digit()) => q.after = Some(n),
            _ => details.push(FieldError {
                field: "after".into(),
                message: "must be the seq of an event (0 = from the start)".into(),
            }),
        }
    }
    let input = |name: &str| q.values.get(name).map(String::as_str).unwrap_or_default().to_owned();
    let (actor, action, target, from, to) =
        (input("actor"), input("action"), input("target"), input("from"), input("to"));
    let (filter, errors) = parse(FilterInput { actor: &actor, action: &action, target: &target, from: &from, to: &to });
    q.filter = filter;
    details.extend(errors.into_iter().map(|(field, message)| FieldError { field: field.into(), message }));
    if details.is_empty() { Ok(q) } else { Err(details) }
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    reads::authorize(&caller)?;
    let (limit, before) = super::resources::list_params(req.query_string()).map_err(ApiError::query_validation)?;
    let q = query(req.query_string()).map_err(ApiError::query_validation)?;
    if q.after.is_some() && before > 0 {
        let both = FieldError { field: "cursor".into(), message: "cannot be combined with after".into() };
        return Err(ApiError::query_validation(vec![both]));
    }
    let after = q.after;
    let rows = reads::api_page(&state, &caller, (q.filter, before, after), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let page = &rows[..rows.len().min(limit as usize)];
    let data: Vec<Value> = page.iter().map(json).collect();
    let body = match after {
        Some(seq) => json!({
            "data": data,
            "next_cursor": null,
            "next_after": page.last().map_or(seq, |e| e.seq),
            "has_more": more,
        }),
        None => json!({
            "data": data,
            "next_cursor": more.then(|| page.last().map(|e| e.id.to_string())).flatten(),
            "next_after": null,
            "has_more": more,
        }),
    };
    Ok(HttpResponse::Ok().json(body))
}
