//! Archiving and retention of the audit log (docs/operator-guide.md:
//! Retention). Only a prefix of the chain that ends at a signed checkpoint
//! ever leaves the database: that checkpoint stays as the live chain's
//! anchor, so "Verify integrity" still proves every event that is left,
//! and the archive — the events plus the checkpoints at both its ends —
//! proves itself offline and joins the live chain at the anchor.

use super::{Actor, Entry, RequestMeta, export};
use crate::db::checkpoints::StoredCheckpoint;
use crate::db::{DbConn, QueryError, audit_events, audit_trim};
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use std::io::Write;

/// Events read per query while writing an archive.
const BATCH: i64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("no stored event happened before that day")]
    NothingBefore,
    #[error(
        "no signed checkpoint covers the events before that day yet (the last of them is #{last_seq}): the server \
         signs one every LATCHKEY_AUDIT_CHECKPOINT_SECS, or run `latchkey audit checkpoint` now"
    )]
    NoCheckpoint { last_seq: i64 },
    #[error("the stored chain starts at event #{first_seq} without the checkpoint it was trimmed at")]
    NoAnchor { first_seq: i64 },
    #[error("reading the audit log failed")]
    Db(#[from] QueryError),
    #[error("writing the archive failed")]
    Io(#[from] std::io::Error),
}

/// The events an archive holds: `first_seq` to `through_seq`, which the checkpoint `last` signs.
#[derive(Debug, Clone)]
pub struct ArchivePlan {
    pub first_seq: i64,
    pub through_seq: i64,
    pub events: usize,
    pub last: StoredCheckpoint,
}

/// The stored events before `before` up to the newest checkpoint among
/// them: what can leave the database with the chain still provable.
pub fn plan(conn: &mut DbConn, org_id: OrgId, before: NaiveDateTime) -> Result<ArchivePlan, ArchiveError> {
    let last_seq = audit_trim::last_seq_before(conn, org_id, before)?.ok_or(ArchiveError::NothingBefore)?;
    let first_seq = audit_trim::first_seq(conn, org_id)?.ok_or(ArchiveError::NothingBefore)?;
    let last = audit_trim::checkpoint_at_or_before(conn, org_id, last_seq)?
        .filter(|c| c.seq >= first_seq)
        .ok_or(ArchiveError::NoCheckpoint { last_seq })?;
    let events = usize::try_from(last.seq - first_seq + 1).unwrap_or(0);
    Ok(ArchivePlan { first_seq, through_seq: last.seq, events, last })
}

/// Writes the planned events as JSON Lines, in the export's encoding: the
/// checkpoint the stored chain starts after (when it no longer starts at
/// #1), every event, then the checkpoint that signs the last one.
pub fn write(conn: &mut DbConn, org_id: OrgId, plan: &ArchivePlan, out: &mut dyn Write) -> Result<(), ArchiveError> {
    if plan.first_seq > 1 {
        let anchor = audit_trim::checkpoint_at(conn, org_id, plan.first_seq - 1)?
            .ok_or(ArchiveError::NoAnchor { first_seq: plan.first_seq })?;
        writeln!(out, "{}", anchor.checkpoint().to_json())?;
    }
    let mut after = plan.first_seq - 1;
    while after < plan.through_seq {
        let batch = audit_events::chain_batch(conn, org_id, after, BATCH)?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        let events: Vec<_> = batch.into_iter().filter(|e| e.seq <= plan.through_seq).collect();
        out.write_all(
            &export::encode(&events, export::ExportFormat::JsonLines, false).map_err(std::io::Error::other)?,
        )?;
    }
    writeln!(out, "{}", plan.last.checkpoint().to_json())?;
    Ok(())
}

/// Why events leave the database.
#[derive(Debug, Clone, Copy)]
pub enum Trim<'a> {
    /// Written to an archive whose SHA-256 is given.
    Archived { sha256: &'a str },
    /// Older than `LATCHKEY_AUDIT_RETENTION_DAYS`.
    Retention,
}

/// Deletes the events through `through_seq` (a checkpoint's seq) and
/// records that it did, in one transaction; answers how many went.
pub fn trim(
    conn: &mut DbConn,
    org_id: OrgId,
    through_seq: i64,
    why: Trim<'_>,
    actor: &Actor,
) -> Result<usize, QueryError> {
    crate::db::transaction(conn, |conn| {
        let deleted = audit_trim::delete_through(conn, org_id, through_seq)?;
        let (reason, sha256) = match why {
            Trim::Archived { sha256 } => ("archive", Some(sha256)),
            Trim::Retention => ("retention", None),
        };
        let entry = Entry::audit_archived(org_id, through_seq, deleted, reason, sha256);
        super::record(conn, actor, &RequestMeta::default(), entry)?;
        Ok(deleted)
    })
}

/// Trims every organisation's events older than `before` up to the newest
/// checkpoint among them (the scheduler, under `LATCHKEY_AUDIT_RETENTION_DAYS`);
/// answers how many events went.
pub fn apply_retention(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, QueryError> {
    let mut total = 0;
    for (org_id, _, _) in crate::db::checkpoints::heads(conn)? {
        match plan(conn, org_id, before) {
            Ok(plan) => {
                total += trim(conn, org_id, plan.through_seq, Trim::Retention, &Actor::System { label: "retention" })?
            }
            Err(ArchiveError::Db(e)) => return Err(e),
            Err(_) => {} // nothing old enough, or not yet signed: the next run tries again
        }
    }
    Ok(total)
}
