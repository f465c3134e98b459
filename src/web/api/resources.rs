//! `/api/v1/{customers,orders,products,categories}`: list, create, get,
//! update (PATCH) and delete. Whether a key may is decided like a request
//! to any API Latchkey guards: by the built-in sample API's route table
//! (GET needs `<resource>:read or <resource>:write`, the rest
//! `<resource>:write`), against the key's grants and roles there.

use super::auth::BearerKey;
use super::body::json_object;
use super::error::{ApiError, Code};
use crate::app::resources::{self, object};
use crate::app::state::AppState;
use crate::domain::access::{ApiDefinition, Check, Decision, KeyAccess};
use crate::domain::records::{FieldError, validate_create, validate_patch};
use crate::domain::scopes::Resource;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use super::openapi::{DEFAULT_LIMIT, MAX_LIMIT};

fn resource(name: &str) -> Result<Resource, ApiError> {
    Resource::ALL.into_iter().find(|r| r.as_str() == name).ok_or_else(|| ApiError::new(Code::NotFound))
}

/// 403 `insufficient_scope` naming the permission (scope) missing, unless
/// the sample API lets the key make this request. A key of another API
/// holds nothing here. HEAD is decided as the GET it mirrors.
fn require(key: &BearerKey, req: &HttpRequest) -> Result<(), ApiError> {
    let (scopes, nothing) = (key.key().scopes(), KeyAccess::default());
    let access = if scopes.api().is_sample() { scopes.access() } else { &nothing };
    let method = if req.method() == actix_web::http::Method::HEAD { "GET" } else { req.method().as_str() };
    match ApiDefinition::built_in().decide(access, Check::Request { method, target: req.path() }) {
        Decision::Allowed { .. } => Ok(()),
        Decision::InsufficientPermissions { missing } => {
            let names: Vec<&str> = missing.iter().map(|p| p.as_str()).collect();
            let message = format!("This API key needs the {} scope for this request.", names.join(" and "));
            Err(ApiError::with_message(Code::InsufficientScope, message))
        }
        Decision::NoRoute => Err(ApiError::new(Code::NotFound)),
    }
}

/// A list page's `limit` and `cursor`. Each may be given once; a repeated
/// parameter is refused (naming it) rather than silently ignored.
pub(super) fn list_params(query: &str) -> Result<(i64, i64), Vec<FieldError>> {
    let pairs: Vec<(String, String)> = serde_html_form::from_str(query).unwrap_or_default();
    let mut details = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let (mut limit, mut after) = (DEFAULT_LIMIT, 0);
    for (name, value) in &pairs {
        if !seen.insert(name.as_str()) {
            if matches!(name.as_str(), "limit" | "cursor") {
                details.push(FieldError {
                    field: name.clone(),
                    message: "is a query parameter given more than once".into(),
                });
            }
            continue;
        }
        match name.as_str() {
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => limit = n,
                _ => details.push(FieldError {
                    field: "limit".into(),
                    message: format!("must be an integer from 1 to {MAX_LIMIT}"),
                }),
            },
            // Cursors are the positive row ids this API hands out (empty: the first page).
            "cursor" if value.is_empty() => {}
            "cursor" => match value.parse::<i64>() {
                Ok(n) if value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit()) => after = n,
                _ => details.push(FieldError {
                    field: "cursor".into(),
                    message: "is not a cursor from a previous page".into(),
                }),
            },
            _ => {}
        }
    }
    if details.is_empty() { Ok((limit, after)) } else { Err(details) }
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    kind: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let res = resource(&kind)?;
    require(&key, &req)?;
    let (limit, after) = list_params(req.query_string()).map_err(ApiError::query_validation)?;
    let rows = resources::page(&state, key.org().id, res, (after, limit + 1)).await?;
    Ok(HttpResponse::Ok().json(super::page_body(&rows, limit, |r| r.id, object)))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = path.into_inner();
    let res = resource(&kind)?;
    require(&key, &req)?;
    let found = resources::find(&state, key.org().id, res, &id).await?;
    let record = found.ok_or_else(|| ApiError::new(Code::NotFound))?;
    Ok(HttpResponse::Ok().json(object(&record)))
}

fn unknown_category() -> Vec<FieldError> {
    vec![FieldError { field: "category_id".into(), message: "no category with this id".into() }]
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    kind: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let res = resource(&kind)?;
    require(&key, &req)?;
    let body = json_object(&req, payload).await?;
    let fields = validate_create(res, &body).map_err(ApiError::validation)?;
    let by = (key.org().id, key.key().key_id.to_string());
    let created = resources::create(&state, by, res, fields).await?;
    let record = created.map_err(|_| ApiError::validation(unknown_category()))?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/{}/{}", res.as_str(), record.public_id)))
        .json(object(&record)))
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = path.into_inner();
    let res = resource(&kind)?;
    require(&key, &req)?;
    let found = resources::find(&state, key.org().id, res, &id).await?;
    let record = found.ok_or_else(|| ApiError::new(Code::NotFound))?;
    let body = json_object(&req, payload).await?;
    let current: Map<String, Value> = serde_json::from_str(&record.data).unwrap_or_default();
    let fields = validate_patch(res, &current, &body).map_err(ApiError::validation)?;
    let updated = resources::update(&state, record, body, fields).await?;
    let record =
        updated.map_err(|_| ApiError::validation(unknown_category()))?.ok_or_else(|| ApiError::new(Code::NotFound))?;
    Ok(HttpResponse::Ok().json(object(&record)))
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = path.into_inner();
    let res = resource(&kind)?;
    require(&key, &req)?;
    let found = resources::delete(&state, key.org().id, res, &id).await?;
    if found { Ok(HttpResponse::NoContent().finish()) } else { Err(ApiError::new(Code::NotFound)) }
}
