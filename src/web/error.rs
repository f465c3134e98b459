//! The web layer's one error type. What a user may see is separated from
//! internal failures, which render an opaque 500 and log their cause.

use crate::app::{DbError, error_chain};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

/// The page every error answers with (its own template: the error layer needs nothing of `pages`).
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: &'static str,
    /// Where to go instead (href, words), else the console's home.
    way: Option<(String, &'static str)>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not logged in: redirect to the login page, then back to `next`.
    #[error("not logged in")]
    Unauthenticated { next: Option<String> },
    #[error("forbidden")]
    Forbidden,
    /// Platform staff opened an organisation's console pages: they read an
    /// organisation through the support console instead.
    #[error("staff outside the support console")]
    StaffOutside { slug: String },
    /// The organisation requires a second factor and the user has none: a
    /// page (`read`) leads to the account page to add one; a change is 403.
    #[error("second factor required")]
    SecondFactorRequired { read: bool, org: String },
    #[error("not found")]
    NotFound,
    /// The path exists but not for this method; `Allow` lists the methods it takes.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("CSRF check failed")]
    Csrf,
    /// The organisation's plan does not include this (API keys need `paid`).
    #[error("paid plan required")]
    PlanRequired,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A form body over the request limit.
    #[error("form too large")]
    TooLarge,
    /// A database failure: 503 when the database is unreachable, 500 otherwise.
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthenticated { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden | Self::StaffOutside { .. } | Self::Csrf | Self::PlanRequired => StatusCode::FORBIDDEN,
            Self::SecondFactorRequired { read: true, .. } => StatusCode::SEE_OTHER,
            Self::SecondFactorRequired { read: false, .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Db(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Db(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Unauthenticated { next } = self {
            let location = match next.as_deref().filter(|n| *n != "/") {
                Some(n) => {
                    format!(
                        "{}?next={}",
                        crate::domain::urls::LOGIN,
                        url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
                    )
                }
                None => crate::domain::urls::LOGIN.to_owned(),
            };
            return HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish();
        }
        if let Self::SecondFactorRequired { read: true, org } = self {
            // The page with the one thing to do, naming the organisation that asks.
            let location = format!("{}?required={org}", crate::domain::urls::TWO_FACTOR);
            return HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish();
        }
        let (title, message) = match self {
            Self::Forbidden => (
                "You don't have access to this page",
                "Your role in this organisation does not include this page. Ask an owner if you need access.",
            ),
            Self::StaffOutside { .. } => (
                "This is the support console's to show",
                "You are platform staff, not a member of this organisation: you read its audit log and API keys, without changing anything, in the support console.",
            ),
            Self::SecondFactorRequired { .. } => (
                "Two-factor authentication required",
                "This organisation requires two-factor authentication. Add an authenticator app or a passkey on your account page first.",
            ),
            Self::PlanRequired => (
                "API keys need a paid plan",
                "This organisation is on a free or trial plan. Existing keys can still be viewed, revoked and deleted.",
            ),
            Self::NotFound => ("Page not found", "There is nothing here, or you don't have access to it."),
            Self::MethodNotAllowed { .. } => {
                ("Method not allowed", "This page exists, but not for this kind of request. Go back and use its links.")
            }
            Self::Csrf => (
                "This form has expired",
                "The form's security token did not match. Go back, reload the page and try again.",
            ),
            Self::BadRequest(_) => ("Bad request", "The request could not be understood."),
            Self::TooLarge => (
                "This form is too large",
                "Forms may send at most 64 KiB. Go back, shorten the longest field and try again.",
            ),
            Self::Db(e) if e.is_unavailable() => {
                ("Temporarily unavailable", "The database cannot be reached right now. Try again in a moment.")
            }
            _ => ("Something went wrong", "An unexpected error occurred. It has been logged."),
        };
        match self {
            Self::Db(_) | Self::Internal(_) => {
                tracing::error!(cause = %error_chain(self), "request failed")
            }
            Self::BadRequest(cause) => tracing::info!(%cause, "bad request"),
            _ => {}
        }
        let status = self.status_code();
        let way = match self {
            Self::StaffOutside { slug } => {
                Some((crate::domain::urls::support_audit_log(slug), "Open it in the support console"))
            }
            _ => None,
        };
        let page = ErrorPage { status: status.as_u16(), title, message, way };
        let body = page.render().unwrap_or_else(|_| title.to_owned());
        let mut res = HttpResponse::build(status);
        if let Self::MethodNotAllowed { allow } = self {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .body(body)
    }
}
