//! Offline verification of a JSON Lines export (docs/user-guide.md: Audit log → Your
//! own verifiable copy): the events must form an unbroken chain from seq 1,
//! and every checkpoint line must carry a valid signature under the given
//! public key and name the hash the chain has at its seq. A chain rewritten
//! with recomputed hashes passes the first test and fails the second.
//!
//! Checkpoint lines come last in an export, so a caller reads the file
//! twice: first [`checkpoint_of`] on each line, then [`ExportCheck::line`]
//! on each line. No I/O here.

use super::audit_chain::{Break, EventFields, Verifier};
use super::checkpoint::{Checkpoint, parse_public_key};
use serde_json::Value;

/// The first problem found, with the line it is on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportProblem {
    /// Not JSON, or an event without a field of the canonical encoding.
    Unreadable { line: usize, why: String },
    /// The chain breaks at this event.
    Chain { line: usize, seq: i64, reason: Break },
    /// The first event is not #1 (a filtered export, or a receiver that
    /// subscribed late): nothing before it can be checked.
    StartsMidChain { line: usize, first_seq: i64 },
    /// A checkpoint does not verify, or does not match the chain.
    Checkpoint { seq: i64, why: String },
    /// The public key is not an Ed25519 key.
    BadPublicKey,
}

impl std::fmt::Display for ExportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable { line, why } => write!(f, "line {line}: {why}"),
            Self::Chain { line, seq, reason } => write!(f, "line {line}, event #{seq}: {reason}"),
            Self::StartsMidChain { line, first_seq } => write!(
                f,
                "line {line}: the copy starts at event #{first_seq}, not #1, so its chain cannot be checked; backfill \
                 events #1 to #{} (GET /api/v1/audit-events?after=0 pages through the whole log, or export without \
                 filters) and verify again",
                first_seq - 1
            ),
            Self::Checkpoint { seq, why } => write!(f, "checkpoint at event #{seq}: {why}"),
            Self::BadPublicKey => f.write_str("the public key is not a base64 Ed25519 key (32 bytes)"),
        }
    }
}

/// What a good export held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub events: u64,
    pub checkpoints: u64,
    /// The last checkpoint's seq (0 = the export had none).
    pub checkpointed_seq: i64,
    /// The last event's seq (0 = the export had none).
    pub last_seq: i64,
    /// The checkpoint the copy starts after (`None`: it starts at #1).
    pub anchored_at: Option<i64>,
}

impl ExportSummary {
    /// Events after the last checkpoint: the chain vouches for them, no signature does yet.
    pub fn not_covered_at_end(&self) -> i64 {
        if self.checkpoints == 0 { 0 } else { (self.last_seq - self.checkpointed_seq).max(0) }
    }
}

