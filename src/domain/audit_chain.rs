//! The hash chain. Each organisation's events form one chain (org 0 is the
//! platform log), ordered by `seq` = 1, 2, 3 …
//!
//! Canonical encoding (version 1), so an outside tool can re-verify an export:
//! the JSON array, with no whitespace, of
//!
//! ```text
//! [1, org_id, seq, occurred_at, actor_type, actor_id, actor_email, actor_name,
//!  action, target_type, target_id, target_label, ip, user_agent, request_id,
//!  trace_id, details]
//! ```
//!
//! where `occurred_at` is `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds),
//! absent values are `null`, numbers are JSON integers and `details` is the
//! stored JSON text as a string. Then
//! `hash = lowercase hex(SHA-256(prev_hash ‖ "\n" ‖ canonical))`, with
//! `prev_hash` the previous event's hash as hex, or 64 zeros for `seq` 1.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Every stored field of an event except `id`, `prev_hash` and `hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFields {
    pub org_id: i64,
    pub seq: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub target_label: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub trace_id: Option<String>,
    pub details: String,
}

pub fn format_time(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl EventFields {
    pub fn canonical(&self) -> String {
        serde_json::json!([
            1,
            self.org_id,
            self.seq,
            format_time(&self.occurred_at),
            self.actor_type,
            self.actor_id,
            self.actor_email,
            self.actor_name,
            self.action,
            self.target_type,
            self.target_id,
            self.target_label,
            self.ip,
            self.user_agent,
            self.request_id,
            self.trace_id,
            self.details,
        ])
        .to_string()
    }

    pub fn hash(&self, prev_hash: &str) -> String {
        let mut sha = Sha256::new();
        sha.update(prev_hash.as_bytes());
        sha.update(b"\n");
        sha.update(self.canonical().as_bytes());
        hex::encode(sha.finalize())
    }
}

/// Why verification stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The stored hash does not match the event's fields: something was edited.
    ContentChanged,
    /// `prev_hash` does not match the previous event's hash.
    LinkBroken,
    /// One or more events before this one were removed.
    EventMissing { expected_seq: i64 },
    /// Events at the end of the chain were removed (the head remembers more).
    TailMissing { head_seq: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ContentChanged => f.write_str("content changed: the stored hash does not match the event's fields"),
            Self::LinkBroken => f.write_str("link broken: prev_hash does not match the previous event's hash"),
            Self::EventMissing { expected_seq } => {
                write!(f, "event missing: event #{expected_seq} should come before this one")
            }
            Self::TailMissing { head_seq } => {
                write!(f, "events missing at the end: the chain head records event #{head_seq}")
            }
        }
    }
}

/// Checks events in `seq` order, one at a time, so any number can be streamed through.
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
    pub checked: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self { expected_seq: 1, prev_hash: GENESIS_HASH.to_owned(), checked: 0 }
    }
}

impl Verifier {
    /// A verifier for a chain whose events up to `seq` were archived: the
    /// next event must be `seq + 1` and link to `hash`, which a signed
    /// checkpoint vouches for (docs/operator-guide.md: Retention).
    pub fn anchored(seq: i64, hash: &str) -> Self {
        Self { expected_seq: seq + 1, prev_hash: hash.to_owned(), checked: 0 }
    }

    pub fn check(&mut self, fields: &EventFields, prev_hash: &str, hash: &str) -> Result<(), Break> {
        if fields.seq != self.expected_seq {
            return Err(Break::EventMissing { expected_seq: self.expected_seq });
        }
        if prev_hash != self.prev_hash {
            return Err(Break::LinkBroken);
        }
        if fields.hash(prev_hash) != hash {
            return Err(Break::ContentChanged);
        }
        self.expected_seq += 1;
        self.prev_hash = hash.to_owned();
        self.checked += 1;
        Ok(())
    }

    /// After the last event: the chain must end where its head says.
    pub fn finish(&self, head_seq: i64) -> Result<(), Break> {
        if head_seq >= self.expected_seq { Err(Break::TailMissing { head_seq }) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64) -> EventFields {
        EventFields {
            org_id: 7,
            seq,
            occurred_at: chrono::DateTime::from_timestamp(1_700_000_000, 123_456_000)
                .map(|t| t.naive_utc())
                .unwrap_or_default(),
            actor_type: "user".into(),
            actor_id: Some(3),
            actor_email: Some("ada@example.com".into()),
            actor_name: Some("Ada".into()),
            action: "member.added".into(),
            target_type: Some("user".into()),
            target_id: Some("4".into()),
            target_label: Some("bob@example.com".into()),
            ip: Some("127.0.0.1".into()),
            user_agent: Some("curl/8".into()),
            request_id: Some("r1".into()),
            trace_id: None,
            details: r#"{"role":"admin"}"#.into(),
        }
    }

    #[test]
    fn the_canonical_encoding_is_stable() {
        assert_eq!(
            event(1).canonical(),
            r#"[1,7,1,"2023-11-14T22:13:20.123456Z","user",3,"ada@example.com","Ada","member.added","user","4","bob@example.com","127.0.0.1","curl/8","r1",null,"{\"role\":\"admin\"}"]"#
        );
        let expected = {
            let mut sha = Sha256::new();
            sha.update(format!("{GENESIS_HASH}\n{}", event(1).canonical()).as_bytes());
            hex::encode(sha.finalize())
        };
        assert_eq!(event(1).hash(GENESIS_HASH), expected);
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = event(1).hash(GENESIS_HASH);
        let mut changed = Vec::new();
        let mut e = event(1);
        e.ip = Some("10.0.0.1".into());
        changed.push(e.hash(GENESIS_HASH));
        let mut e = event(1);
        e.user_agent = None;
        changed.push(e.hash(GENESIS_HASH));
        let mut e = event(1);
        e.details = "{}".into();
        changed.push(e.hash(GENESIS_HASH));
        let mut e = event(1);
        e.occurred_at += chrono::Duration::microseconds(1);
        changed.push(e.hash(GENESIS_HASH));
        assert!(changed.iter().all(|h| *h != base));
    }

    #[test]
    fn the_verifier_names_each_kind_of_break() {
        let e1 = event(1);
        let h1 = e1.hash(GENESIS_HASH);
        let e2 = event(2);
        let h2 = e2.hash(&h1);
        let mut v = Verifier::default();
        assert_eq!(v.check(&e1, GENESIS_HASH, &h1), Ok(()));
        assert_eq!(v.check(&e2, &h1, &h2), Ok(()));
        assert_eq!(v.finish(2), Ok(()));
        assert_eq!(v.finish(3), Err(Break::TailMissing { head_seq: 3 }));

        let mut v = Verifier::default();
        assert_eq!(v.check(&e2, &h1, &h2), Err(Break::EventMissing { expected_seq: 1 }));
        let mut v = Verifier::default();
        let mut edited = e1.clone();
        edited.ip = Some("6.6.6.6".into());
        assert_eq!(v.check(&edited, GENESIS_HASH, &h1), Err(Break::ContentChanged));
        let mut v = Verifier::default();
        assert_eq!(v.check(&e1, &h2, &h1), Err(Break::LinkBroken));
    }
}
