//! SCIM 2.0 at `/scim/v2` (docs/user-guide.md: SCIM provisioning): Users,
//! and the discovery documents an identity provider reads first. Every
//! request carries the organisation's SCIM token (`Authorization: Bearer`);
//! answers are `application/scim+json`, refusals SCIM error bodies.

mod discovery;

use crate::app::audit::RequestMeta;
use crate::app::scim::{self, Resource, ScimError, write};
use crate::app::state::AppState;
use crate::db::orgs::Org;
use crate::domain::scim::{LIST_SCHEMA, Problem, select_attributes, user_name_filter};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;

const CONTENT_TYPE: &str = "application/scim+json";

/// The routes, under `/scim/v2`; a method a path does not serve answers 405.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let refuse = || {
        web::to(|| async {
            problem(&Problem { status: 405, scim_type: None, detail: "Method not allowed here.".into() })
        })
    };
    cfg.service(
        web::scope("/scim/v2")
            .wrap(crate::web::middleware::api_security_headers())
            .service(
                web::resource("/ServiceProviderConfig")
                    .route(web::get().to(discovery::service_provider_config))
                    .default_service(refuse()),
            )
            .service(
                web::resource("/ResourceTypes")
                    .route(web::get().to(discovery::resource_types))
                    .default_service(refuse()),
            )
            .service(
                web::resource("/ResourceTypes/{id}")
                    .route(web::get().to(discovery::resource_type))
                    .default_service(refuse()),
            )
            .service(web::resource("/Schemas").route(web::get().to(discovery::schemas)).default_service(refuse()))
            .service(web::resource("/Schemas/{id}").route(web::get().to(discovery::schema)).default_service(refuse()))
            .service(
                web::resource("/Users")
                    .route(web::get().to(list))
                    .route(web::post().to(create))
                    .default_service(refuse()),
            )
            .service(
                web::resource("/Users/{id}")
                    .route(web::get().to(get))
                    .route(web::put().to(replace))
                    .route(web::patch().to(patch))
                    .route(web::delete().to(delete))
                    .default_service(refuse()),
            )
            .service(web::resource("/.search").to(|| async {
                problem(&Problem {
                    status: 501,
                    scim_type: None,
                    detail: "POST /.search is not supported: use GET with filter.".into(),
                })
            }))
            .default_service(web::to(|| async {
                problem(&Problem { status: 404, scim_type: None, detail: "No such resource.".into() })
            })),
    );
}

/// The organisation whose SCIM token the request carries.
pub struct ScimOrg(pub Org);

impl FromRequest for ScimOrg {
    type Error = ScimRefusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_owned());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let unauthorized = || {
                ScimRefusal(Problem { status: 401, scim_type: None, detail: "A valid SCIM token is required.".into() })
            };
            let (Some(token), Some(state)) = (token, state) else { return Err(unauthorized()) };
            match scim::authenticate(&state, &token).await {
                Ok(Some(org)) => Ok(Self(org)),
                Ok(None) => Err(unauthorized()),
                Err(e) => {
                    tracing::warn!(error = %crate::db::chain(&e), "SCIM token check failed");
                    Err(ScimRefusal(Problem { status: 503, scim_type: None, detail: "Unavailable; try again.".into() }))
                }
            }
        })
    }
}

/// A SCIM refusal as an actix error.
#[derive(Debug)]
pub struct ScimRefusal(Problem);

impl std::fmt::Display for ScimRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.detail)
    }
}

impl actix_web::ResponseError for ScimRefusal {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = problem(&self.0);
        if self.0.status == 401 {
            res.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        res
    }
}

impl From<ScimError> for ScimRefusal {
    fn from(e: ScimError) -> Self {
        match e {
            ScimError::Problem(p) => Self(p),
            ScimError::Db(e) => {
                tracing::error!(error = %crate::db::chain(&e), "SCIM request failed");
                Self(Problem { status: 500, scim_type: None, detail: "The request failed.".into() })
            }
        }
    }
}

