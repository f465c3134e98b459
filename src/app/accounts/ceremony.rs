//! Passkey ceremonies as the console runs them (docs/security-model.md: Rules):
//! one async entry point per step — the options for adding a passkey and its
//! answer, removing one, and the options and answer of an assertion (a
//! login's second step, or sudo mode). Each runs passkeys.rs's step with the
//! relying party on the pool; with an IP public URL there is none
//! (`PasskeyError::Unavailable`). Changes wake the mail sender after the
//! commit. The ceremony's handle lives in the caller's session.

use super::passkeys::{self, Added, PasskeyError, Purpose};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::db::users::User;
use crate::db::{self, DbConn};
use crate::domain::UserId;
use crate::infra::config::Config;
use serde_json::Value;
use webauthn_rs::Webauthn;

/// Why a ceremony step did nothing: refused (the message is the page's), or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    #[error(transparent)]
    Refused(PasskeyError),
    #[error(transparent)]
    Db(#[from] db::Error),
}

impl From<PasskeyError> for CeremonyError {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Db(e) => Self::Db(e.into()),
            e => Self::Refused(e),
        }
    }
}

/// Runs a passkey step with the relying party on the blocking pool.
async fn with_relying_party<T: Send + 'static>(
    ctx: &AppState,
    step: impl FnOnce(&mut DbConn, &Webauthn, &Config) -> Result<T, PasskeyError> + Send + 'static,
) -> Result<T, CeremonyError> {
    let Some(rp) = ctx.passkeys.clone() else { return Err(CeremonyError::Refused(PasskeyError::Unavailable)) };
    let config = ctx.config.clone();
    let done = ctx.db.run(move |conn| Ok::<_, crate::db::QueryError>(step(conn, &rp, &config))).await?;
    Ok(done?)
}

/// The options for `navigator.credentials.create` (the caller confirmed who asks).
pub async fn registration_options(ctx: &AppState, user: &User, handle_hash: String) -> Result<Value, CeremonyError> {
    let user = user.clone();
    with_relying_party(ctx, move |conn, rp, _| passkeys::begin_registration(conn, rp, &user, &handle_hash)).await
}

/// Stores the passkey the browser made (named `name`), and mails the user;
/// the first recovery codes when it is the user's first second factor (shown once).
pub async fn register(
    ctx: &AppState,
    user: &User,
    handle_hash: String,
    (name, answer): (String, String),
    meta: &RequestMeta,
) -> Result<Option<Vec<String>>, CeremonyError> {
    let (user, meta) = (user.clone(), meta.clone());
    let codes = with_relying_party(ctx, move |conn, rp, config| {
        let added = Added { name: &name, answer: &answer };
        passkeys::finish_registration(conn, rp, config, &user, &handle_hash, &added, &meta)
    })
    .await?;
    ctx.wake_mail_sender();
    Ok(codes)
}

/// Removes one of the user's passkeys (the caller confirmed who asks); false
/// when they have none with this id.
pub async fn remove(ctx: &AppState, user: &User, public_id: &str, meta: &RequestMeta) -> Result<bool, db::Error> {
    let (config, user, id, meta) = (ctx.config.clone(), user.clone(), public_id.to_owned(), meta.clone());
    let removed = ctx.db.run(move |conn| passkeys::remove(conn, &config, &user, &id, &meta)).await?;
    if removed {
        ctx.wake_mail_sender();
    }
    Ok(removed)
}

/// The options for `navigator.credentials.get`, for `purpose`.
pub async fn assertion_options(
    ctx: &AppState,
    user_id: UserId,
    handle_hash: String,
    purpose: Purpose,
) -> Result<Value, CeremonyError> {
    with_relying_party(ctx, move |conn, rp, _| passkeys::begin_assertion(conn, rp, user_id, &handle_hash, purpose))
        .await
}

/// Checks the browser's signed answer for `purpose`; at a login's second
/// step, the user it signs in (`None` when the account is gone).
pub async fn assert(
    ctx: &AppState,
    user_id: UserId,
    handle_hash: String,
    (purpose, answer): (Purpose, String),
) -> Result<Option<User>, CeremonyError> {
    with_relying_party(ctx, move |conn, rp, _| {
        passkeys::finish_assertion(conn, rp, user_id, &handle_hash, purpose, &answer)?;
        Ok(crate::db::users::find(conn, user_id)?)
    })
    .await
}
