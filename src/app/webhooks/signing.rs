//! Standard Webhooks v1 signatures (docs/api-guide.md: Signatures): `webhook-signature` is
//! `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
//! base64-decoded part of the `whsec_…` secret. During a secret rotation both
//! secrets sign, space-separated.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A signing secret, `whsec_<base64 of 24–64 random bytes>`. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

impl SigningSecret {
    /// 32 fresh bytes from the OS-seeded CSPRNG.
    pub fn generate() -> Self {
        use rand::Rng;
        let mut bytes = vec![0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let bytes = B64.decode(text.strip_prefix(PREFIX)?).ok()?;
        (24..=64).contains(&bytes.len()).then_some(Self(bytes))
    }

    /// The form shown once to the user.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", B64.encode(&self.0))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (24..=64).contains(&bytes.len()).then_some(Self(bytes))
    }

    /// `v1,<base64 signature>` of one message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC accepts keys of any length; this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else { return String::new() };
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header value: one signature per active secret.
pub fn signature_header(secrets: &[&SigningSecret], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| s.sign(msg_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_test_vector_signs_as_published() {
        // From the Standard Webhooks specification's test suite.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_round_trip_and_rotation_signs_with_both() {
        let a = SigningSecret::generate();
        let b = SigningSecret::generate();
        assert_eq!(SigningSecret::parse(&a.expose()), Some(a.clone()));
        assert!(a.expose().starts_with("whsec_"));
        assert_eq!(format!("{a:?}"), "SigningSecret(<redacted>)");
        let header = signature_header(&[&a, &b], "msg_1", 1, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, [a.sign("msg_1", 1, b"{}"), b.sign("msg_1", 1, b"{}")]);
        assert!(SigningSecret::parse("whsec_c2hvcnQ=").is_none(), "too short");
        assert!(SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none(), "needs the prefix");
    }

    #[test]
    fn the_standardwebhooks_crate_verifies_our_signatures_including_during_rotation() {
        let old = SigningSecret::generate();
        let new = SigningSecret::generate();
        let body = br#"{"type":"webhook.test","timestamp":"2026-11-22T10:00:00Z","data":{"webhook_id":"wh_1","message":"hi"}}"#;
        let now = chrono::Utc::now().timestamp();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W".parse().expect("h"));
        headers.insert("webhook-timestamp", now.to_string().parse().expect("h"));
        headers.insert(
            "webhook-signature",
            signature_header(&[&old, &new], "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, body).parse().expect("h"),
        );
        for secret in [&old, &new] {
            let oracle = standardwebhooks::Webhook::new(&secret.expose()).expect("oracle secret");
            assert!(oracle.verify(body, &headers).is_ok(), "a receiver holding either secret accepts the message");
        }
        let stranger = standardwebhooks::Webhook::new(&SigningSecret::generate().expose()).expect("secret");
        assert!(stranger.verify(body, &headers).is_err());
        let mut tampered = body.to_vec();
        tampered[10] ^= 1;
        let oracle = standardwebhooks::Webhook::new(&new.expose()).expect("secret");
        assert!(oracle.verify(&tampered, &headers).is_err(), "the exact bytes are signed");
    }
}
