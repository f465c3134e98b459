//! Where a request comes from, as the audit log records it: read from the
//! HTTP request here, in the web layer, so `audit` knows nothing of HTTP.

use crate::app::audit::{RequestMeta, trace_id_from_traceparent};
use crate::app::state::AppState;
use crate::web::auth::client_ip;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};

impl FromRequest for RequestMeta {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

impl RequestMeta {
    /// The client address (through the trusted proxy header), user agent, request and trace ids.
    pub fn of(req: &HttpRequest) -> Self {
        let trusted = req.app_data::<web::Data<AppState>>().and_then(|s| s.config.trusted_proxy_header.clone());
        let request_id = crate::web::middleware::current_request_id();
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let trace_id = header("traceparent").and_then(|t| trace_id_from_traceparent(&t)).or_else(|| request_id.clone());
        Self {
            ip: Some(client_ip(req, trusted.as_deref())),
            user_agent: header("user-agent").map(|ua| ua.chars().take(512).collect()),
            request_id,
            trace_id,
        }
    }
}
