//! Sudo prompts on console forms (docs/user-guide.md: API keys; sudo mode): within 10
//! minutes of the last confirmation nothing is asked; after that the form
//! carries the answer itself. Every answer goes through the login throttle
//! (past its limit: 429) and every wrong one is audited as
//! `session.sudo_failed` (the use case is `accounts::sudo`).

use crate::app::accounts::sudo::{self, Asks, Prompt};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::web::auth::{CurrentUser, session};
use crate::web::error::AppError;
use actix_session::Session;
use actix_web::http::StatusCode;

/// What a confirmation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Key actions: a code for a user with an authenticator app, else the password.
    OneFactor,
    /// Second-factor changes: the password, plus a code when the user has an
    /// authenticator app (a passkey confirmation unlocks the window instead).
    PasswordAndCode,
    /// Removing the authenticator app: the password and a code every time,
    /// even inside the window.
    PasswordAndCodeNow,
}

/// The fields a form carries for a sudo confirmation (empty when absent).
#[derive(Debug, Default, serde::Deserialize)]
pub struct SudoFields {
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub code: String,
}

impl SudoFields {
    pub fn answer(&self) -> Answer<'_> {
        Answer { password: &self.password, code: &self.code }
    }
}

/// How a confirmation came out (`accounts::sudo::check`).
pub use crate::app::accounts::sudo::Outcome as Sudo;

impl Sudo {
    pub fn confirmed(self) -> bool {
        self == Self::Confirmed
    }

    /// The status of the re-rendered form.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The message next to the form's fields.
    pub fn message(self, current: &CurrentUser, needs: Needs) -> String {
        let code = current.has_authenticator_app;
        match (self, needs, code) {
            (Self::Throttled(seconds), ..) => {
                format!("Too many wrong answers. Try again in {} minutes.", (seconds + 59) / 60)
            }
            (Self::Missing, Needs::OneFactor, true) => {
                "Enter a code from your authenticator app, or a recovery code.".into()
            }
            (Self::Missing, Needs::OneFactor, false) => "Enter your password to continue.".into(),
            (Self::Missing, Needs::PasswordAndCode | Needs::PasswordAndCodeNow, true) => {
                "Enter your password and a code from your authenticator app (or a recovery code).".into()
            }
            (Self::Missing, _, false) => "Enter your password to continue.".into(),
            (_, Needs::OneFactor, true) => "That code is not right.".into(),
            (_, _, true) => "That password or code is not right.".into(),
            (_, _, false) => "That password is not right.".into(),
        }
    }
}

/// The answer a form carried: its `password` and `code` fields.
pub struct Answer<'a> {
    pub password: &'a str,
    pub code: &'a str,
}

/// Confirms the user for a sensitive step: at once within the sudo window,
/// else by the form's answer (throttled, audited when wrong); a right answer
/// opens the window for the next 10 minutes.
pub async fn confirm(
    state: &AppState,
    current: &CurrentUser,
    session: &Session,
    meta: &RequestMeta,
    (prompt, needs): (Prompt, Needs),
    answer: Answer<'_>,
) -> Result<Sudo, AppError> {
    if needs != Needs::PasswordAndCodeNow && session::sudo_fresh(&current.login) {
        return Ok(Sudo::Confirmed);
    }
    let wants_code = current.has_authenticator_app;
    let asks = Asks { password: needs != Needs::OneFactor || !wants_code, code: wants_code };
    let outcome = sudo::check(state, (&current.user, prompt, asks), (answer.password, answer.code), meta).await?;
    if outcome == Sudo::Confirmed {
        session::confirm_password(session);
    }
    Ok(outcome)
}
