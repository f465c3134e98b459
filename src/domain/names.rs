use super::ParseError;
use std::fmt;

/// Trims `input` and checks it is 1..=`max` characters with no control characters.
fn parse_text(input: &str, what: &str, max: usize) -> Result<String, ParseError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(ParseError::new(format!("Enter {what}.")));
    }
    if value.chars().count() > max {
        return Err(ParseError::new(format!("Use at most {max} characters.")));
    }
    if value.chars().any(char::is_control) {
        return Err(ParseError::new("Remove the control characters."));
    }
    Ok(value.to_owned())
}

/// An organisation's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        parse_text(input, "the organisation's name", 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        parse_text(input, "a name", 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(OrgName::parse("  Acme Inc ").map(|n| n.0), Ok("Acme Inc".into()));
        assert!(OrgName::parse("   ").is_err());
        assert!(OrgName::parse(&"x".repeat(101)).is_err());
        assert!(PersonName::parse(&"é".repeat(100)).is_ok());
        assert!(PersonName::parse("Ada\u{0}Lovelace").is_err());
    }
}
