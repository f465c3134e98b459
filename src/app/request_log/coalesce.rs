//! What keeps a flood out of the request log (docs/user-guide.md: Leak response →
//! Per-key request log). Each request that names a key is either kept as its
//! own row or counted on a row that stands for the others like it:
//!
//! - refused requests (status ≥ 400): the first [`REFUSED_ROWS_PER_MINUTE`]
//!   of each kind (key, status, error code) in a minute are kept, the rest of
//!   that minute counted on one row;
//! - any request once its key has had [`ROWS_PER_HOUR`] rows this hour, or
//!   when the write buffer is full, is counted the same way;
//! - but the first counted request from each network a key was used from
//!   (up to [`NETWORKS_PER_HOUR`] an hour) is kept, so the writer's
//!   new-network check still sees it.
//!
//! So a key writes at most `ROWS_PER_HOUR + NETWORKS_PER_HOUR` rows an hour
//! plus one a minute per kind of answer, however many requests name it. The
//! decision costs a counter update — no allocation — and happens before
//! anything is built or appended, so memory does not grow with a flood.

use super::{Entry, KeyIdentity, Tally};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Refused requests of one kind a key keeps as rows each minute.
pub const REFUSED_ROWS_PER_MINUTE: u32 = 5;
/// Rows (served or refused) a key writes an hour before every further request is counted.
pub const ROWS_PER_HOUR: u32 = 2_000;
/// Counted requests kept anyway an hour, one per network not seen before.
pub const NETWORKS_PER_HOUR: usize = 16;
/// Kinds of answer (status, error code) one key is tracked for; past that, refused requests are dropped.
const KINDS_PER_KEY: usize = 32;
/// Keys tracked at once (those used this hour); past that, their requests are dropped and counted.
const MAX_KEYS: usize = 50_000;

/// The cheap facts about a request the decision needs (known before anything is built).
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub key: KeyIdentity,
    pub status: u16,
    pub error_code: Option<&'static str>,
    /// It got past authentication (a use of the key from its address).
    pub authenticated: bool,
    pub ip: Option<IpAddr>,
}

/// What became of a request.
#[derive(Debug)]
pub enum Admitted {
    /// Keep it as its own row.
    Row(Box<Entry>),
    /// Counted on the row of its kind for this minute.
    Counted,
    /// Neither (too many keys or kinds at once).
    Dropped,
}

/// The row that stands for the requests of one kind counted in one minute.
#[derive(Debug)]
struct Summary {
    /// The first request counted: the row's time, path, client and request id.
    sample: Entry,
    tally: Arc<Tally>,
    /// Requests counted since the row was last handed to the writer.
    unwritten: u64,
    handed: bool,
}

impl Summary {
    /// The row to write (or add to), if anything changed since the last one.
    fn emit(&mut self) -> Option<Entry> {
        if self.handed && self.unwritten == 0 {
            return None;
        }
        let mut entry = self.sample.clone();
        entry.repeats = std::mem::take(&mut self.unwritten);
        entry.tally = Some(self.tally.clone());
        self.handed = true;
        Some(entry)
    }
}

/// One kind of answer to one key in one minute.
#[derive(Debug)]
struct Kind {
    status: u16,
    error_code: Option<&'static str>,
    minute: i64,
    /// Requests of this kind kept as rows this minute.
    rows: u32,
    summary: Option<Summary>,
}

/// One key's counts for the current hour.
#[derive(Debug)]
struct KeyLedger {
    hour: i64,
    rows: u32,
    /// Networks whose first counted request was kept this hour.
    networks: Vec<u64>,
    kinds: Vec<Kind>,
}

/// Every key's counts; lives behind the request log's lock.
#[derive(Debug, Default)]
pub struct Ledger {
    keys: HashMap<KeyIdentity, KeyLedger>,
    /// Rows of minutes that ended before the writer took them.
    closed: Vec<Summary>,
}

/// A network as a number: the /24 of an IPv4 address, the /48 of an IPv6 one
/// (as `domain::leak::network_of`, without building a string per request).
fn network(ip: IpAddr) -> u64 {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4) >> 8),
        IpAddr::V6(v6) => (1 << 63) | u64::try_from(u128::from(v6) >> 80).unwrap_or(0),
    }
}

