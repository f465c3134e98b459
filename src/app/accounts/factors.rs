//! The account's second factors, as the signed-in user changes them from
//! `/account/two-factor`: one async entry point per change (confirm an
//! authenticator, cancel its set-up, new recovery codes, remove it), and
//! checking a code (sudo mode, the second step of a login). Each runs its
//! transaction (two_factor.rs) on the pool and, after the commit, wakes the
//! mail sender for the "your sign-in changed" mail it queued. The
//! re-authentication these changes need (sudo mode) is confirmed by the
//! caller first.

use super::two_factor::{self, Enrolment, Method, Status, TwoFactorError};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::db::users::User;

/// Why a second-factor use case did nothing: refused (the message is the
/// page's), or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    #[error(transparent)]
    Refused(TwoFactorError),
    #[error(transparent)]
    Db(#[from] crate::db::Error),
}

impl From<TwoFactorError> for FactorError {
    fn from(e: TwoFactorError) -> Self {
        match e {
            TwoFactorError::Db(e) => Self::Db(e.into()),
            e => Self::Refused(e),
        }
    }
}

/// Runs a two_factor.rs step for `user` on the pool.
async fn run<T: Send + 'static>(
    ctx: &AppState,
    user: &User,
    step: impl FnOnce(&mut crate::db::DbConn, &crate::infra::config::Config, &User) -> Result<T, TwoFactorError>
    + Send
    + 'static,
) -> Result<T, FactorError> {
    let (config, user) = (ctx.config.clone(), user.clone());
    let done = ctx.db.run(move |conn| Ok::<_, crate::db::QueryError>(step(conn, &config, &user))).await?;
    Ok(done?)
}

/// Where the user's factors stand and, while no authenticator is on, the
/// pending set-up (the same secret on every reload until confirmed or cancelled).
pub async fn overview(ctx: &AppState, user: &User) -> Result<(Status, Option<Enrolment>), FactorError> {
    run(ctx, user, |conn, config, user| {
        let status = two_factor::status(conn, user.id)?;
        let enrolment = if status.totp_on { None } else { Some(two_factor::begin_totp(conn, config, user)?) };
        Ok((status, enrolment))
    })
    .await
}

/// Confirms the pending authenticator with a code from it; the new recovery codes (shown once).
pub async fn confirm_totp(
    ctx: &AppState,
    user: &User,
    code: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, FactorError> {
    let (code, meta) = (code.to_owned(), meta.clone());
    let codes =
        run(ctx, user, move |conn, config, user| two_factor::confirm_totp(conn, config, user, &code, &meta)).await?;
    ctx.wake_mail_sender();
    Ok(codes)
}

/// Drops an authenticator set-up that was not confirmed.
pub async fn cancel_totp(ctx: &AppState, user: &User) -> Result<(), FactorError> {
    run(ctx, user, |conn, _, user| Ok(two_factor::cancel_totp(conn, user)?)).await
}

/// Replaces the recovery codes (the old ones stop working); the new ones (shown once).
pub async fn regenerate_recovery_codes(
    ctx: &AppState,
    user: &User,
    meta: &RequestMeta,
) -> Result<Vec<String>, FactorError> {
    let meta = meta.clone();
    let codes =
        run(ctx, user, move |conn, config, user| two_factor::regenerate_recovery_codes(conn, config, user, &meta))
            .await?;
    ctx.wake_mail_sender();
    Ok(codes)
}

/// Removes the authenticator app (the password and a code were confirmed by the caller).
pub async fn disable_totp(ctx: &AppState, user: &User, meta: &RequestMeta) -> Result<(), FactorError> {
    let meta = meta.clone();
    run(ctx, user, move |conn, config, user| two_factor::disable_totp(conn, config, user, &meta)).await?;
    ctx.wake_mail_sender();
    Ok(())
}

/// Checks `input` as a second factor of `user` and uses it up (a recovery
/// code's use is mailed, at once). `None` when it is not a working code.
pub async fn use_code(
    ctx: &AppState,
    user: &User,
    input: &str,
    meta: &RequestMeta,
) -> Result<Option<Method>, FactorError> {
    let (input, meta) = (input.to_owned(), meta.clone());
    let method =
        run(ctx, user, move |conn, config, user| two_factor::use_code(conn, config, user, &input, &meta)).await?;
    if method == Some(Method::RecoveryCode) {
        ctx.wake_mail_sender();
    }
    Ok(method)
}
