//! What the encrypted session cookie holds, and its lifetime rules: idle
//! timeout 30 min, absolute lifetime 12 h, a per-user epoch that ends every
//! session of a user at once ("log out everywhere"), and a session id whose
//! server-side row (`db::sessions`, stored as its SHA-256) must still exist —
//! so logging out ends the session even for a copy of the cookie.

use actix_session::Session;
use serde::{Deserialize, Serialize};

/// `seen_at` is refreshed at most this often, so most requests leave the cookie alone.
use crate::app::accounts::signed_in::SEEN_GRANULARITY_SECS;
pub use crate::app::accounts::{ABSOLUTE_LIFETIME_SECS, IDLE_TIMEOUT_SECS};
use crate::domain::UserId;

const LOGIN_KEY: &str = "login";
const PENDING_KEY: &str = "pending_login";

/// How long the second step of a login may take…
pub const PENDING_LIFETIME_SECS: i64 = 5 * 60;
/// …and how many wrong codes end it (the login throttle counts them too).
pub const MAX_SECOND_STEP_FAILURES: i64 = 5;

/// A password that was right, for a user who has a second factor: the
/// session is not logged in yet, and can reach nothing but the second step.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub user_id: UserId,
    pub epoch: i64,
    pub started_at: i64,
    /// Where to go once the second step is done (a local path, or empty).
    pub next: String,
}
const CSRF_KEY: &str = "csrf";

/// A logged-in session. Times are unix seconds.
#[derive(Clone, Serialize, Deserialize)]
pub struct Login {
    /// The random session id; the database keeps only its SHA-256 ([`SessionId::hash`]).
    pub sid: SessionId,
    pub user_id: UserId,
    pub epoch: i64,
    pub login_at: i64,
    pub seen_at: i64,
    /// When the password was last entered (sudo mode for sensitive actions).
    pub password_at: i64,
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A session's random id (256 bits). Its `Debug` is redacted: it is a bearer secret.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    pub fn generate() -> Self {
        Self(new_token())
    }

    /// What the `sessions` table stores and looks up.
    pub fn hash(&self) -> String {
        Self::hash_of(&self.0)
    }

    /// The stored hash of a session id given as text (tests forge cookies with it).
    pub fn hash_of(id: &str) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(id.as_bytes()))
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(…)")
    }
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user_id", &self.user_id)
            .field("login_at", &self.login_at)
            .finish_non_exhaustive()
    }
}

/// Starts a fresh session for the user: a new cookie (no fixation) and a new
/// CSRF token. The caller has stored `sid`'s row in the same request.
pub fn start(
    session: &Session,
    sid: SessionId,
    user_id: UserId,
    epoch: i64,
) -> Result<(), actix_session::SessionInsertError> {
    let now = now_unix();
    session.renew();
    session.clear();
    session.insert(LOGIN_KEY, Login { sid, user_id, epoch, login_at: now, seen_at: now, password_at: now })?;
    session.insert(CSRF_KEY, new_token())?;
    Ok(())
}

/// Starts the second step of a login (a fresh cookie; no login in it).
pub fn begin_second_step(
    session: &Session,
    user_id: UserId,
    epoch: i64,
    next: String,
) -> Result<(), actix_session::SessionInsertError> {
    session.renew();
    session.clear();
    let pending = PendingLogin { user_id, epoch, started_at: now_unix(), next };
    session.insert(PENDING_KEY, pending)?;
    session.insert(CSRF_KEY, new_token())?;
    Ok(())
}

/// The second step in progress, if it has not run out of time.
pub fn pending_login(session: &Session) -> Option<PendingLogin> {
    let pending: PendingLogin = session.get(PENDING_KEY).ok().flatten()?;
    if now_unix() - pending.started_at > PENDING_LIFETIME_SECS {
        session.remove(PENDING_KEY);
        return None;
    }
    Some(pending)
}

/// Ends the pending login (too many wrong codes: the count is kept in the
/// database, since a copy of this cookie would carry an old count).
pub fn end_second_step(session: &Session) {
    session.remove(PENDING_KEY);
}

/// A unix time in seconds as the database stores times.
pub fn unix_to_time(unix: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp(unix, 0).map(|t| t.naive_utc()).unwrap_or_default()
}

const CEREMONY_KEY: &str = "webauthn";

/// A fresh random handle for a passkey ceremony, kept in the session; the
/// server stores only its hash with the ceremony's state.
pub fn new_ceremony(session: &Session) -> Result<String, actix_session::SessionInsertError> {
    let handle = new_token();
    session.insert(CEREMONY_KEY, &handle)?;
    Ok(SessionId::hash_of(&handle))
}

/// The hash of this session's ceremony handle, if it has one.
pub fn ceremony(session: &Session) -> Option<String> {
    session.get::<String>(CEREMONY_KEY).ok().flatten().map(|h| SessionId::hash_of(&h))
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
        let _ = session.insert(LOGIN_KEY, &login);
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

/// The session id of the cookie's login, if any (expired or not).
pub fn session_id(session: &Session) -> Option<SessionId> {
    session.get::<Login>(LOGIN_KEY).ok().flatten().map(|login| login.sid)
}

pub fn end(session: &Session) {
    session.purge();
}

/// Drops the login but keeps the session (and a notice kept in it): after a
/// password reset, which ended the login's server-side row anyway.
pub fn forget_login(session: &Session) {
    session.remove(LOGIN_KEY);
    session.renew();
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
