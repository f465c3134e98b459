//! What the encrypted session cookie holds, and its lifetime rules (SPEC §9):
//! idle timeout 30 min, absolute lifetime 12 h, and a per-user epoch that
//! ends every session of a user at once ("log out everywhere").

use actix_session::Session;
use serde::{Deserialize, Serialize};

pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
pub const ABSOLUTE_LIFETIME_SECS: i64 = 12 * 60 * 60;
/// `seen_at` is refreshed at most this often, so most requests leave the cookie alone.
const SEEN_GRANULARITY_SECS: i64 = 60;

const LOGIN_KEY: &str = "login";
const CSRF_KEY: &str = "csrf";

/// A logged-in session. Times are unix seconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Login {
    pub user_id: i64,
    pub epoch: i64,
    pub login_at: i64,
    pub seen_at: i64,
    /// When the password was last entered (sudo mode for sensitive actions).
    pub password_at: i64,
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Starts a fresh session for the user: a new cookie (no fixation) and a new CSRF token.
pub fn start(session: &Session, user_id: i64, epoch: i64) -> Result<(), actix_session::SessionInsertError> {
    let now = now_unix();
    session.renew();
    session.clear();
    session.insert(LOGIN_KEY, Login { user_id, epoch, login_at: now, seen_at: now, password_at: now })?;
    session.insert(CSRF_KEY, new_token())?;
    Ok(())
}

/// The live login, if any. An expired one is purged.
pub fn current(session: &Session) -> Option<Login> {
    let mut login: Login = session.get(LOGIN_KEY).ok().flatten()?;
    let now = now_unix();
    if now - login.seen_at > IDLE_TIMEOUT_SECS || now - login.login_at > ABSOLUTE_LIFETIME_SECS {
        session.purge();
        return None;
    }
    if now - login.seen_at >= SEEN_GRANULARITY_SECS {
        login.seen_at = now;
        let _ = session.insert(LOGIN_KEY, login);
    }
    Some(login)
}

/// How long a password entry keeps sensitive actions unlocked ("sudo mode").
pub const SUDO_WINDOW_SECS: i64 = 10 * 60;

/// Whether the password was entered within the sudo window.
pub fn sudo_fresh(login: &Login) -> bool {
    now_unix() - login.password_at <= SUDO_WINDOW_SECS
}

/// Records a fresh password entry (after it was verified).
pub fn confirm_password(session: &Session) {
    if let Ok(Some(mut login)) = session.get::<Login>(LOGIN_KEY) {
        login.password_at = now_unix();
        let _ = session.insert(LOGIN_KEY, login);
    }
}

pub fn end(session: &Session) {
    session.purge();
}

/// The session's CSRF token, created on first use (anonymous sessions get one too).
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF_KEY) {
        return token;
    }
    let token = new_token();
    let _ = session.insert(CSRF_KEY, &token);
    token
}

pub fn stored_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF_KEY).ok().flatten()
}

/// 32 random bytes from the OS-seeded CSPRNG, hex-encoded.
fn new_token() -> String {
    use rand::Rng;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
