//! Signed audit checkpoints (docs/user-guide.md: Audit log → Your own verifiable copy):
//! the head of an organisation's chain — its `seq` and `hash` — signed with
//! the server's Ed25519 key at a moment `signed_at`. A chain rewritten later
//! with every hash recomputed no longer matches a checkpoint taken before,
//! and nobody without the key (which never lives in the database) can sign
//! a new one.
//!
//! The signed message is the UTF-8 text
//! `latchkey-audit-checkpoint-v1\n{org_id}\n{seq}\n{hash}\n{signed_at}`,
//! `signed_at` in RFC 3339 UTC as stored (`2026-11-30T09:15:02.123456Z`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

/// A checkpoint's fields, as stored and exported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub org_id: i64,
    pub seq: i64,
    pub hash: String,
    pub signed_at: String,
    /// Base64 of the 64-byte Ed25519 signature.
    pub signature: String,
}

/// The exact bytes a checkpoint signs.
pub fn message(org_id: i64, seq: i64, hash: &str, signed_at: &str) -> String {
    format!("latchkey-audit-checkpoint-v1\n{org_id}\n{seq}\n{hash}\n{signed_at}")
}

/// `signed_at` as stored and signed: RFC 3339, UTC, microseconds.
pub fn format_signed_at(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A stored `signed_at` read back as a time (`None` when it is not in the stored format).
pub fn parse_signed_at(text: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.fZ").ok()
}

/// Events older than two checkpoint intervals that no checkpoint covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uncovered {
    pub count: u64,
    pub first_seq: i64,
}

/// Checkpoint coverage: an event is covered by a checkpoint at or after its
/// seq signed at most two intervals after the event was recorded. Someone
/// who can write the database can delete checkpoints, rewrite the chain and
/// get its head signed again, but that new checkpoint is signed too late
/// for the older events — so they stay "not proven" instead of "intact".
/// Events younger than two intervals are not yet due. Feed it the chain's
/// events in seq order.
pub struct Coverage {
    /// Seq ascending: (a checkpoint's seq, the earliest `signed_at` of the checkpoints at that seq or later).
    earliest_from: Vec<(i64, chrono::NaiveDateTime)>,
    next: usize,
    window: chrono::TimeDelta,
    due_before: chrono::NaiveDateTime,
    uncovered: Option<Uncovered>,
}

impl Coverage {
    /// `signed`: (seq, signed_at) of every checkpoint whose signature verified.
    pub fn new(
        interval: chrono::TimeDelta,
        now: chrono::NaiveDateTime,
        mut signed: Vec<(i64, chrono::NaiveDateTime)>,
    ) -> Self {
        signed.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        let mut earliest: Option<chrono::NaiveDateTime> = None;
        let mut earliest_from: Vec<_> = signed
            .into_iter()
            .map(|(seq, at)| {
                let at = earliest.map_or(at, |e| e.min(at));
                earliest = Some(at);
                (seq, at)
            })
            .collect();
        earliest_from.reverse();
        let window = interval * 2;
        Self { earliest_from, next: 0, window, due_before: now - window, uncovered: None }
    }

    /// One event of the chain, in seq order.
    pub fn event(&mut self, seq: i64, occurred_at: chrono::NaiveDateTime) {
        while self.earliest_from.get(self.next).is_some_and(|(s, _)| *s < seq) {
            self.next += 1;
        }
        if occurred_at >= self.due_before {
            return;
        }
        let deadline = occurred_at + self.window;
        if self.earliest_from.get(self.next).is_some_and(|(_, at)| *at <= deadline) {
            return;
        }
        let u = self.uncovered.get_or_insert(Uncovered { count: 0, first_seq: seq });
        u.count += 1;
    }

    /// `None` when every due event is covered.
    pub fn finish(self) -> Option<Uncovered> {
        self.uncovered
    }
}

/// The server's signing key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct CheckpointSigner {
    key: SigningKey,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner").field("public_key", &self.public_key()).finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// From the 32-byte seed, base64 (`LATCHKEY_AUDIT_SIGNING_KEY`).
    pub fn from_base64(text: &str) -> Result<Self, &'static str> {
        let bytes = B64.decode(text.trim()).map_err(|_| "not valid base64")?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| "needs exactly 32 bytes")?;
        Ok(Self { key: SigningKey::from_bytes(&seed) })
    }

    /// The public key as served at `/.well-known/latchkey-audit-key`: base64 of its 32 bytes.
    pub fn public_key(&self) -> String {
        B64.encode(self.key.verifying_key().as_bytes())
    }

    pub fn sign(&self, org_id: i64, seq: i64, hash: &str, signed_at: &str) -> Checkpoint {
        let signature = self.key.sign(message(org_id, seq, hash, signed_at).as_bytes());
        Checkpoint {
            org_id,
            seq,
            hash: hash.to_owned(),
            signed_at: signed_at.to_owned(),
            signature: B64.encode(signature.to_bytes()),
        }
    }
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The public key is not 32 bytes of base64 or not a valid point.
    BadPublicKey,
    /// The signature is not 64 bytes of base64.
    MalformedSignature,
    /// The signature does not match the checkpoint under this key.
    WrongSignature,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::BadPublicKey => "the public key is not a base64 Ed25519 key (32 bytes)",
            Self::MalformedSignature => "the signature is not base64 of 64 bytes",
            Self::WrongSignature => "the signature does not match: forged, altered, or signed by another key",
        })
    }
}

