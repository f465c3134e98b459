//! Signed checkpoints of each organisation's chain (docs/user-guide.md: Audit log →
//! Your own verifiable copy): taken on a schedule and on demand, sent as the
//! `audit.checkpoint` webhook event, and checked against the chain by
//! "Verify integrity", so a chain rewritten with recomputed hashes is caught
//! by any checkpoint signed before the rewrite.

use crate::db::QueryResult;
use crate::db::checkpoints::{self, StoredCheckpoint};
use crate::db::{DbConn, audit_events, outbox};
use crate::domain::OrgId;
use crate::domain::checkpoint::{CheckpointSigner, Refused, format_signed_at};
use crate::domain::event_type::EventType;
use chrono::NaiveDateTime;

/// Signs the organisation's chain head now, unless it is empty or already
/// checkpointed at that seq. Returns the new checkpoint.
pub fn take(conn: &mut DbConn, signer: &CheckpointSigner, org_id: OrgId) -> QueryResult<Option<StoredCheckpoint>> {
    take_at(conn, signer, org_id, crate::db::now())
}

/// [`take`], signed and stored as of `at`.
fn take_at(
    conn: &mut DbConn,
    signer: &CheckpointSigner,
    org_id: OrgId,
    at: NaiveDateTime,
) -> QueryResult<Option<StoredCheckpoint>> {
    crate::db::transaction(conn, |conn| {
        let (seq, hash) = audit_events::head(conn, org_id)?;
        if seq == 0 || checkpoints::latest(conn, org_id)?.is_some_and(|c| c.seq >= seq) {
            return Ok(None);
        }
        let checkpoint = signer.sign(org_id.get(), seq, &hash, &format_signed_at(at.and_utc()));
        checkpoints::insert(conn, &checkpoint, &signer.public_key(), at)?;
        outbox::enqueue(conn, org_id, EventType::AuditCheckpoint, seq, checkpoint.to_json())?;
        checkpoints::latest(conn, org_id)
    })
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

/// Checkpoints for a history written after the fact with back-dated events
/// (`latchkey demo`): each chain head is signed, and dated, a second after
/// a burst of events — as promptly as the scheduler at its shortest
/// interval — so the history is covered whatever
/// `LATCHKEY_AUDIT_CHECKPOINT_SECS` the server later runs with. Never used
/// for real events: those are signed by [`take_due`] as they come.
pub struct Backdated<'a> {
    signer: &'a CheckpointSigner,
    /// Organisation → when its oldest event not yet signed was recorded.
    unsigned_since: std::collections::BTreeMap<OrgId, NaiveDateTime>,
}

impl<'a> Backdated<'a> {
    /// How long after its oldest unsigned event a head is signed.
    const LAG: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

    pub fn new(signer: &'a CheckpointSigner) -> Self {
        Self { signer, unsigned_since: Default::default() }
    }

    /// Call before recording an event at `at`: signs the heads that became due before then.
    pub fn before(&mut self, conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<()> {
        self.sign_due(conn, at)
    }

    /// Call after recording an event of `org_id` at `at`.
    pub fn recorded(&mut self, org_id: OrgId, at: NaiveDateTime) {
        self.unsigned_since.entry(org_id).or_insert(at);
    }

    /// After the last event: signs every head still unsigned, at the latest now.
    pub fn finish(mut self, conn: &mut DbConn) -> QueryResult<()> {
        let now = crate::db::now();
        self.sign_due(conn, now)?;
        for org_id in std::mem::take(&mut self.unsigned_since).into_keys() {
            take_at(conn, self.signer, org_id, now)?;
        }
        Ok(())
    }

    fn sign_due(&mut self, conn: &mut DbConn, until: NaiveDateTime) -> QueryResult<()> {
        let due: Vec<(OrgId, NaiveDateTime)> = self
            .unsigned_since
            .iter()
            .map(|(org_id, since)| (*org_id, *since + Self::LAG))
            .filter(|(_, due_at)| *due_at <= until)
            .collect();
        for (org_id, due_at) in due {
            take_at(conn, self.signer, org_id, due_at)?;
            self.unsigned_since.remove(&org_id);
        }
        Ok(())
    }
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

/// Given whether its signature verified, checks that the chain's event at
/// a stored checkpoint's seq still has the signed hash (`event_hash`).
pub fn check(
    c: &StoredCheckpoint,
    signature: Result<(), Refused>,
    event_hash: Option<&str>,
) -> Result<(), CheckpointBreak> {
    signature.map_err(|e| CheckpointBreak::BadSignature(e.to_string()))?;
    match event_hash {
        None => Err(CheckpointBreak::EventMissing),
        Some(hash) if hash != c.hash => Err(CheckpointBreak::ChainRewritten),
        Some(_) => Ok(()),
    }
}