pub(super) fn problem(p: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse::build(status).content_type(CONTENT_TYPE).json(p.to_json())
}

pub(super) fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status).content_type(CONTENT_TYPE).json(body)
}

/// Where this server's SCIM root is, for `meta.location`.
pub(super) fn base(state: &AppState) -> String {
    format!("{}/scim/v2", state.config.public_url.origin())
}

fn user_json(state: &AppState, r: &Resource) -> Value {
    let time = |t: chrono::NaiveDateTime| t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let meta = json!({
        "resourceType": "User", "created": time(r.created), "lastModified": time(r.updated),
        "location": format!("{}/Users/{}", base(state), r.id.get()),
    });
    r.user.to_json(&r.id.get().to_string(), meta)
}

#[derive(Deserialize)]
pub struct Selection {
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded: Option<String>,
}

fn selected(mut body: Value, s: &Selection) -> Value {
    select_attributes(&mut body, s.attributes.as_deref(), s.excluded.as_deref());
    body
}

#[derive(Deserialize)]
pub struct ListQuery {
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded: Option<String>,
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<usize>,
    count: Option<usize>,
}

async fn list(
    state: web::Data<AppState>,
    org: ScimOrg,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ScimRefusal> {
    let name = query.filter.as_deref().map(user_name_filter).transpose().map_err(ScimRefusal)?;
    let all = scim::list(&state, &org.0, name).await?;
    let start = query.start_index.unwrap_or(1).max(1);
    let count = query.count.unwrap_or(200).min(200);
    let selection = Selection { attributes: query.attributes.clone(), excluded: query.excluded.clone() };
    let page: Vec<Value> =
        all.iter().skip(start - 1).take(count).map(|r| selected(user_json(&state, r), &selection)).collect();
    let body = json!({
        "schemas": [LIST_SCHEMA], "totalResults": all.len(), "startIndex": start,
        "itemsPerPage": page.len(), "Resources": page,
    });
    Ok(scim_json(StatusCode::OK, &body))
}

async fn get(
    state: web::Data<AppState>,
    org: ScimOrg,
    id: web::Path<String>,
    selection: web::Query<Selection>,
) -> Result<HttpResponse, ScimRefusal> {
    let resource = scim::get(&state, &org.0, &id).await?;
    Ok(scim_json(StatusCode::OK, &selected(user_json(&state, &resource), &selection)))
}

async fn create(
    state: web::Data<AppState>,
    org: ScimOrg,
    meta: RequestMeta,
    body: web::Bytes,
) -> Result<HttpResponse, ScimRefusal> {
    let resource = write::create(&state, &org.0, parse(&body)?, &meta).await?;
    let body = user_json(&state, &resource);
    let mut res = scim_json(StatusCode::CREATED, &body);
    if let Some(Ok(location)) = body["meta"]["location"].as_str().map(actix_web::http::header::HeaderValue::from_str) {
        res.headers_mut().insert(actix_web::http::header::LOCATION, location);
    }
    Ok(res)
}

async fn replace(
    state: web::Data<AppState>,
    org: ScimOrg,
    meta: RequestMeta,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimRefusal> {
    let resource = write::replace(&state, &org.0, &id, parse(&body)?, &meta).await?;
    Ok(scim_json(StatusCode::OK, &user_json(&state, &resource)))
}

async fn patch(
    state: web::Data<AppState>,
    org: ScimOrg,
    meta: RequestMeta,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimRefusal> {
    let resource = write::patch(&state, &org.0, &id, parse(&body)?, &meta).await?;
    Ok(scim_json(StatusCode::OK, &user_json(&state, &resource)))
}

async fn delete(
    state: web::Data<AppState>,
    org: ScimOrg,
    meta: RequestMeta,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimRefusal> {
    write::delete(&state, &org.0, &id, &meta).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn parse(body: &[u8]) -> Result<Value, ScimRefusal> {
    serde_json::from_slice(body).map_err(|e| {
        ScimRefusal(Problem { status: 400, scim_type: Some("invalidSyntax"), detail: format!("Not JSON: {e}") })
    })
}