impl Ledger {
    /// Decides what becomes of a request seen at `now` (Unix seconds); `room`:
    /// the write buffer can take a row. `make` runs only for a request kept or
    /// the first one counted on a row.
    pub fn admit(&mut self, seen: Seen, now: i64, room: bool, make: impl FnOnce() -> Entry) -> Admitted {
        let (hour, minute) = (now.div_euclid(3600), now.div_euclid(60));
        if self.keys.len() >= MAX_KEYS && !self.keys.contains_key(&seen.key) {
            return Admitted::Dropped;
        }
        let key = self.keys.entry(seen.key).or_insert_with(|| KeyLedger {
            hour,
            rows: 0,
            networks: Vec::new(),
            kinds: Vec::new(),
        });
        if key.hour != hour {
            (key.hour, key.rows) = (hour, 0);
            key.networks.clear();
        }
        let budget = room && key.rows < ROWS_PER_HOUR;
        // The hot path: a served request within the budget is simply kept.
        if budget && seen.status < 400 {
            key.rows += 1;
            return Admitted::Row(Box::new(make()));
        }
        let at = key.kinds.iter().position(|k| k.status == seen.status && k.error_code == seen.error_code);
        let index = match at {
            Some(i) => i,
            None if key.kinds.len() < KINDS_PER_KEY => {
                let kind = Kind { status: seen.status, error_code: seen.error_code, minute, rows: 0, summary: None };
                key.kinds.push(kind);
                key.kinds.len() - 1
            }
            None => return Admitted::Dropped,
        };
        let kind = &mut key.kinds[index];
        if kind.minute != minute {
            // The row of the minute that ended is written as it is.
            self.closed.extend(kind.summary.take());
            (kind.minute, kind.rows) = (minute, 0);
        }
        if budget && kind.rows < REFUSED_ROWS_PER_MINUTE {
            (kind.rows, key.rows) = (kind.rows + 1, key.rows + 1);
            return Admitted::Row(Box::new(make()));
        }
        let new_network = seen
            .ip
            .filter(|_| seen.authenticated && room)
            .map(network)
            .filter(|n| !key.networks.contains(n) && key.networks.len() < NETWORKS_PER_HOUR);
        if let Some(n) = new_network {
            key.networks.push(n);
            return Admitted::Row(Box::new(make()));
        }
        match &mut kind.summary {
            Some(summary) => summary.unwritten += 1,
            None => {
                let sample = make();
                kind.summary = Some(Summary { sample, tally: Arc::default(), unwritten: 0, handed: false });
            }
        }
        Admitted::Counted
    }