/// A public key read from its base64 text.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, Refused> {
    let bytes = B64.decode(text.trim()).map_err(|_| Refused::BadPublicKey)?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| Refused::BadPublicKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| Refused::BadPublicKey)
}

impl Checkpoint {
    /// The checkpoint as the JSON Lines export's last line and the `audit.checkpoint` event carry it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "checkpoint", "org_id": self.org_id, "seq": self.seq, "hash": self.hash,
            "signed_at": self.signed_at, "signature": self.signature,
        })
    }

    /// Checks the signature under `public_key` (base64).
    pub fn verify(&self, public_key: &str) -> Result<(), Refused> {
        let key = parse_public_key(public_key)?;
        let bytes = B64.decode(&self.signature).map_err(|_| Refused::MalformedSignature)?;
        let signature = Signature::from_slice(&bytes).map_err(|_| Refused::MalformedSignature)?;
        key.verify_strict(message(self.org_id, self.seq, &self.hash, &self.signed_at).as_bytes(), &signature)
            .map_err(|_| Refused::WrongSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(byte: u8) -> CheckpointSigner {
        CheckpointSigner::from_base64(&B64.encode([byte; 32])).expect("key")
    }

    #[test]
    fn the_signed_message_is_exactly_the_documented_text() {
        assert_eq!(
            message(7, 42, "ab12", "2026-11-30T09:15:02.000000Z"),
            "latchkey-audit-checkpoint-v1\n7\n42\nab12\n2026-11-30T09:15:02.000000Z"
        );
    }

    #[test]
    fn a_checkpoint_verifies_under_its_key_only_and_any_change_breaks_it() {
        let (good, other) = (signer(1), signer(2));
        let c = good.sign(7, 42, &"a".repeat(64), "2026-11-30T09:15:02.000000Z");
        assert_eq!(c.verify(&good.public_key()), Ok(()));
        assert_eq!(c.verify(&other.public_key()), Err(Refused::WrongSignature));
        for changed in [
            Checkpoint { seq: 43, ..c.clone() },
            Checkpoint { org_id: 8, ..c.clone() },
            Checkpoint { hash: "b".repeat(64), ..c.clone() },
            Checkpoint { signed_at: "2026-11-30T09:15:03.000000Z".into(), ..c.clone() },
        ] {
            assert_eq!(changed.verify(&good.public_key()), Err(Refused::WrongSignature));
        }
        assert_eq!(
            Checkpoint { signature: "x".into(), ..c.clone() }.verify(&good.public_key()),
            Err(Refused::MalformedSignature)
        );
        assert_eq!(c.verify("not a key"), Err(Refused::BadPublicKey));
    }

    fn at(hours: i64) -> chrono::NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + hours * 3600, 0).map(|t| t.naive_utc()).unwrap_or_default()
    }

    /// Coverage of events (seq, recorded at hour) by checkpoints (seq, signed at hour), interval 1 h, now at hour 100.
    fn uncovered(events: &[(i64, i64)], checkpoints: &[(i64, i64)]) -> Option<Uncovered> {
        let signed = checkpoints.iter().map(|(seq, h)| (*seq, at(*h))).collect();
        let mut coverage = Coverage::new(chrono::TimeDelta::hours(1), at(100), signed);
        for (seq, h) in events {
            coverage.event(*seq, at(*h));
        }
        coverage.finish()
    }

    #[test]
    fn an_event_is_covered_by_a_later_checkpoint_signed_within_two_intervals() {
        let events = [(1, 10), (2, 11), (3, 50)];
        assert_eq!(uncovered(&events, &[(2, 12), (3, 51)]), None);
        // One checkpoint signed two intervals after the first event covers everything before it.
        assert_eq!(uncovered(&events, &[(3, 52)]), Some(Uncovered { count: 2, first_seq: 1 }));
        assert_eq!(uncovered(&[(1, 10), (2, 11)], &[(2, 12)]), None);
        // A checkpoint before an event's seq never covers it, however early.
        assert_eq!(uncovered(&events, &[(2, 12)]), Some(Uncovered { count: 1, first_seq: 3 }));
    }

    #[test]
    fn re_signing_after_checkpoints_vanished_leaves_older_events_not_proven() {
        let events: Vec<(i64, i64)> = (1..=5).map(|seq| (seq, seq * 10)).collect();
        assert_eq!(uncovered(&events, &[(5, 99)]), Some(Uncovered { count: 5, first_seq: 1 }));
        // Young events (under two intervals old) are not due yet.
        assert_eq!(uncovered(&[(1, 10), (2, 99)], &[(1, 11)]), None);
        assert_eq!(uncovered(&[(1, 99)], &[]), None);
        assert_eq!(uncovered(&[(1, 97), (2, 98)], &[]), Some(Uncovered { count: 1, first_seq: 1 }));
    }

    #[test]
    fn signed_at_reads_back_as_stored() {
        let text = "2026-11-30T09:15:02.123456Z";
        let parsed = parse_signed_at(text).expect("time");
        assert_eq!(format_signed_at(parsed.and_utc()), text);
        assert_eq!(parse_signed_at("yesterday"), None);
    }

    #[test]
    fn keys_must_be_32_bytes_and_never_show_in_debug() {
        assert!(CheckpointSigner::from_base64(&B64.encode([1u8; 31])).is_err());
        assert!(CheckpointSigner::from_base64("***").is_err());
        let s = signer(9);
        assert!(!format!("{s:?}").contains(&B64.encode([9u8; 32])));
    }
}
