//! The one-time tokens e-mailed links carry (password reset, invitation):
//! a kind prefix and 43 base62 characters (≈ 256 random bits). Only their
//! SHA-256 is stored, so a lookup by hash is the comparison, and a database
//! copy opens nothing. `Debug` is redacted: the token is a bearer secret.

use super::token::random_base62;

const BODY_LEN: usize = 43;

/// What a link token opens; its prefix names it in logs' redaction patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    PasswordReset,
    Invitation,
}

impl LinkKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::PasswordReset => "lkr_",
            Self::Invitation => "lki_",
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    pub fn generate(kind: LinkKind) -> Self {
        Self(format!("{}{}", kind.prefix(), random_base62(BODY_LEN)))
    }

    /// A token from a URL: `None` unless it has the shape of `kind`'s tokens
    /// (anything else cannot be one, so it never reaches the database).
    pub fn parse(kind: LinkKind, input: &str) -> Option<Self> {
        let body = input.strip_prefix(kind.prefix())?;
        (body.len() == BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| Self(input.to_owned()))
    }

    /// What the database keeps and looks up (hex SHA-256).
    pub fn hash(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.0.as_bytes()))
    }

    /// The token itself, for the one mail that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_parse_only_as_their_own_kind() {
        let a = LinkToken::generate(LinkKind::PasswordReset);
        let b = LinkToken::generate(LinkKind::PasswordReset);
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 4 + BODY_LEN);
        assert_eq!(LinkToken::parse(LinkKind::PasswordReset, a.expose()), Some(a.clone()));
        assert_eq!(LinkToken::parse(LinkKind::Invitation, a.expose()), None);
        assert_eq!(LinkToken::parse(LinkKind::PasswordReset, "lkr_short"), None);
        assert_eq!(LinkToken::parse(LinkKind::PasswordReset, &format!("lkr_{}!", "a".repeat(42))), None);
        assert_eq!(a.hash().len(), 64);
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
