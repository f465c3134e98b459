//! Leak response values (docs/user-guide.md: Leak response): what to do with a key
//! reported exposed, and GitHub secret scanning's signing keys — the JSON
//! document GitHub publishes, read from the file
//! `LATCHKEY_GITHUB_SCANNING_KEYS` names — with the check of a report's
//! ECDSA P-256 / SHA-256 signature over the raw body.

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;

/// What to do with a key reported exposed (`LATCHKEY_EXPOSED_KEY_ACTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExposedKeyAction {
    /// Revoke it (the default): the leaked token stops working at once.
    #[default]
    Revoke,
    /// Deactivate it: it stops working until someone activates it again.
    Disable,
    /// Only record, mail and send the event.
    Notify,
}

impl ExposedKeyAction {
    pub fn parse(input: &str) -> Option<Self> {
        match input.trim() {
            "revoke" => Some(Self::Revoke),
            "disable" => Some(Self::Disable),
            "notify" => Some(Self::Notify),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
            Self::Disable => "disable",
            Self::Notify => "notify",
        }
    }
}

/// The network a client address belongs to for new-network detection: the
/// /24 of an IPv4 address, the /48 of an IPv6 one (IPv4-mapped IPv6 counts as IPv4).
pub fn network_of(ip: core::net::IpAddr) -> String {
    use core::net::IpAddr;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    let prefix = if ip.is_ipv4() { 24 } else { 48 };
    ipnet::IpNet::new(ip, prefix).map(|net| net.trunc().to_string()).unwrap_or_else(|_| ip.to_string())
}

/// GitHub's signing keys, by identifier.
#[derive(Debug, Clone, Default)]
pub struct ScanningKeys(Vec<(String, VerifyingKey)>);

#[derive(Deserialize)]
struct Document {
    public_keys: Vec<PublicKey>,
}

#[derive(Deserialize)]
struct PublicKey {
    key_identifier: String,
    key: String,
}

/// Why a report was refused (the answer is 401 either way; the reason is logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no Github-Public-Key-Identifier or Github-Public-Key-Signature header")]
    Unsigned,
    #[error("the key identifier is not in the keys file")]
    UnknownKey,
    #[error("the signature is not base64 DER")]
    Malformed,
    #[error("the signature does not verify")]
    BadSignature,
    /// `(r, n − s)` verifies wherever `(r, s)` does; only the low-S one of
    /// the pair is accepted, so a report has exactly one valid signature.
    #[error("the signature is in high-S form (a malleated copy)")]
    HighS,
}

impl ScanningKeys {
    /// Reads GitHub's document (`{"public_keys":[{"key_identifier","key":PEM,…}]}`).
    pub fn parse(json: &str) -> Result<Self, String> {
        let doc: Document = serde_json::from_str(json).map_err(|e| format!("not GitHub's keys document: {e}"))?;
        let mut keys = Vec::new();
        for k in doc.public_keys {
            let key = VerifyingKey::from_public_key_pem(&k.key)
                .map_err(|e| format!("key {:?} is not a P-256 public key in PEM: {e}", k.key_identifier))?;
            keys.push((k.key_identifier, key));
        }
        if keys.is_empty() {
            return Err("the document lists no public key".into());
        }
        Ok(Self(keys))
    }

    /// Checks `signature_b64` (base64 DER) over `body` with the key `key_id`.
    pub fn verify(&self, key_id: Option<&str>, signature_b64: Option<&str>, body: &[u8]) -> Result<(), Refused> {
        use base64::Engine;
        let (Some(key_id), Some(signature)) = (key_id, signature_b64) else { return Err(Refused::Unsigned) };
        let key = self.0.iter().find(|(id, _)| id == key_id.trim()).map(|(_, k)| k).ok_or(Refused::UnknownKey)?;
        let der = base64::engine::general_purpose::STANDARD.decode(signature.trim()).map_err(|_| Refused::Malformed)?;
        let signature = Signature::from_der(&der).map_err(|_| Refused::Malformed)?;
        // `normalize_s` answers the low-S twin only when `s` is above n/2.
        if signature.normalize_s().is_some() {
            return Err(Refused::HighS);
        }
        key.verify(body, &signature).map_err(|_| Refused::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_a_slash_24_or_a_slash_48() {
        assert_eq!(network_of("203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(network_of("::ffff:203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(network_of("2001:db8:abcd:12::1".parse().unwrap()), "2001:db8:abcd::/48");
    }

    #[test]
    fn actions_parse() {
        for action in [ExposedKeyAction::Revoke, ExposedKeyAction::Disable, ExposedKeyAction::Notify] {
            assert_eq!(ExposedKeyAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(ExposedKeyAction::parse("delete"), None);
        assert_eq!(ExposedKeyAction::default(), ExposedKeyAction::Revoke);
    }

    #[test]
    fn a_report_verifies_only_with_the_named_key_and_an_untouched_body() {
        use base64::Engine;
        use p256::ecdsa::signature::Signer;
        use p256::pkcs8::EncodePublicKey;
        let signing = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pem = signing.verifying_key().to_public_key_pem(p256::pkcs8::LineEnding::LF).unwrap();
        let doc = serde_json::json!({"public_keys": [{"key_identifier": "k1", "key": pem, "is_current": true}]});
        let keys = ScanningKeys::parse(&doc.to_string()).unwrap();
        let body = br#"[{"token":"x","type":"latchkey_api_key","url":"https://example.com","source":"content"}]"#;
        let signed: p256::ecdsa::Signature = signing.sign(body);
        let sig = signed.normalize_s().unwrap_or(signed);
        let b64 = base64::engine::general_purpose::STANDARD.encode(sig.to_der());
        assert_eq!(keys.verify(Some("k1"), Some(&b64), body), Ok(()));
        assert_eq!(keys.verify(Some("k1"), Some(&b64), b"[]"), Err(Refused::BadSignature));
        assert_eq!(keys.verify(Some("k2"), Some(&b64), body), Err(Refused::UnknownKey));
        assert_eq!(keys.verify(Some("k1"), Some("not base64!"), body), Err(Refused::Malformed));
        assert_eq!(keys.verify(None, Some(&b64), body), Err(Refused::Unsigned));
        assert!(ScanningKeys::parse(r#"{"public_keys":[]}"#).is_err());
    }

    #[test]
    fn a_high_s_twin_of_a_good_signature_is_refused() {
        use base64::Engine;
        use p256::ecdsa::signature::Signer;
        use p256::pkcs8::EncodePublicKey;
        let signing = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let pem = signing.verifying_key().to_public_key_pem(p256::pkcs8::LineEnding::LF).unwrap();
        let doc = serde_json::json!({"public_keys": [{"key_identifier": "k1", "key": pem, "is_current": true}]});
        let keys = ScanningKeys::parse(&doc.to_string()).unwrap();
        let b64 = |sig: Signature| base64::engine::general_purpose::STANDARD.encode(sig.to_der());
        for body in [&b"[]"[..], b"[ ]", b"[  ]", b"[   ]"] {
            let signed: Signature = signing.sign(body);
            let low = signed.normalize_s().unwrap_or(signed);
            let (r, s) = low.split_scalars();
            let high = Signature::from_scalars(r, -s).unwrap();
            assert!(signing.verifying_key().verify(body, &high).is_ok(), "plain ECDSA accepts the twin");
            assert_eq!(keys.verify(Some("k1"), Some(&b64(low)), body), Ok(()));
            assert_eq!(keys.verify(Some("k1"), Some(&b64(high)), body), Err(Refused::HighS));
        }
    }
}