/// The checkpoint a line holds, if it is a checkpoint line.
pub fn checkpoint_of(line: &str) -> Option<Checkpoint> {
    let value: Value = serde_json::from_str(line).ok()?;
    if value.get("type").and_then(Value::as_str) != Some("checkpoint") {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// Checks event lines in order against the chain and the checkpoints.
pub struct ExportCheck {
    verifier: Verifier,
    /// Checkpoints not yet matched to an event, by seq ascending.
    pending: Vec<Checkpoint>,
    checkpoints: u64,
    checkpointed_seq: i64,
    /// The seq of the checkpoint the copy starts after, when it does not start at #1.
    anchored_at: Option<i64>,
}

impl ExportCheck {
    /// Fails at once when a checkpoint's signature is wrong (before any event is read).
    pub fn new(public_key: &str, mut checkpoints: Vec<Checkpoint>) -> Result<Self, ExportProblem> {
        parse_public_key(public_key).map_err(|_| ExportProblem::BadPublicKey)?;
        for c in &checkpoints {
            c.verify(public_key).map_err(|e| ExportProblem::Checkpoint { seq: c.seq, why: e.to_string() })?;
        }
        checkpoints.sort_by_key(|c| std::cmp::Reverse(c.seq));
        let checkpointed_seq = checkpoints.first().map_or(0, |c| c.seq);
        Ok(Self {
            verifier: Verifier::default(),
            pending: checkpoints,
            checkpoints: 0,
            checkpointed_seq,
            anchored_at: None,
        })
    }

    /// One line of the export (`number` is 1-based); checkpoint and blank lines are skipped.
    pub fn line(&mut self, number: usize, line: &str) -> Result<(), ExportProblem> {
        if line.trim().is_empty() || checkpoint_of(line).is_some() {
            return Ok(());
        }
        let unreadable = |why: String| ExportProblem::Unreadable { line: number, why };
        let value: Value = serde_json::from_str(line).map_err(|e| unreadable(format!("not JSON ({e})")))?;
        let (fields, prev_hash, hash) = event_of(&value).map_err(unreadable)?;
        if self.verifier.checked == 0 && fields.seq > 1 {
            self.anchor(number, &fields, &prev_hash)?;
        }
        self.verifier.check(&fields, &prev_hash, &hash).map_err(|reason| ExportProblem::Chain {
            line: number,
            seq: fields.seq,
            reason,
        })?;
        while let Some(c) = self.pending.last().filter(|c| c.seq == fields.seq) {
            if c.hash != hash || c.org_id != fields.org_id {
                let why =
                    "the event at this seq has another hash: the chain was rewritten after the checkpoint was signed";
                return Err(ExportProblem::Checkpoint { seq: c.seq, why: why.into() });
            }
            self.pending.pop();
            self.checkpoints += 1;
        }
        Ok(())
    }

    /// A copy that starts at event #N > 1 (an archive after an earlier one)
    /// is checked from the signed checkpoint at #N−1 it carries, whose hash
    /// the first event must link to; without one nothing before it can be.
    fn anchor(&mut self, number: usize, first: &EventFields, prev_hash: &str) -> Result<(), ExportProblem> {
        // Checkpoints before the anchor belong to an earlier archive: they vouch for nothing here.
        while self.pending.last().is_some_and(|c| c.seq < first.seq - 1) {
            self.pending.pop();
        }
        match self.pending.last() {
            Some(c) if c.seq == first.seq - 1 && c.hash == prev_hash && c.org_id == first.org_id => {
                self.verifier = Verifier::anchored(c.seq, &c.hash);
                self.anchored_at = Some(c.seq);
                self.pending.pop();
                self.checkpoints += 1;
                Ok(())
            }
            _ => Err(ExportProblem::StartsMidChain { line: number, first_seq: first.seq }),
        }
    }

    /// After the last line: every checkpoint must have met its event.
    pub fn finish(self) -> Result<ExportSummary, ExportProblem> {
        if let Some(c) = self.pending.last() {
            let why = "the export has no event at this seq: events are missing at the end";
            return Err(ExportProblem::Checkpoint { seq: c.seq, why: why.into() });
        }
        Ok(ExportSummary {
            events: self.verifier.checked,
            checkpoints: self.checkpoints,
            checkpointed_seq: self.checkpointed_seq,
            last_seq: self.anchored_at.unwrap_or(0) + self.verifier.checked as i64,
            anchored_at: self.anchored_at,
        })
    }
}

/// An export line's canonical fields, prev_hash and hash.
fn event_of(v: &Value) -> Result<(EventFields, String, String), String> {
    let text =
        |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned).ok_or(format!("no text field {name:?}"));
    let optional = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
    let int = |name: &str| v.get(name).and_then(Value::as_i64).ok_or(format!("no number field {name:?}"));
    let occurred_at = chrono::NaiveDateTime::parse_from_str(&text("occurred_at")?, "%Y-%m-%dT%H:%M:%S%.6fZ")
        .map_err(|_| "occurred_at is not YYYY-MM-DDTHH:MM:SS.ffffffZ".to_owned())?;
    let fields = EventFields {
        org_id: int("org_id")?,
        seq: int("seq")?,
        occurred_at,
        actor_type: text("actor_type")?,
        actor_id: v.get("actor_id").and_then(Value::as_i64),
        actor_email: optional("actor_email"),
        actor_name: optional("actor_name"),
        action: text("action")?,
        target_type: optional("target_type"),
        target_id: optional("target_id"),
        target_label: optional("target_label"),
        ip: optional("ip"),
        user_agent: optional("user_agent"),
        request_id: optional("request_id"),
        trace_id: optional("trace_id"),
        details: text("details")?,
    };
    Ok((fields, text("prev_hash")?, text("hash")?))
}
