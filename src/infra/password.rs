//! argon2id password hashing. Both calls are CPU-heavy: run them on the blocking pool.
//!
//! Each computation takes argon2's working memory (19 MiB at the recommended
//! cost), so they are limited to one per core at a time ([`Permits`]):
//! sixteen logins at once would otherwise hold 300 MiB, and the allocator
//! kept much of it (see `crate::infra::memory`). More at once would not
//! finish sooner on those cores anyway.
//!
//! The cost of new hashes is a setting ([`Cost`], `LATCHKEY_PASSWORD_HASH_*`,
//! docs/operator-guide.md); a stored hash carries its own, so verifying never
//! depends on the setting, and raising it later only makes new hashes dearer.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Condvar, LazyLock, Mutex, OnceLock, PoisonError};

/// The work one new hash takes: argon2id's memory in KiB and its passes (one lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Cost {
    /// OWASP's recommendation for argon2id (19 MiB, 2 passes), which is also argon2's default.
    pub const RECOMMENDED: Cost = Cost { memory_kib: 19_456, iterations: 2 };
    /// argon2's own floor (8 KiB per lane, one pass).
    pub const MIN: Cost = Cost { memory_kib: 8, iterations: 1 };

    pub fn is_below_recommended(self) -> bool {
        self.memory_kib < Self::RECOMMENDED.memory_kib || self.iterations < Self::RECOMMENDED.iterations
    }
}

static COST: OnceLock<Cost> = OnceLock::new();

/// Sets the cost of this process's new hashes, once (later calls change
/// nothing); unset, it is [`Cost::RECOMMENDED`].
pub fn configure(cost: Cost) {
    let _ = COST.set(cost);
}

fn hasher() -> Argon2<'static> {
    let cost = COST.get().copied().unwrap_or(Cost::RECOMMENDED);
    // The configuration refused costs argon2 refuses, so this falls back only for a hand-built one.
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A counting semaphore for blocking threads.
struct Permits {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Permits {
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        drop(free);
        let out = f();
        *self.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.freed.notify_one();
        out
    }
}

static PERMITS: LazyLock<Permits> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from).min(4);
    Permits { free: Mutex::new(cores), freed: Condvar::new() }
});

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// A PHC string (`$argon2id$v=19$m=…,t=…,p=1$…`) with a fresh random salt, at the configured cost.
pub fn hash(password: &str) -> Result<String, HashError> {
    PERMITS.run(|| {
        hasher().hash_password(password.as_bytes()).map(|phc| phc.to_string()).map_err(|e| HashError(e.to_string()))
    })
}

/// Checks at the cost the stored hash names, whatever the setting is now.
/// A stored value that is no hash (an account single sign-on made, which
/// has no password) fails after the same work as a wrong password, so the
/// time a login takes does not tell such accounts apart.
pub fn verify(password: &str, phc: &str) -> bool {
    if !phc.starts_with('$') {
        verify_dummy(password);
        return false;
    }
    check(password, phc)
}

fn check(password: &str, phc: &str) -> bool {
    PERMITS.run(|| Argon2::default().verify_password(password.as_bytes(), phc).is_ok())
}

/// Verifying against this when the email is unknown makes a failed login
/// take the same time whether or not the account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash("latchkey-dummy-password").unwrap_or_default());

pub fn verify_dummy(password: &str) {
    let _ = check(password, &DUMMY_HASH);
}

/// [`hash`] on the blocking pool, for async callers (no connection may be held).
pub async fn hash_off_thread(password: &crate::domain::Password) -> Result<String, HashError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || hash(&password)).await.map_err(|e| HashError(e.to_string()))?
}

/// [`verify`] on the blocking pool; `None` as the hash checks against the
/// dummy, so an unknown account costs the same time. False on any failure.
pub async fn verify_off_thread(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify(&password, &phc),
        None => {
            verify_dummy(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = super::hash("correct horse").expect("hash");
        let b = super::hash("correct horse").expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salts differ");
        assert!(super::verify("correct horse", &a));
        assert!(!super::verify("battery staple", &a));
        assert!(!super::verify("correct horse", "not a hash"));
        assert!(!super::verify("!sso", "!sso"), "an account single sign-on made has no password");
    }

    #[test]
    fn unconfigured_hashes_take_the_recommended_cost_and_any_cost_verifies() {
        let recommended = super::hash("correct horse").expect("hash");
        assert!(recommended.contains("$m=19456,t=2,p=1$"), "{recommended}");
        let cheap = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(64, 1, 1, None).expect("params"),
        );
        use argon2::password_hash::PasswordHasher;
        let cheap = cheap.hash_password(b"correct horse").expect("hash").to_string();
        assert!(super::verify("correct horse", &cheap), "a stored hash carries its own cost");
        assert!(!super::verify("battery staple", &cheap));
    }
}
