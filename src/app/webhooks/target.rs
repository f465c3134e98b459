//! Where a webhook may be sent: a parsed URL, and the one checked address
//! the sender will connect to (docs/user-guide.md: Webhooks; resolve once, check, connect only there).

pub use crate::domain::webhook_url::{TargetError, parse_url};

use crate::domain::ssrf;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use url::{Host, Url};

/// Resolves the host once and checks every address; returns the one to connect to.
/// Blocking (DNS): call it on the blocking pool.
pub fn resolve(url: &Url, allow_private: bool) -> Result<SocketAddr, TargetError> {
    let port = url.port_or_known_default().ok_or(TargetError::Invalid)?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            // RFC 6761 §6.4: names under `invalid` never resolve, so no resolver
            // is asked (a query would still leave the machine). The demo's endpoints live there.
            if name == "invalid" || name.ends_with(".invalid") {
                return Err(TargetError::Unresolvable(name.to_owned()));
            }
            (name, port).to_socket_addrs().map_err(|_| TargetError::Unresolvable(name.to_owned()))?.collect()
        }
        None => return Err(TargetError::Invalid),
    };
    let first =
        *addrs.first().ok_or_else(|| TargetError::Unresolvable(url.host_str().unwrap_or_default().to_owned()))?;
    if !allow_private {
        // Every answer must be public: a name that also resolves privately is refused.
        for addr in &addrs {
            ssrf::check_ip(addr.ip()).map_err(|reason| TargetError::Blocked { ip: addr.ip(), reason })?;
        }
    }
    Ok(first)
}

/// Checks an endpoint URL as typed (scheme, shape) and where it resolves
/// to now (the SSRF guard): the normalised URL, or why it is refused. The
/// console's form and the management API both call this; the address is
/// checked again at every send.
pub async fn check(input: &str, allow_insecure: bool, allow_private: bool) -> Result<String, String> {
    let url = parse_url(input.trim(), allow_insecure).map_err(|e| e.to_string())?;
    let checked = url.clone();
    match tokio::task::spawn_blocking(move || resolve(&checked, allow_private)).await {
        Ok(Ok(_)) => Ok(url.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("The address could not be checked; try again.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_and_names_resolving_to_blocked_addresses_are_refused() {
        for url in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest",
            "http://localhost./",
        ] {
            let parsed = parse_url(url, true).expect("parses");
            assert!(matches!(resolve(&parsed, false), Err(TargetError::Blocked { .. })), "{url}");
            assert!(resolve(&parsed, true).is_ok(), "{url} is allowed with the dev/test flag");
        }
    }

    #[test]
    fn names_under_invalid_fail_like_any_unresolvable_name_without_a_lookup() {
        for url in ["https://hooks.acme.invalid/x", "https://HOOKS.Acme.INVALID./x", "http://invalid/"] {
            let parsed = parse_url(url, true).expect("parses");
            for allow_private in [false, true] {
                let refused = resolve(&parsed, allow_private).expect_err(url);
                assert!(matches!(refused, TargetError::Unresolvable(_)), "{url}: {refused:?}");
                assert_eq!(refused.class(), "dns", "an ordinary failed attempt, not a blocked one");
            }
        }
    }
}
