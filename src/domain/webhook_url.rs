//! Where a webhook may be sent, as far as the URL alone tells: http(s) with
//! a host, https unless allowed otherwise, no credentials; and the words for
//! every refusal, including those of the address check made when the name is
//! resolved (docs/user-guide.md: Webhooks).

use crate::ssrf::Blocked;
use core::net::IpAddr;
use url::Url;

/// Why a URL or its address is refused, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("Enter a full URL, such as https://example.com/webhooks.")]
    Invalid,
    #[error("Start the URL with https://, as in https://example.com/webhooks.")]
    NoScheme,
    #[error("Webhooks are sent over https://, not {0}://.")]
    Scheme(String),
    #[error("The URL has no host name: write it as https://example.com/webhooks.")]
    NoHost,
    #[error("Use a URL of at most 2,048 characters.")]
    TooLong,
    #[error("Use an https:// URL.")]
    NotHttps,
    #[error("Remove the user name and password from the URL.")]
    Credentials,
    #[error("Could not resolve the host {0}.")]
    Unresolvable(String),
    #[error("The URL points to {reason} ({ip}); webhooks only go to public addresses.")]
    Blocked { ip: IpAddr, reason: Blocked },
}

/// Parses a webhook URL: http(s) with a host, https unless `allow_insecure`, no credentials.
pub fn parse_url(input: &str, allow_insecure: bool) -> Result<Url, TargetError> {
    let input = input.trim();
    if input.len() > 2048 {
        return Err(TargetError::TooLong);
    }
    // "example.com/hook" and "localhost:8080/hook" lack a scheme (the second parses as one).
    let url = match Url::parse(input) {
        Ok(url) if !input.contains("://") && !matches!(url.scheme(), "http" | "https") => {
            return Err(TargetError::NoScheme);
        }
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => return Err(TargetError::NoScheme),
        Err(url::ParseError::EmptyHost) => return Err(TargetError::NoHost),
        Err(_) => return Err(TargetError::Invalid),
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure => {}
        "http" => return Err(TargetError::NotHttps),
        other => return Err(TargetError::Scheme(other.to_owned())),
    }
    if url.host().is_none() {
        return Err(TargetError::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    Ok(url)
}

impl TargetError {
    /// The error class an attempt records (and `/metrics` counts): a name that
    /// does not resolve is `dns`, not a blocked address.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Unresolvable(_) => "dns",
            _ => "blocked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_without_credentials() {
        assert!(parse_url("https://hooks.example.com/x", false).is_ok());
        assert_eq!(parse_url("http://hooks.example.com/x", false), Err(TargetError::NotHttps));
        assert!(parse_url("http://hooks.example.com/x", true).is_ok());
        assert_eq!(parse_url("https://user:pw@example.com/", false), Err(TargetError::Credentials));
        for bad in ["", "example.com", "ftp://example.com/", "https://", "javascript:alert(1)"] {
            assert!(parse_url(bad, true).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn each_refusal_says_why() {
        assert_eq!(parse_url("example.com/hook", false), Err(TargetError::NoScheme));
        assert_eq!(parse_url("localhost:8080/hook", false), Err(TargetError::NoScheme));
        assert_eq!(parse_url("ftp://example.com/", false), Err(TargetError::Scheme("ftp".into())));
        assert_eq!(parse_url("https://", false), Err(TargetError::NoHost));
        assert_eq!(parse_url(&format!("https://example.com/{}", "a".repeat(2100)), false), Err(TargetError::TooLong));
        assert_eq!(
            TargetError::Scheme("ftp".into()).to_string(),
            "Webhooks are sent over https://, not ftp://.",
            "the words name the problem"
        );
    }
}
