//! Signed checkpoints of each organisation's chain (README: Audit log →
//! Your own verifiable copy): taken on a schedule and on demand, sent as the
//! `audit.checkpoint` webhook event, and checked against the chain by
//! "Verify integrity", so a chain rewritten with recomputed hashes is caught
//! by any checkpoint signed before the rewrite.

use super::AUDIT_CHECKPOINT;
use crate::db::checkpoints::{self, StoredCheckpoint};
use crate::db::{DbConn, audit_events, outbox};
use crate::domain::checkpoint::{CheckpointSigner, format_signed_at};
use diesel::QueryResult;

/// Signs the organisation's chain head now, unless it is empty or already
/// checkpointed at that seq. Returns the new checkpoint.
pub fn take(conn: &mut DbConn, signer: &CheckpointSigner, org_id: i64) -> QueryResult<Option<StoredCheckpoint>> {
    crate::db::transaction(conn, |conn| {
        let (seq, hash) = audit_events::head(conn, org_id)?;
        if seq == 0 || checkpoints::latest(conn, org_id)?.is_some_and(|c| c.seq >= seq) {
            return Ok(None);
        }
        sign(conn, signer, org_id, seq, &hash)
    })
}

fn sign(
    conn: &mut DbConn,
    signer: &CheckpointSigner,
    org_id: i64,
    seq: i64,
    hash: &str,
) -> QueryResult<Option<StoredCheckpoint>> {
    let checkpoint = signer.sign(org_id, seq, hash, &format_signed_at(chrono::Utc::now()));
    checkpoints::insert(conn, &checkpoint, &signer.public_key(), crate::db::now())?;
    outbox::enqueue(conn, org_id, AUDIT_CHECKPOINT, checkpoint.to_json())?;
    checkpoints::latest(conn, org_id)
}

/// Signs every chain head that moved on since its last checkpoint and whose
/// last checkpoint is at least `every` old (or that has none). Safe on
/// several instances at once: at worst a head is signed twice. Returns how
/// many were taken.
pub fn take_due(conn: &mut DbConn, signer: &CheckpointSigner, every: chrono::Duration) -> QueryResult<usize> {
    let due_before = crate::db::now() - every;
    let mut taken = 0;
    for (org_id, seq, _) in checkpoints::heads(conn)? {
        let latest = checkpoints::latest(conn, org_id)?;
        let due = match &latest {
            None => seq > 0,
            Some(c) => c.seq < seq && c.created_at <= due_before,
        };
        if due && take(conn, signer, org_id)?.is_some() {
            taken += 1;
        }
    }
    Ok(taken)
}

/// Signs every chain head that moved on since its last checkpoint, now (`latchkey audit checkpoint`).
pub fn take_all(conn: &mut DbConn, signer: &CheckpointSigner) -> QueryResult<usize> {
    let mut taken = 0;
    for (org_id, _, _) in checkpoints::heads(conn)? {
        if take(conn, signer, org_id)?.is_some() {
            taken += 1;
        }
    }
    Ok(taken)
}

/// Why a stored checkpoint does not vouch for the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointBreak {
    /// Not signed by this server's key: forged, altered, or from another key.
    BadSignature(String),
    /// The chain's event at this seq has another hash: rewritten after signing.
    ChainRewritten,
    /// The checkpoint names an event the chain does not have.
    EventMissing,
}

impl std::fmt::Display for CheckpointBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadSignature(why) => write!(f, "bad signature: {why}"),
            Self::ChainRewritten => f.write_str(
                "the chain was rewritten: the event at this seq no longer has the hash the checkpoint signed",
            ),
            Self::EventMissing => f.write_str("the chain has no event at this seq: events were removed"),
        }
    }
}

/// The first checkpoint that does not match, with why.
#[derive(Debug, Clone)]
pub struct BrokenCheckpoint {
    pub seq: i64,
    pub signed_at: String,
    pub reason: CheckpointBreak,
}

/// Checks the signature of one stored checkpoint and that the chain's
/// event at its seq still has the signed hash (`event_hash`).
pub fn check(c: &StoredCheckpoint, public_key: &str, event_hash: Option<&str>) -> Result<(), CheckpointBreak> {
    c.checkpoint().verify(public_key).map_err(|e| CheckpointBreak::BadSignature(e.to_string()))?;
    match event_hash {
        None => Err(CheckpointBreak::EventMissing),
        Some(hash) if hash != c.hash => Err(CheckpointBreak::ChainRewritten),
        Some(_) => Ok(()),
    }
}
