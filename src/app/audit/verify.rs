//! "Verify integrity" (docs/user-guide.md: Audit log): re-walks an
//! organisation's chain in batches, checks every stored checkpoint against
//! it, and — with the server's checkpoint key — that every event old enough
//! is covered by a checkpoint signed in time. The last check is what catches
//! checkpoints deleted and a rewritten chain signed again afterwards.

use super::checkpoints::{self, BrokenCheckpoint};
use crate::db::QueryResult;
use crate::db::checkpoints::StoredCheckpoint;
use crate::db::{DbConn, audit_events};
use crate::domain::OrgId;
use crate::domain::audit_chain::{Break, Verifier};
use crate::domain::checkpoint::{Coverage, Refused, Uncovered, parse_signed_at};
use std::collections::VecDeque;

/// Events read per query: memory stays flat however long the chain is.
const BATCH: i64 = 2_000;

/// What checkpoints are checked with: the server's public key, and its
/// checkpoint interval, which sets how soon after an event it must have been signed.
#[derive(Debug, Clone)]
pub struct CheckpointKey {
    pub public_key: String,
    pub interval: chrono::TimeDelta,
}

impl CheckpointKey {
    pub fn new(public_key: String, interval: std::time::Duration) -> Self {
        // The configured interval is at most a week, so it always fits.
        let interval = chrono::TimeDelta::from_std(interval).unwrap_or(chrono::TimeDelta::hours(1));
        Self { public_key, interval }
    }
}

/// Where verification stopped, and why.
#[derive(Debug, Clone)]
pub struct BrokenEvent {
    pub id: i64,
    pub seq: i64,
    pub reason: Break,
}

/// The signed checkpoint a trimmed chain starts after (docs/operator-guide.md: Retention).
#[derive(Debug, Clone)]
pub struct Anchor {
    pub seq: i64,
    /// The hash of event `seq`: an archive ending there must end with it.
    pub hash: String,
    pub signed_at: String,
    /// Whether its signature was checked (only with a key).
    pub signature_checked: bool,
}

#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub checked: u64,
    /// Where the stored chain starts, when its first events were archived.
    pub anchor: Option<Anchor>,
    pub broken: Option<BrokenEvent>,
    /// Signed checkpoints found matching the chain.
    pub checkpoints_checked: u64,
    /// The first checkpoint that does not.
    pub broken_checkpoint: Option<BrokenCheckpoint>,
    /// Events older than two checkpoint intervals that no checkpoint covers:
    /// the chain links up but is not proven (only checked with a key).
    pub uncovered: Option<Uncovered>,
    /// The checkpoint interval coverage was checked with (`None`: chain only).
    pub interval: Option<chrono::TimeDelta>,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.broken.is_none() && self.broken_checkpoint.is_none() && self.uncovered.is_none()
    }

    /// The interval in whole seconds, for messages.
    pub fn interval_secs(&self) -> i64 {
        self.interval.map_or(0, |i| i.num_seconds())
    }
}

/// Re-walks the chain only, leaving checkpoints aside (no key to check them with).
pub fn verify_chain_only(conn: &mut DbConn, org_id: OrgId, progress: impl FnMut(u64)) -> QueryResult<VerifyReport> {
    verify_with(conn, org_id, None, progress)
}

/// Re-walks an organisation's chain, checks every stored checkpoint against
/// it under `key`, and the coverage of its events; `progress` hears how many
/// events each batch checked.
pub fn verify(
    conn: &mut DbConn,
    org_id: OrgId,
    key: &CheckpointKey,
    progress: impl FnMut(u64),
) -> QueryResult<VerifyReport> {
    verify_with(conn, org_id, Some(key), progress)
}

