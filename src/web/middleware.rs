//! Cross-cutting request handling: request ids and access logs, security
//! headers (HSTS when the public URL is https), and the first-run redirect to /setup.

use crate::app::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, HttpResponse, web};
use tracing::Instrument;

tokio::task_local! {
    /// The id of the request this task serves: echoed as `X-Request-Id`,
    /// logged, put in API errors and recorded with audit events. A task-local,
    /// so errors built deep in a handler carry it without the request in hand.
    static REQUEST_ID: String;
}

/// The id of the request being served (`None` outside a request).
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// 20 base62 digits of one random u128 (~119 bits): unique, not secret.
fn new_request_id() -> String {
    let mut n: u128 = rand::random();
    let mut id = String::with_capacity(20);
    for _ in 0..20 {
        id.push(BASE62[(n % 62) as usize] as char);
        n /= 62;
    }
    id
}

/// Paths whose last segment is a one-time token (a reset or invitation
/// link): the token is a bearer secret, so logs show `…` in its place.
const TOKEN_PATHS: [&str; 2] = ["/password-reset/", "/invitations/"];

/// The request path as logs may show it.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match TOKEN_PATHS.iter().find(|prefix| path.starts_with(*prefix) && path.len() > prefix.len()) {
        Some(prefix) => format!("{prefix}…").into(),
        None => path.into(),
    }
}

pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = new_request_id();
    let request_id = id.clone();
    let span =
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %loggable_path(req.path()));
    let started = std::time::Instant::now();
    let served = async move {
        let mut res = next.call(req).await?;
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut().insert(header::HeaderName::from_static("x-request-id"), value);
        }
        let (status, elapsed) = (res.status().as_u16(), started.elapsed());
        if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
            let request = res.request();
            let route = request.match_pattern();
            let route = route.as_deref().unwrap_or("unmatched");
            state.metrics.observe_request(request.method().as_str(), route, status, elapsed.as_secs_f64());
        }
        tracing::info!(status, latency_ms = elapsed.as_millis() as u64, "served");
        Ok(res)
    }
    .instrument(span);
    REQUEST_ID.scope(request_id, served).await
}

/// Strict CSP (no inline script or style), no framing, no sniffing.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
}

/// For JSON answers: nothing may load or frame them, and no sniffing
/// (the OWASP REST set; page-only headers would be dead weight on the hot path).
pub fn api_security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// HSTS for a year on every answer while the public URL is https (server.rs
/// wraps the whole app in it). No `includeSubDomains`: it would bind every
/// host under the public URL's host — all of a company's hosts when Latchkey
/// runs on its apex domain — which is not this application's call; the TLS
/// proxy in front can add it (and `preload`) where the whole domain is https.
pub fn strict_transport_security() -> DefaultHeaders {
    DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
}

/// Until the first user exists, every page leads to /setup.
pub async fn setup_gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    let path = req.path();
    // The API and the probes are outside this middleware altogether.
    let exempt = path == "/docs/api" || path == crate::domain::urls::SETUP || path.starts_with("/static/");
    if !exempt
        && let Some(state) = req.app_data::<web::Data<AppState>>()
        && !state.setup_done().await.map_err(crate::web::error::AppError::from)?
    {
        let res = HttpResponse::SeeOther().insert_header((header::LOCATION, crate::domain::urls::SETUP)).finish();
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
