//! Console pages: one module per page, each a few short handlers that
//! parse, call one use case (`app::…`) and render its result.

pub mod account;
pub mod api_keys;
pub mod apis;
pub mod assets;
pub mod audit_log;
pub mod chart;
pub mod dashboard;
pub mod docs;
pub mod health;
pub mod home;
pub mod invitations;
pub mod login;
pub mod login_two_factor;
pub mod members;
pub mod notice;
pub mod passkeys;
pub mod password_reset;
mod refusals;
pub mod security;
pub mod setup;
pub mod sso;
pub mod sso_login;
pub mod sudo;
pub mod support;
pub mod templates;
pub mod two_factor;
pub mod webhooks;

use crate::web::error::AppError;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use askama::Template;
pub use notice::Notice;

/// Renders a page. Console pages hold tenant data, so no cache may keep them.
pub fn render<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, page)
}

/// Renders a page with another status, e.g. 422 for a form shown again with errors.
pub fn render_status<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    let body = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// 303 See Other: the answer to a successful form POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Redirects to `location`, which shows `notice` once: the notice travels in
/// the session (a flash), not in the URL, so a refresh or a shared link never
/// shows it again (and nobody can put words in it through a link).
pub fn see_other_with_notice(session: &actix_session::Session, location: &str, notice: Notice) -> HttpResponse {
    notice::set(session, notice);
    see_other(location)
}

/// A `next` target is followed only when it is a path on this site
/// (`/x`, never `//evil.example` or `/\evil.example`).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?;
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    local.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_limited_to_local_paths() {
        assert_eq!(safe_next(Some("/orgs/acme")), Some("/orgs/acme".into()));
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "evil", "/a\r\nSet-Cookie: x"] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?} was accepted");
        }
    }
}