fn verify_with(
    conn: &mut DbConn,
    org_id: OrgId,
    key: Option<&CheckpointKey>,
    mut progress: impl FnMut(u64),
) -> QueryResult<VerifyReport> {
    let (head_seq, _) = audit_events::head(conn, org_id)?;
    let mut report = VerifyReport {
        checked: 0,
        anchor: None,
        broken: None,
        checkpoints_checked: 0,
        broken_checkpoint: None,
        uncovered: None,
        interval: key.map(|k| k.interval),
    };
    // A chain trimmed to nothing starts after its head.
    let first_seq = crate::db::audit_trim::first_seq(conn, org_id)?.unwrap_or(head_seq + 1);
    let mut verifier = Verifier::default();
    if first_seq > 1 {
        // Without a valid anchor the walk starts at #1 and reports the first event as missing.
        if let Some(anchor) = find_anchor(conn, org_id, first_seq - 1, key)? {
            verifier = Verifier::anchored(anchor.seq, &anchor.hash);
            report.checkpoints_checked += u64::from(key.is_some());
            report.anchor = Some(Anchor {
                seq: anchor.seq,
                hash: anchor.hash,
                signed_at: anchor.signed_at,
                signature_checked: key.is_some(),
            });
        }
    }
    let mut stored = Checkpoints::load(conn, org_id, key, first_seq)?;
    let mut after_seq = 0;
    loop {
        let batch = audit_events::chain_batch(conn, org_id, after_seq, BATCH)?;
        let Some(last) = batch.last() else { break };
        after_seq = last.seq;
        let before = verifier.checked;
        for event in &batch {
            if let Err(reason) = verifier.check(&event.fields(), &event.prev_hash, &event.hash) {
                report.checked = verifier.checked;
                report.broken = Some(BrokenEvent { id: event.id, seq: event.seq, reason });
                return Ok(report);
            }
            stored.up_to(&mut report, event.seq, Some(&event.hash));
            if let Some(coverage) = stored.coverage.as_mut() {
                coverage.event(event.seq, event.occurred_at);
            }
        }
        progress(verifier.checked - before);
    }
    // Checkpoints past the last event name events that are gone.
    stored.up_to(&mut report, i64::MAX, None);
    report.checked = verifier.checked;
    report.broken = verifier.finish(head_seq).err().map(|reason| BrokenEvent { id: 0, seq: head_seq, reason });
    report.uncovered = stored.coverage.and_then(Coverage::finish);
    Ok(report)
}

/// The checkpoint at `seq` that a trimmed chain starts after, when there is
/// one and (with a key) its signature holds.
fn find_anchor(
    conn: &mut DbConn,
    org_id: OrgId,
    seq: i64,
    key: Option<&CheckpointKey>,
) -> QueryResult<Option<StoredCheckpoint>> {
    let found = crate::db::audit_trim::checkpoint_at(conn, org_id, seq)?;
    let found = found.filter(|c| key.is_none_or(|k| c.checkpoint().verify(&k.public_key).is_ok()));
    // Only a trim the chain itself records: events deleted up to some checkpoint by hand are still missing.
    match found {
        Some(c) if crate::db::audit_trim::trim_recorded(conn, org_id, seq)? => Ok(Some(c)),
        _ => Ok(None),
    }
}

/// The organisation's stored checkpoints, each with its signature checked
/// once, met in seq order as the chain is walked.
struct Checkpoints {
    pending: VecDeque<(StoredCheckpoint, Result<(), Refused>)>,
    coverage: Option<Coverage>,
}

impl Checkpoints {
    /// Checkpoints from `first_seq` on: one before it is the anchor, checked apart.
    fn load(conn: &mut DbConn, org_id: OrgId, key: Option<&CheckpointKey>, first_seq: i64) -> QueryResult<Self> {
        let Some(key) = key else { return Ok(Self { pending: VecDeque::new(), coverage: None }) };
        let pending: VecDeque<_> = crate::db::checkpoints::all(conn, org_id)?
            .into_iter()
            .filter(|c| c.seq >= first_seq)
            .map(|c| {
                let signature = c.checkpoint().verify(&key.public_key);
                (c, signature)
            })
            .collect();
        // Only a checkpoint this server's key signed can vouch for an event.
        let signed = pending
            .iter()
            .filter(|(_, signature)| signature.is_ok())
            .filter_map(|(c, _)| Some((c.seq, parse_signed_at(&c.signed_at)?)))
            .collect();
        let coverage = Coverage::new(key.interval, crate::db::now(), signed);
        Ok(Self { pending, coverage: Some(coverage) })
    }

    /// Checks every checkpoint up to `seq` against the event there (`hash`).
    fn up_to(&mut self, report: &mut VerifyReport, seq: i64, hash: Option<&str>) {
        while let Some((c, signature)) = self.pending.front().filter(|(c, _)| c.seq <= seq) {
            let found = if c.seq == seq { hash } else { None };
            match checkpoints::check(c, signature.clone(), found) {
                Ok(()) => report.checkpoints_checked += 1,
                Err(reason) => {
                    let (seq, signed_at) = (c.seq, c.signed_at.clone());
                    report.broken_checkpoint.get_or_insert(BrokenCheckpoint { seq, signed_at, reason });
                }
            }
            self.pending.pop_front();
        }
    }
}
