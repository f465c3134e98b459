//! Reading an organisation's audit log: the console's page (with the latest
//! signed checkpoints), the exports' batches, the API's pages (newest first,
//! or from a `seq` on for incremental pulls), the checkpoints, and
//! verification of the chain. Owners and admins read their own
//! organisation's log, keys with `audit:read` theirs, platform staff any
//! (each look recorded by `support::look_at` first).

use crate::app::audit::{CheckpointKey, VerifyReport};
use crate::app::caller::{Caller, Denied, Who};
use crate::app::state::AppState;
use crate::db::{self, audit_events, checkpoints};
use crate::domain::OrgId;
use crate::domain::scopes::Management;

pub use crate::db::audit_events::{Filter, StoredEvent};
pub use crate::db::checkpoints::StoredCheckpoint;

/// The caller may read its organisation's audit log.
pub fn authorize(caller: &Caller) -> Result<(), Denied> {
    match &caller.who {
        Who::Member { role, .. } if role.can_manage_settings() => Ok(()),
        Who::Member { .. } => Err(Denied::Role),
        Who::Key { key, .. } if key.scopes().grants(Management::AuditRead) => Ok(()),
        Who::Key { .. } => Err(Denied::Scope(Management::AuditRead)),
        Who::Staff { .. } => Ok(()),
    }
}

/// Why a read of the log answered nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// Up to `limit` events matching `filter`, newest first, before event id
/// `before`; on the first page, the five latest signed checkpoints too.
pub async fn page(
    ctx: &AppState,
    caller: &Caller,
    (filter, before): (Filter, Option<i64>),
    limit: i64,
) -> Result<(Vec<StoredEvent>, Vec<StoredCheckpoint>), ReadError> {
    authorize(caller)?;
    Ok(log_page(ctx, caller.org().id, (filter, before), limit).await?)
}

async fn log_page(
    ctx: &AppState,
    org_id: OrgId,
    (filter, before): (Filter, Option<i64>),
    limit: i64,
) -> Result<(Vec<StoredEvent>, Vec<StoredCheckpoint>), db::Error> {
    ctx.db
        .run(move |conn| {
            let rows = audit_events::page(conn, org_id, &filter, before, limit)?;
            let signed = match before {
                None => checkpoints::page(conn, org_id, None, 5)?,
                Some(_) => Vec::new(),
            };
            Ok::<_, crate::db::QueryError>((rows, signed))
        })
        .await
}

/// The API's page: newest first before event id `before`, or oldest first after `seq` (`after`).
pub async fn api_page(
    ctx: &AppState,
    caller: &Caller,
    (filter, before, after): (Filter, i64, Option<i64>),
    limit: i64,
) -> Result<Vec<StoredEvent>, ReadError> {
    authorize(caller)?;
    let org_id = caller.org().id;
    Ok(ctx
        .db
        .run(move |conn| match after {
            Some(seq) => audit_events::page_after_seq(conn, org_id, &filter, seq, limit),
            None => audit_events::page(conn, org_id, &filter, (before > 0).then_some(before), limit),
        })
        .await?)
}

/// One batch of an export, oldest first after event id `after_id`; with
/// `with_checkpoint` (the first batch of JSON Lines), the latest signed checkpoint, read first.
pub async fn export_batch(
    ctx: &AppState,
    caller: &Caller,
    (filter, after_id): (Filter, i64),
    (limit, with_checkpoint): (i64, bool),
) -> Result<(Option<StoredCheckpoint>, Vec<StoredEvent>), ReadError> {
    authorize(caller)?;
    let org_id = caller.org().id;
    Ok(ctx
        .db
        .run(move |conn| {
            let checkpoint = if with_checkpoint { checkpoints::latest(conn, org_id)? } else { None };
            Ok::<_, crate::db::QueryError>((
                checkpoint,
                audit_events::export_batch(conn, org_id, &filter, after_id, limit)?,
            ))
        })
        .await?)
}

/// Up to `limit` signed checkpoints, newest first, before id `before` (0: from the newest).
pub async fn checkpoints(
    ctx: &AppState,
    caller: &Caller,
    before: i64,
    limit: i64,
) -> Result<Vec<StoredCheckpoint>, ReadError> {
    authorize(caller)?;
    let org_id = caller.org().id;
    Ok(ctx.db.run(move |conn| checkpoints::page(conn, org_id, (before > 0).then_some(before), limit)).await?)
}

/// Verifies the organisation's chain and its checkpoints against the server's key.
pub async fn verify(ctx: &AppState, caller: &Caller) -> Result<VerifyReport, ReadError> {
    authorize(caller)?;
    let compliance = &ctx.config.compliance;
    let key = CheckpointKey::new(compliance.audit_signer.public_key(), compliance.checkpoint_interval);
    let org_id = caller.org().id;
    Ok(ctx.db.run(move |conn| crate::app::audit::verify(conn, org_id, &key, |_| {})).await?)
}

/// A page of the platform log (events that belong to no organisation), for
/// staff (the web layer admits only them), like [`page`].
pub async fn platform_page(
    ctx: &AppState,
    query: (Filter, Option<i64>),
    limit: i64,
) -> Result<(Vec<StoredEvent>, Vec<StoredCheckpoint>), db::Error> {
    log_page(ctx, crate::app::audit::PLATFORM_LOG, query, limit).await
}
