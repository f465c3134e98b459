//! CSRF protection for console forms: a synchronizer token per session,
//! compared in constant time, plus an Origin check against the public URL.

use super::session;
use crate::app::state::AppState;
use crate::web::error::AppError;
use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

/// A form body whose `csrf_token` field and `Origin` header were checked
/// before `T` was parsed. Repeated fields (`events=a&events=b`) parse into `Vec`s.
pub struct CsrfForm<T>(pub T);

/// A form with nothing but its CSRF token (logout, confirm buttons).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf_token: String,
}

/// A request with no Origin, or `Origin: null`, relies on the token alone (docs/security-model.md: Rules).
fn origin_ok(req: &HttpRequest, state: &AppState) -> bool {
    match req.headers().get(actix_web::http::header::ORIGIN).map(|v| v.to_str()) {
        None => true,
        Some(Ok("null")) => true,
        Some(Ok(origin)) => state.config.public_url.allows_origin(origin),
        Some(Err(_)) => false,
    }
}

fn token_ok(req: &HttpRequest, body: &[u8]) -> bool {
    let Some(expected) = session::stored_csrf_token(&req.get_session()) else {
        return false;
    };
    let Ok(sent) = serde_html_form::from_bytes::<TokenField>(body) else {
        return false;
    };
    !sent.csrf_token.is_empty() && bool::from(sent.csrf_token.as_bytes().ct_eq(expected.as_bytes()))
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = Bytes::from_request(&req, payload);
        Box::pin(async move {
            let state = req.app_data::<web::Data<AppState>>().ok_or(AppError::internal("no app state"))?;
            if !origin_ok(&req, state) {
                tracing::warn!(origin = ?req.headers().get("origin"), "cross-origin form post refused");
                return Err(AppError::Csrf);
            }
            let body = body.await.map_err(|e| {
                if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge
                } else {
                    AppError::BadRequest("The form could not be read.".into())
                }
            })?;
            if !token_ok(&req, &body) {
                return Err(AppError::Csrf);
            }
            serde_html_form::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))
        })
    }
}
