//! The API token parser (shape + CRC32 checksum, no database): never panics,
//! and what it accepts is exactly the input, with a stable hash and prefix.
#![no_main]

use latchkey_domain::token::ApiKeySecret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Some(secret) = ApiKeySecret::parse(input) {
        assert_eq!(secret.expose(), input);
        assert!(input.starts_with(&secret.display_prefix()));
        assert_eq!(secret.hash().to_hex().len(), 64);
        assert_eq!(ApiKeySecret::parse(secret.expose()).map(|s| s.hash()), Some(secret.hash()));
    }
});
