//! GitHub secret scanning as the tests play it: a P-256 signing key of the
//! test's own, published in GitHub's exact keys-document format, and
//! reports signed with it as GitHub signs them (ECDSA over the raw body,
//! base64 DER in `Github-Public-Key-Signature`).

use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};

pub struct GithubSigner {
    pub key_identifier: String,
    key: SigningKey,
}

impl GithubSigner {
    pub fn generate(key_identifier: &str) -> Self {
        use rand::Rng;
        loop {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                return Self { key_identifier: key_identifier.to_owned(), key };
            }
        }
    }

    /// GitHub's published document (`https://api.github.com/meta/public_keys/secret_scanning` format).
    pub fn keys_document(&self) -> String {
        let pem = self.key.verifying_key().to_public_key_pem(LineEnding::LF).expect("pem");
        serde_json::json!({"public_keys": [{"key_identifier": self.key_identifier, "key": pem, "is_current": true}]})
            .to_string()
    }

    /// The keys as the server holds them once read from that document.
    pub fn server_keys(&self) -> latchkey::domain::leak::ScanningKeys {
        latchkey::domain::leak::ScanningKeys::parse(&self.keys_document()).expect("keys document")
    }

    /// `Github-Public-Key-Signature` for `body`, in low-S form as GitHub
    /// sends it (p256 signs either half at random; the server refuses high S).
    pub fn sign(&self, body: &[u8]) -> String {
        let signature: Signature = self.key.sign(body);
        let low = signature.normalize_s().unwrap_or(signature);
        base64::engine::general_purpose::STANDARD.encode(low.to_der())
    }

    /// The same signature malleated to high S (s' = n − s): just as valid to
    /// a plain ECDSA check, and the form the server must refuse.
    pub fn sign_high_s(&self, body: &[u8]) -> String {
        let signature: Signature = self.key.sign(body);
        let low = signature.normalize_s().unwrap_or(signature);
        let (r, s) = low.split_scalars();
        let high = Signature::from_scalars(r, -s).expect("n - s is a valid scalar");
        assert!(high.normalize_s().is_some(), "the malleated signature has high S");
        base64::engine::general_purpose::STANDARD.encode(high.to_der())
    }
}
