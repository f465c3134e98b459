//! `/api/v1/apis` (`apis:read` / `apis:write`; docs/api-guide.md: Management
//! API → APIs): the organisation's API definitions, each one JSON document
//! (permissions, roles and routes together), read, created, replaced,
//! changed, imported from OpenAPI and deleted through the same use cases
//! as the console.

use super::auth::BearerKey;
use super::body::{MAX_SCANNING_REPORT, json_object, read_up_to};
use super::error::{ApiError, Code};
use super::management::location;
use crate::app::apis::{self, DefinitionError, manage};
use crate::app::audit::RequestMeta;
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::domain::records::FieldError;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

impl From<DefinitionError> for ApiError {
    fn from(err: DefinitionError) -> Self {
        match err {
            DefinitionError::Denied(d) => d.into(),
            DefinitionError::NotFound => ApiError::new(Code::NotFound),
            DefinitionError::BuiltIn => ApiError::new(Code::BuiltInApi),
            DefinitionError::Exists => ApiError::new(Code::ApiExists),
            DefinitionError::InUse(n) => {
                let message = format!("{n} keys that are not revoked still belong to this API; revoke them first.");
                let mut e = ApiError::with_message(Code::ApiInUse, message);
                e.about = Some(Box::new(super::error::About::LiveKeys(n)));
                e
            }
            DefinitionError::Invalid(details) => ApiError::validation(details),
            DefinitionError::Db(e) => e.into(),
        }
    }
}

/// The calling key, checked for `apis:write` before the body is read (so
/// the refusal never depends on the body), and the body.
async fn writing(
    req: &HttpRequest,
    key: &BearerKey,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<(Caller, Map<String, Value>), ApiError> {
    let caller = key.caller(meta);
    apis::authorize(&caller, apis::Op::Write)?;
    Ok((caller, json_object(req, payload).await?))
}

/// `GET /api/v1/apis`: every API, the built-in sample first.
pub async fn list(state: web::Data<AppState>, key: BearerKey, meta: RequestMeta) -> Result<HttpResponse, ApiError> {
    let all = apis::list(&state, &key.caller(meta)).await?;
    Ok(HttpResponse::Ok().json(json!({ "data": all, "next_cursor": null })))
}

/// `POST /api/v1/apis`: a new API from its whole document.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (caller, body) = writing(&req, &key, meta, payload).await?;
    let api = manage::create(&state, &caller, Value::Object(body)).await?;
    Ok(HttpResponse::Created().insert_header(location("apis", api.slug().as_str())).json(api))
}

/// `GET /api/v1/apis/{api}`.
pub async fn get(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(apis::get(&state, &key.caller(meta), &path).await?))
}

/// `PUT /api/v1/apis/{api}`: creates it (201) or replaces the whole definition (200).
pub async fn put(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    (path, payload): (web::Path<String>, web::Payload),
) -> Result<HttpResponse, ApiError> {
    let (caller, body) = writing(&req, &key, meta, payload).await?;
    let (api, created) = manage::put(&state, &caller, &path, Value::Object(body)).await?;
    Ok(if created { HttpResponse::Created().json(api) } else { HttpResponse::Ok().json(api) })
}

/// `PATCH /api/v1/apis/{api}`: each part named replaces that part.
pub async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    (path, payload): (web::Path<String>, web::Payload),
) -> Result<HttpResponse, ApiError> {
    let (caller, body) = writing(&req, &key, meta, payload).await?;
    Ok(HttpResponse::Ok().json(manage::patch(&state, &caller, &path, body).await?))
}

/// `DELETE /api/v1/apis/{api}`: 409 `api_in_use` while keys that are not revoked belong to it.
pub async fn delete(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    manage::delete(&state, &key.caller(meta), &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `?dry_run=true|false`, once at most (a repeat is refused, not guessed at).
fn dry_run(query: &str) -> Result<bool, ApiError> {
    let pairs: Vec<(String, String)> = serde_html_form::from_str(query).unwrap_or_default();
    let given: Vec<&str> = pairs.iter().filter(|(k, _)| k == "dry_run").map(|(_, v)| v.as_str()).collect();
    let refuse = |message: &str| {
        let detail = FieldError { field: "dry_run".into(), message: message.into() };
        Err(ApiError::query_validation(vec![detail]))
    };
    match given.as_slice() {
        [] | ["false"] => Ok(false),
        ["true"] => Ok(true),
        [_] => refuse("must be true or false"),
        _ => refuse("is a query parameter given more than once"),
    }
}

/// `POST /api/v1/apis/{api}/import-openapi[?dry_run=true]`: routes and
/// permissions from an OpenAPI 3 document (JSON, up to 1 MiB), answered as
/// `{"permissions", "routes"}` whether saved or not.
pub async fn import_openapi(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    (path, payload): (web::Path<String>, web::Payload),
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    let dry_run = dry_run(req.query_string())?;
    apis::authorize(&caller, if dry_run { apis::Op::Read } else { apis::Op::Write }).map_err(ApiError::from)?;
    let body = read_up_to(&req, payload, MAX_SCANNING_REPORT).await?;
    let document: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::with_message(Code::MalformedJson, format!("The request body is not valid JSON: {e}."))
    })?;
    let import = manage::import_openapi(&state, &caller, &path, document, dry_run).await?;
    Ok(HttpResponse::Ok().json(json!({ "permissions": import.permissions, "routes": import.routes })))
}
