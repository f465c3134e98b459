use super::ParseError;
use std::fmt;

/// The URL name of an organisation: `a-z`, `0-9` and inner hyphens, 2–40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgSlug(String);

/// Slugs that would read as part of the console's own URL space.
const RESERVED: &[&str] = &["new", "settings", "support", "admin", "api", "static", "setup", "login", "logout"];

impl OrgSlug {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim().to_lowercase();
        let ok_chars = value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if value.len() < 2 || value.len() > 40 || !ok_chars || value.starts_with('-') || value.ends_with('-') {
            return Err(ParseError::new(
                "Use 2–40 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
            ));
        }
        if RESERVED.contains(&value.as_str()) {
            return Err(ParseError::new("This name is reserved; choose another."));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::OrgSlug;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(OrgSlug::parse(" Acme-2 ").map(|s| s.0), Ok("acme-2".into()));
        for bad in ["", "a", "-acme", "acme-", "ac me", "acmé", "a/b", "settings", &"a".repeat(41)] {
            assert!(OrgSlug::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
