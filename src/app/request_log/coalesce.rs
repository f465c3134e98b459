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
pub fn network(ip: IpAddr) -> u64 {
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

    /// Kinds of answer tracked now, over every key (what `drain` forgets when their minute ends).
    pub fn kinds_tracked(&self) -> usize {
        self.keys.values().map(|k| k.kinds.len()).sum()
    }

    /// Keys tracked now (forgotten when their hour ends).
    pub fn keys_tracked(&self) -> usize {
        self.keys.len()
    }

    /// Networks whose first counted request was kept this hour, over every key.
    pub fn networks_kept(&self) -> usize {
        self.keys.values().map(|k| k.networks.len()).sum()
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
