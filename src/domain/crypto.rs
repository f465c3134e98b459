//! Encryption of secrets the server must be able to read back (webhook
//! signing secrets): ChaCha20-Poly1305 with `LATCHKEY_ENCRYPTION_KEY`, a
//! fresh random nonce per value, stored as base64(nonce ‖ ciphertext).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

#[derive(Debug, thiserror::Error)]
#[error("a stored secret could not be decrypted (wrong LATCHKEY_ENCRYPTION_KEY?)")]
pub struct CryptoError;

fn cipher(key: &[u8]) -> Result<ChaCha20Poly1305, CryptoError> {
    if key.len() != 32 {
        return Err(CryptoError);
    }
    Ok(ChaCha20Poly1305::new(Key::from_slice(key)))
}

pub fn seal(key: &[u8], plaintext: &[u8]) -> Result<String, CryptoError> {
    use rand::Rng;
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher(key)?.encrypt(Nonce::from_slice(&nonce), plaintext).map_err(|_| CryptoError)?;
    Ok(B64.encode([nonce.as_slice(), &sealed].concat()))
}

pub fn open(key: &[u8], sealed: &str) -> Result<Vec<u8>, CryptoError> {
    let bytes = B64.decode(sealed).map_err(|_| CryptoError)?;
    if bytes.len() < 12 {
        return Err(CryptoError);
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    cipher(key)?.decrypt(Nonce::from_slice(nonce), ciphertext).map_err(|_| CryptoError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_never_repeat() {
        let key = [7u8; 32];
        let a = seal(&key, b"whsec-bytes").expect("seal");
        let b = seal(&key, b"whsec-bytes").expect("seal");
        assert_ne!(a, b, "fresh nonce each time");
        assert!(!a.contains("whsec"));
        assert_eq!(open(&key, &a).expect("open"), b"whsec-bytes");
        assert!(open(&[8u8; 32], &a).is_err());
        let mut tampered = B64.decode(&a).expect("b64");
        tampered[20] ^= 1;
        assert!(open(&key, &B64.encode(tampered)).is_err());
    }
}
