//! argon2id password hashing. Both calls are CPU-heavy: run them on the blocking pool.
//!
//! Each computation takes argon2's 19 MiB of working memory, so they are
//! limited to one per core at a time ([`Permits`]): sixteen logins at once
//! would otherwise hold 300 MiB, and the allocator kept much of it (see
//! `crate::infra::memory`). More at once would not finish sooner on those cores anyway.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::{Condvar, LazyLock, Mutex, PoisonError};

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

/// A PHC string (`$argon2id$v=19$…`) with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    PERMITS.run(|| {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|phc| phc.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
}

pub fn verify(password: &str, phc: &str) -> bool {
    PERMITS.run(|| Argon2::default().verify_password(password.as_bytes(), phc).is_ok())
}

/// Verifying against this when the email is unknown makes a failed login
/// take the same time whether or not the account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash("latchkey-dummy-password").unwrap_or_default());

pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY_HASH);
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
    }
}
