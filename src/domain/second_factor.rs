//! Second-factor values: TOTP secrets and codes (RFC 6238: SHA-1, 6 digits,
//! 30 s steps, one step either way accepted, through `totp-rs`), recovery
//! codes, and the code a person types (either of the two). No I/O here:
//! storing, sealing and the once-only rule live in the use cases.

use totp_rs::{Builder, Secret, Totp};

/// Secret length in bytes (160 bits, as RFC 4226 recommends).
const SECRET_LEN: usize = 20;
/// Recovery codes per set.
pub const RECOVERY_CODES: usize = 10;
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// 16 characters of a 31-letter alphabet: ≈ 79 bits each.
const RECOVERY_LEN: usize = 16;

/// A TOTP secret (its bytes). `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    pub fn generate() -> Self {
        use rand::Rng;
        let mut bytes = vec![0u8; SECRET_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= 16).then_some(Self(bytes))
    }

    /// A secret as typed by hand (base32).
    pub fn from_base32(text: &str) -> Option<Self> {
        Secret::try_from_base32(text.trim()).ok().and_then(|s| Self::from_bytes(s.as_bytes().to_vec()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// What a person types into an authenticator app by hand (RFC 4648 base32, no padding).
    pub fn base32(&self) -> String {
        Secret::from(self.0.clone()).to_base32()
    }

    fn totp(&self, account: &str) -> Option<Totp> {
        Builder::new()
            .with_secret(self.0.clone())
            .with_issuer(Some("Latchkey"))
            .with_account_name(account.replace(':', ""))
            .build()
            .ok()
    }

    /// The `otpauth://` URL an authenticator app scans (the QR code's content).
    pub fn otpauth_url(&self, account: &str) -> Option<String> {
        self.totp(account)?.to_url().ok()
    }

    /// The time step `code` is valid for at `unix_time` (±1 step), compared
    /// in constant time. The caller refuses a step it has accepted before.
    pub fn check(&self, code: &str, unix_time: u64) -> Option<u64> {
        self.totp("")?.check(code, unix_time)
    }

    /// The code of `unix_time` (tests compute codes the way an app does).
    pub fn code_at(&self, unix_time: u64) -> Option<String> {
        Some(self.totp("")?.generate(unix_time).to_string())
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

/// A fresh set of recovery codes, as shown once (`xxxx-xxxx-xxxx-xxxx`).
pub fn new_recovery_codes() -> Vec<String> {
    use rand::RngExt;
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..RECOVERY_LEN)
                .map(|_| RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            raw.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
        })
        .collect()
}

/// What the database keeps of a recovery code: the SHA-256 of its letters.
pub fn recovery_code_hash(normalised: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(normalised.as_bytes()))
}

/// A code typed at the second step or in sudo mode.
#[derive(Clone, PartialEq, Eq)]
pub enum Code {
    /// Six digits from the authenticator app.
    Totp(String),
    /// A recovery code, lower-cased with separators removed.
    Recovery(String),
}

impl Code {
    /// Spaces and dashes are ignored; anything else that is not one of the
    /// two shapes is no code at all.
    pub fn parse(input: &str) -> Option<Self> {
        let compact: String =
            input.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect();
        if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Self::Totp(compact));
        }
        let recovery = compact.len() == RECOVERY_LEN && compact.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
        recovery.then_some(Self::Recovery(compact))
    }
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "Code::Totp(…)",
            Self::Recovery(_) => "Code::Recovery(…)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_check_within_one_step_either_way_and_not_beyond() {
        let secret = TotpSecret::generate();
        let t = 1_800_000_000;
        let code = secret.code_at(t).expect("code");
        assert_eq!(code.len(), 6);
        assert_eq!(secret.check(&code, t), Some(t / 30));
        assert!(secret.check(&code, t + 30).is_some(), "one step late is fine");
        assert!(secret.check(&code, t + 90).is_none(), "three steps late is not");
        assert!(secret.check("000000", t).is_none() || secret.code_at(t).as_deref() == Some("000000"));
        assert_eq!(TotpSecret::from_bytes(secret.bytes().to_vec()), Some(secret.clone()));
        let url = secret.otpauth_url("ada@example.com").expect("url");
        assert!(
            url.starts_with("otpauth://totp/Latchkey:ada%40example.com?") && url.contains(&secret.base32()),
            "{url}"
        );
        assert!(!format!("{secret:?}").contains(&secret.base32()));
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_parse_back() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 19);
            let Some(Code::Recovery(n)) = Code::parse(&code.to_uppercase()) else { panic!("{code}") };
            assert_eq!(recovery_code_hash(&n), recovery_code_hash(&code.replace('-', "")));
        }
        assert_eq!(Code::parse(" 123 456 "), Some(Code::Totp("123456".into())));
        assert_eq!(Code::parse("12345"), None);
        assert_eq!(Code::parse("not a code"), None);
    }
}
