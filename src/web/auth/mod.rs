//! Who is calling: password hashing, the session cookie, CSRF protection,
//! and the extractors handlers use to say what they need.

pub mod csrf;
pub mod extractors;
pub mod form_id;
mod request_meta;
pub mod session;

pub use csrf::CsrfForm;
pub use extractors::{CurrentUser, OrgMember};

use actix_web::HttpRequest;

/// The client's IP address: the peer, or the last hop of the configured
/// proxy header (the address our own proxy appended; earlier ones are client-supplied).
pub fn client_ip(req: &HttpRequest, trusted_header: Option<&str>) -> String {
    client_addr(req, trusted_header).map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// [`client_ip`] as an address (`None` when unknown).
pub fn client_addr(req: &HttpRequest, trusted_header: Option<&str>) -> Option<std::net::IpAddr> {
    if let Some(name) = trusted_header {
        let forwarded = req
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<std::net::IpAddr>().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.peer_addr().map(|a| a.ip())
}
