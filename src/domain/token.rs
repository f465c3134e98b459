//! API key tokens (docs/user-guide.md: API keys): `<prefix>_<32 base62 random><6 base62 CRC32>`.
//! The checksum lets the server refuse a mistyped or invented token without
//! touching the database; only the SHA-256 of a token is ever stored.

use super::ParseError;
use sha2::{Digest, Sha256};

pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
const DISPLAY_RANDOM_CHARS: usize = 6;

/// `n` characters drawn uniformly from the base62 alphabet with the OS-seeded CSPRNG
/// (32 characters ≈ 190.5 bits).
pub fn random_base62(n: usize) -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    (0..n).map(|_| BASE62[rng.random_range(0..BASE62.len())] as char).collect()
}

/// The IEEE CRC32 of `data` in base62, most significant digit first, padded to 6.
pub fn checksum(data: &[u8]) -> String {
    let mut value = u64::from(crc32fast::hash(data));
    let mut digits = [b'0'; CHECKSUM_LEN];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits.iter().map(|&b| b as char).collect()
}

/// The configured token prefix, such as `lk_live` or `acme_live`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let ok = !input.is_empty()
            && input.len() <= 32
            && input.starts_with(|c: char| c.is_ascii_lowercase())
            && input.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !input.ends_with('_');
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(ParseError::new("use 1–32 of a-z, 0-9 and _, starting with a letter"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for KeyPrefix {
    fn default() -> Self {
        Self("lk_live".into())
    }
}

/// A whole token. It exists only in memory, for the one response that shows
/// it and for the request that presents it; `Debug` never prints it.
pub struct ApiKeySecret(String);

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.display_prefix())
    }
}

/// The SHA-256 of a token: what the database stores and looks keys up by
/// (hex-encoded, [`to_hex`](Self::to_hex)) and the key cache is keyed by.
/// Only [`ApiKeySecret::hash`] makes one, so a hash of anything else cannot
/// be taken for a key's.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    /// The stored form: 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyHash({})", self.to_hex())
    }
}

impl ApiKeySecret {
    pub fn generate(prefix: &KeyPrefix) -> Self {
        let random = random_base62(RANDOM_LEN);
        let sum = checksum(random.as_bytes());
        Self(format!("{}_{random}{sum}", prefix.as_str()))
    }

    /// Checks shape and checksum only: no database work. Any well-formed
    /// prefix is accepted, so keys survive a change of `LATCHKEY_KEY_PREFIX`.
    pub fn parse(input: &str) -> Option<Self> {
        let (prefix, body) = input.rsplit_once('_')?;
        KeyPrefix::parse(prefix).ok()?;
        if body.len() != RANDOM_LEN + CHECKSUM_LEN || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (random, sum) = body.split_at(RANDOM_LEN);
        (checksum(random.as_bytes()) == sum).then(|| Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// `<prefix>_` and the first 6 random characters: safe to store and show.
    pub fn display_prefix(&self) -> String {
        let (prefix, body) = self.0.rsplit_once('_').unwrap_or(("", &self.0));
        format!("{prefix}_{}", &body[..DISPLAY_RANDOM_CHARS.min(body.len())])
    }
}

/// The public identifier of a key: `key_<16 base62>`. Not secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyId(String);

impl KeyId {
    pub fn generate() -> Self {
        Self(format!("key_{}", random_base62(16)))
    }

    pub fn parse(input: &str) -> Option<Self> {
        let body = input.strip_prefix("key_")?;
        (body.len() == 16 && body.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key id reads as the text it is (URLs, comparisons, SQL parameters).
impl std::ops::Deref for KeyId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Rows read the stored column straight into a `KeyId` (db/api_keys.rs);
/// one that is not well-formed fails the read instead of travelling on.
impl TryFrom<String> for KeyId {
    type Error = String;
    fn try_from(stored: String) -> Result<Self, String> {
        Self::parse(&stored).ok_or_else(|| format!("stored key id {stored:?} is not well-formed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_tokens_have_the_spec_shape() {
        let token = ApiKeySecret::generate(&KeyPrefix::default());
        let text = token.expose();
        assert!(text.starts_with("lk_live_"));
        assert_eq!(text.len(), "lk_live_".len() + 38);
        assert!(ApiKeySecret::parse(text).is_some());
        assert_eq!(token.display_prefix(), text[..14].to_owned());
        assert_eq!(token.hash().to_hex().len(), 64);
        assert_eq!(token.hash().to_hex(), hex::encode(Sha256::digest(text.as_bytes())));
        assert!(!format!("{token:?}").contains(&text[14..]), "Debug is redacted");
    }

    #[test]
    fn the_checksum_is_crc32_in_base62_most_significant_first() {
        // The CRC32 check value: CRC32("123456789") = 0xCBF43926 = 3421780262, which is 3jZRME in base62.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        assert_eq!(checksum(b"123456789"), "3jZRME");
        assert_eq!(checksum(b""), "000000");
    }

    #[test]
    fn malformed_tokens_are_refused_without_a_lookup() {
        let good = ApiKeySecret::generate(&KeyPrefix::default()).expose().to_owned();
        let mut typo = good.clone().into_bytes();
        typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
        for bad in [
            String::new(),
            "lk_live_".into(),
            good[..good.len() - 1].to_owned(),
            format!("{good}x"),
            String::from_utf8(typo).expect("utf8"),
            good.replace("lk_live_", "lk_live-"),
            format!("LK_{}", &good[8..]),
            good.replacen(|c: char| c.is_ascii_alphanumeric() && c != 'l' && c != 'k', "!", 1),
        ] {
            assert!(ApiKeySecret::parse(&bad).is_none(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn key_ids_are_public_and_well_formed() {
        let id = KeyId::generate();
        assert!(KeyId::parse(id.as_str()).is_some());
        assert!(KeyId::parse("key_short").is_none());
        assert!(KeyId::parse("cus_0123456789abcdef").is_none());
    }

    #[test]
    fn prefixes_are_validated() {
        assert!(KeyPrefix::parse("acme_live").is_ok());
        for bad in ["", "Acme", "1abc", "a-b", "abc_", &"a".repeat(33)] {
            assert!(KeyPrefix::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn every_generated_token_parses_and_any_single_change_is_caught(pos in 8usize..46, replacement in 0usize..62) {
            let token = ApiKeySecret::generate(&KeyPrefix::default());
            prop_assert!(ApiKeySecret::parse(token.expose()).is_some());
            let mut bytes = token.expose().as_bytes().to_vec();
            let new = BASE62[replacement];
            prop_assume!(bytes[pos] != new);
            bytes[pos] = new;
            let changed = String::from_utf8(bytes).expect("ascii");
            // CRC32 detects every single-character change.
            prop_assert!(ApiKeySecret::parse(&changed).is_none());
        }

        #[test]
        fn checksums_are_always_six_base62_digits(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let sum = checksum(&data);
            prop_assert_eq!(sum.len(), 6);
            prop_assert!(sum.bytes().all(|b| BASE62.contains(&b)));
        }
    }
}