    /// The counted rows to write or add to since the last call; forgets
    /// minutes and hours that ended, and gives their memory back.
    pub fn drain(&mut self, now: i64) -> Vec<Entry> {
        let (hour, minute) = (now.div_euclid(3600), now.div_euclid(60));
        let mut rows: Vec<Entry> = self.closed.drain(..).filter_map(|mut s| s.emit()).collect();
        for key in self.keys.values_mut() {
            rows.extend(key.kinds.iter_mut().filter_map(|k| k.summary.as_mut().and_then(Summary::emit)));
            key.kinds.retain(|k| k.minute >= minute);
        }
        self.keys.retain(|_, key| key.hour >= hour || !key.kinds.is_empty());
        if self.keys.capacity() > 64 && self.keys.capacity() > 4 * self.keys.len() {
            self.keys.shrink_to_fit();
        }
        self.closed.shrink_to_fit();
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(status: u16, code: Option<&'static str>) -> Seen {
        let created = chrono::DateTime::from_timestamp(0, 0).map(|t| t.naive_utc()).unwrap_or_default();
        Seen { key: (7, created), status, error_code: code, authenticated: false, ip: None }
    }

    fn entry(request_id: &str) -> Entry {
        let created = chrono::DateTime::from_timestamp(0, 0).map(|t| t.naive_utc()).unwrap_or_default();
        Entry {
            key_row_id: 7,
            key_created_at: created,
            org_id: crate::domain::OrgId::new(1),
            at: created,
            method: "GET".into(),
            path: "/api/v1/ping".into(),
            status: 401,
            error_code: Some("revoked_key"),
            latency_ms: 0,
            ip: None,
            user_agent: None,
            request_id: request_id.into(),
            authenticated: false,
            repeats: 0,
            tally: None,
            via: crate::app::request_log::Via::Api,
            host: None,
        }
    }

    /// (rows kept, counted) of `n` requests like `seen` at `now`.
    fn flood(ledger: &mut Ledger, seen: Seen, now: i64, n: usize) -> (usize, usize) {
        let (mut kept, mut counted) = (0, 0);
        for i in 0..n {
            match ledger.admit(seen, now, true, || entry(&format!("req_{i}"))) {
                Admitted::Row(_) => kept += 1,
                Admitted::Counted => counted += 1,
                Admitted::Dropped => {}
            }
        }
        (kept, counted)
    }

    #[test]
    fn a_flood_of_refusals_keeps_five_a_minute_and_counts_the_rest_on_one_row() {
        let mut ledger = Ledger::default();
        let revoked = seen(401, Some("revoked_key"));
        assert_eq!(flood(&mut ledger, revoked, 120, 10_000), (5, 9_995));
        let rows = ledger.drain(121);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].request_id.as_str(), rows[0].repeats), ("req_5", 9_994), "the first counted one, +9,994");
        let tally = rows[0].tally.clone().expect("a counted row");
        assert!(ledger.drain(122).is_empty(), "nothing new, nothing to write");
        assert_eq!(flood(&mut ledger, revoked, 130, 100), (0, 100), "same minute: all counted");
        let rows = ledger.drain(131);
        assert_eq!(rows[0].repeats, 100);
        assert!(Arc::ptr_eq(rows[0].tally.as_ref().expect("tally"), &tally), "added to the same row");
        // Another kind has its own five; the next minute starts over.
        assert_eq!(flood(&mut ledger, seen(429, Some("rate_limited")), 140, 7), (5, 2));
        assert_eq!(flood(&mut ledger, revoked, 180, 7), (5, 2));
        assert_eq!(ledger.drain(181).len(), 2, "one row per kind that counted something");
    }

    #[test]
    fn the_row_of_a_minute_that_ended_is_still_written() {
        let mut ledger = Ledger::default();
        let revoked = seen(401, Some("revoked_key"));
        flood(&mut ledger, revoked, 119, 8);
        flood(&mut ledger, revoked, 120, 8); // the writer has not run in between
        let rows = ledger.drain(120);
        let repeats: Vec<u64> = rows.iter().map(|r| r.repeats).collect();
        assert_eq!(repeats.iter().sum::<u64>() + rows.len() as u64, 6, "3 + 3 requests counted on two rows");
        assert!(ledger.drain(200).is_empty());
        assert!(ledger.keys.is_empty() || ledger.keys.values().all(|k| k.kinds.is_empty()), "the minute is forgotten");
        assert!(ledger.drain(7_300).is_empty() && ledger.keys.is_empty(), "and the hour");
    }

    #[test]
    fn served_requests_are_kept_up_to_the_hourly_budget_then_counted() {
        let mut ledger = Ledger::default();
        let served = seen(200, None);
        let budget = ROWS_PER_HOUR as usize;
        assert_eq!(flood(&mut ledger, served, 3_600, budget + 500), (budget, 500));
        assert_eq!(
            flood(&mut ledger, seen(401, Some("revoked_key")), 3_600, 3),
            (0, 3),
            "the budget holds refusals too"
        );
        assert_eq!(flood(&mut ledger, served, 7_200, 10), (10, 0), "a new hour, a new budget");
    }

    #[test]
    fn past_the_budget_the_first_use_from_each_new_network_is_kept() {
        let mut ledger = Ledger::default();
        let mut served = seen(200, None);
        served.authenticated = true;
        served.ip = "203.0.113.7".parse().ok();
        flood(&mut ledger, served, 0, ROWS_PER_HOUR as usize);
        assert_eq!(flood(&mut ledger, served, 0, 10), (1, 9), "once per network");
        served.ip = "203.0.113.99".parse().ok();
        assert_eq!(flood(&mut ledger, served, 0, 10), (0, 10), "same /24");
        served.ip = "2001:db8:1::1".parse().ok();
        assert_eq!(flood(&mut ledger, served, 0, 10), (1, 9));
        for i in 0..100u8 {
            served.ip = Some(IpAddr::from([198, 51, i, 1]));
            flood(&mut ledger, served, 0, 1);
        }
        let kept = ledger.keys.values().map(|k| k.networks.len()).sum::<usize>();
        assert_eq!(kept, NETWORKS_PER_HOUR, "a bounded number of networks an hour");
    }

    #[test]
    fn networks_match_the_leak_signals_prefixes() {
        let n = |s: &str| network(s.parse().expect("ip"));
        assert_eq!(n("203.0.113.7"), n("203.0.113.250"));
        assert_ne!(n("203.0.113.7"), n("203.0.114.7"));
        assert_eq!(n("::ffff:203.0.113.7"), n("203.0.113.1"));
        assert_eq!(n("2001:db8:1::1"), n("2001:db8:1:ffff::9"));
        assert_ne!(n("2001:db8:1::1"), n("2001:db8:2::1"));
    }
}
