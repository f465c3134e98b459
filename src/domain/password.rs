use super::ParseError;

/// A candidate password for a new account. `Debug` never shows it.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.chars().count() < Self::MIN_CHARS {
            return Err(ParseError::new(format!("Use at least {} characters.", Self::MIN_CHARS)));
        }
        if input.len() > Self::MAX_BYTES {
            return Err(ParseError::new("Use at most 1024 bytes."));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::Password;

    #[test]
    fn short_passwords_are_refused_and_debug_is_redacted() {
        assert!(Password::parse("1234567").is_err());
        let p = Password::parse("correct horse").expect("valid");
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
        assert!(Password::parse(&"x".repeat(1025)).is_err());
    }
}
