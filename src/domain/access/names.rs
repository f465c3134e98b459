//! The names an API definition is made of: its slug, its roles' slugs and
//! its host names, each checked when parsed and written as a plain string.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a slug type: its text, JSON as a string, `Display`.
macro_rules! text_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(value: String) -> Result<Self, ParseError> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

fn slug_chars(value: &str, max: usize, extra: &[u8]) -> bool {
    (1..=max).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b))
}

/// An API's URL name: `a-z`, `0-9` and `-`, 1–40 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApiSlug(String);

impl ApiSlug {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim();
        if !slug_chars(value, 40, b"-") {
            return Err(ParseError::new("Use 1–40 lowercase letters, digits and hyphens."));
        }
        Ok(Self(value.to_owned()))
    }

    /// The built-in sample API's slug.
    pub fn sample() -> Self {
        Self(super::sample::SAMPLE_SLUG.to_owned())
    }

    pub fn is_sample(&self) -> bool {
        self.0 == super::sample::SAMPLE_SLUG
    }
}
text_value!(ApiSlug);

/// A role's slug: `a-z`, `0-9`, `_` and `-`, 1–64 characters (a role is no
/// permission, so it needs no `.` or `:`, and reads well as `billing-admin`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoleSlug(String);

impl RoleSlug {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim();
        if !slug_chars(value, 64, b"-_") {
            return Err(ParseError::new("Use 1–64 lowercase letters, digits, hyphens and underscores."));
        }
        Ok(Self(value.to_owned()))
    }
}
text_value!(RoleSlug);

/// A host name requests for the API arrive on: DNS labels of `a-z`, `0-9`
/// and inner `-`, joined by `.`, at most 253 characters; no port. Upper
/// case is lowered (host names are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Host(String);

impl Host {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim().to_ascii_lowercase();
        if value.contains([':', '/', '@', '?', '#']) {
            return Err(ParseError::new("Give the host name alone, like api.example.com: no scheme, port or path."));
        }
        let label_ok = |l: &str| slug_chars(l, 63, b"-") && !l.starts_with('-') && !l.ends_with('-');
        if value.len() > 253 || !value.split('.').all(label_ok) {
            return Err(ParseError::new(
                "Use a host name like api.example.com: letters, digits and inner hyphens in parts of at most \
                 63 characters, joined by dots, 253 characters in all.",
            ));
        }
        Ok(Self(value))
    }
}
text_value!(Host);
