//! Opening and accepting an invitation link (`/invitations/{token}`): as the
//! signed-in account the invitation is made out to, or as a new account
//! with the invitation's address (never the form's) and role. The writes
//! are invitations.rs's; here they run on the pool, with the new account's
//! password hashed off the database thread.

use super::invitations::{self, AcceptError, Valid};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::db::orgs::Org;
use crate::db::users::User;
use crate::domain::link_token::LinkToken;
use crate::domain::{Password, PersonName};

/// What a link opens: `None` when the token is unknown, or the invitation
/// was accepted, revoked or has expired.
pub async fn open(ctx: &AppState, token: &LinkToken) -> Result<Option<Valid>, crate::db::Error> {
    let token = token.clone();
    ctx.db.run(move |conn| invitations::look_up(conn, &token)).await
}

/// Why an acceptance did not happen, or could not run.
#[derive(Debug, thiserror::Error)]
pub enum AcceptFailed {
    /// Refused: the link no longer works, or another account must accept.
    #[error(transparent)]
    Refused(AcceptError),
    #[error(transparent)]
    Db(#[from] crate::db::Error),
    /// The new account's password could not be hashed.
    #[error("the password could not be hashed")]
    Hash(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<AcceptError> for AcceptFailed {
    fn from(e: AcceptError) -> Self {
        match e {
            AcceptError::Db(e) => Self::Db(e.into()),
            e => Self::Refused(e),
        }
    }
}

/// The signed-in `user` accepts an invitation made out to their address.
pub async fn as_user(ctx: &AppState, token: LinkToken, user: &User, meta: &RequestMeta) -> Result<Org, AcceptFailed> {
    let (user, meta) = (user.clone(), meta.clone());
    let accepted = ctx
        .db
        .run(move |conn| Ok::<_, crate::db::QueryError>(invitations::accept_as_user(conn, &token, &user, &meta)))
        .await?;
    Ok(accepted?)
}

/// A new account for the invited address, its membership with the
/// invitation's role, and its first session (`sid_hash`: the new session's id, hashed).
pub async fn as_new(
    ctx: &AppState,
    token: LinkToken,
    (name, password): (PersonName, Password),
    sid_hash: String,
    meta: &RequestMeta,
) -> Result<(User, Org), AcceptFailed> {
    let hash = crate::infra::password::hash_off_thread(&password).await.map_err(|e| AcceptFailed::Hash(e.into()))?;
    let meta = meta.clone();
    let accepted = ctx
        .db
        .run(move |conn| {
            Ok::<_, crate::db::QueryError>(invitations::accept_as_new(conn, &token, &name, &hash, &sid_hash, &meta))
        })
        .await?;
    Ok(accepted?)
}
