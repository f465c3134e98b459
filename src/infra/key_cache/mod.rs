//! A cache of authenticated keys that can never serve a stale one.
//!
//! Every API request must see a revocation made a moment ago, on every
//! instance (docs/ARCHITECTURE.md: The key cache), so a cached key is used only under a *stamp* read
//! after the request arrived, and only when that stamp equals the one the
//! key was cached under. The stamp changes whenever anything that
//! authentication depends on may have changed:
//!
//! - **SQLite** (WAL mode): the wal-index header at the start of the `-shm`
//!   file, which SQLite rewrites on every commit by any connection or process
//!   (<https://sqlite.org/walformat.html>). The file is memory-mapped, as
//!   SQLite maps it itself, so reading the 96-byte header is a few memory
//!   loads: no system call, no lock. When its two copies differ a writer is
//!   mid-update and the cache is skipped. The cache keeps its own connection
//!   open so SQLite never deletes, truncates or recreates the file under it.
//! - **PostgreSQL**: `auth_generation.n`, bumped at commit by triggers on
//!   `api_keys` and `orgs` (migration 000008), which also announce it on a
//!   notification channel (migration 000017). While this instance's listener
//!   (listener.rs) hears the channel, the stamp is the generation it last
//!   heard — no database round trip — and a revoking request waits until
//!   every live instance has acknowledged its change ([`KeyCache::confirm`]).
//!   While it does not, requests read the generation: those that arrive while
//!   no read is running start one; those that arrive during a read wait for
//!   the next one, which then answers all of them — one query per batch of
//!   concurrent requests.
//!
//! Any commit therefore empties the SQLite cache, and any key or organisation
//! change the PostgreSQL one; a miss falls back to the database lookup.

use crate::db::Db;
use crate::db::api_keys::ApiKey;
use crate::db::orgs::Org;
use crate::db::wal::WalKeeper;
use crate::domain::token::KeyHash;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

mod listener;

/// Entries before the cache starts afresh.
const CAPACITY: usize = 10_000;

type Found = Arc<(ApiKey, Org)>;

pub struct KeyCache {
    /// The token's hash → (stamp it was read under, key and org).
    entries: Mutex<HashMap<KeyHash, (u64, Found)>>,
    source: Source,
    metrics: Arc<crate::infra::metrics::Metrics>,
}

enum Source {
    /// Opened once, on first use; `None` = the cache is off (not WAL, or unreadable).
    Sqlite {
        path: String,
        shm: std::sync::OnceLock<Option<Shm>>,
    },
    Postgres {
        batches: Batches,
        live: Arc<listener::Live>,
        url: String,
    },
}

/// The mapped `-shm` header, and the connection that keeps the file in place.
struct Shm {
    header: memmap2::Mmap,
    /// Never used again; the Mutex only makes `Shm` shareable.
    _conn: Mutex<WalKeeper>,
}

#[derive(Default)]
struct Batches {
    state: Arc<Mutex<BatchState>>,
}

#[derive(Default)]
struct BatchState {
    reading: bool,
    waiting: Vec<oneshot::Sender<Option<u64>>>,
}

impl KeyCache {
    /// `listen_url`: where the listener connects, when not `database_url` (a pooler in between).
    pub fn new(database_url: &str, listen_url: Option<&str>, metrics: Arc<crate::infra::metrics::Metrics>) -> Self {
        let source = if crate::db::is_postgres(database_url) {
            let live = Arc::new(listener::Live::new());
            let url = listen_url.unwrap_or(database_url).to_owned();
            Source::Postgres { batches: Batches::default(), live, url }
        } else {
            Source::Sqlite { path: crate::db::sqlite_path(database_url).to_owned(), shm: Default::default() }
        };
        Self { entries: Mutex::new(HashMap::new()), source, metrics }
    }

    /// Starts listening for changes (PostgreSQL; a server calls it once).
    pub fn start(&self) {
        if let Source::Postgres { live, url, .. } = &self.source {
            listener::start(url.clone(), live, self.metrics.clone());
        }
    }

    /// This instance's id in the registry and the count of live instances
    /// its listener keeps up to date (PostgreSQL).
    pub fn registry(&self) -> Option<(&str, Arc<std::sync::atomic::AtomicU32>)> {
        match &self.source {
            Source::Postgres { live, .. } => Some((&live.id, live.instances.clone())),
            Source::Sqlite { .. } => None,
        }
    }

    /// Takes this instance out of the registry on an orderly stop (PostgreSQL).
    pub fn leave(&self) {
        if let Source::Postgres { live, url, .. } = &self.source {
            listener::leave(url, &live.id);
        }
    }

    /// Whether the cache is used without a read per request: SQLite always
    /// (the stamp is a memory read), PostgreSQL while the channel works.
    pub fn is_trusted(&self) -> bool {
        match &self.source {
            Source::Sqlite { .. } => true,
            Source::Postgres { live, .. } => live.is_trusted(),
        }
    }

    /// After a commit that revoked, deactivated or otherwise narrowed a key:
    /// waits (at most 5 s) until every live instance has acknowledged the
    /// change, so none serves the key again from its cache. Nothing to wait
    /// for on SQLite, where every process sees every commit at once.
    pub async fn confirm(&self, db: &crate::db::Db) {
        if !matches!(self.source, Source::Postgres { .. }) {
            return;
        }
        let started = std::time::Instant::now();
        let complete = db.run(move |conn| confirm_blocking(conn, started)).await.unwrap_or(false);
        self.metrics.confirmed(started.elapsed().as_secs_f64(), complete);
    }

    /// The database's stamp, read after this call began; `None` = do not use the cache.
    pub async fn stamp(&self, db: &Db) -> Option<u64> {
        match &self.source {
            Source::Sqlite { path, shm } => {
                let shm = shm.get_or_init(|| {
                    let opened = open_shm(path);
                    if opened.is_none() {
                        tracing::warn!("the SQLite key cache is off (the database is not in WAL mode)");
                    }
                    opened
                });
                // None while a writer is mid-update: this request reads the database.
                wal_index_stamp(&shm.as_ref()?.header)
            }
            Source::Postgres { batches, live, .. } => match live.trusted_generation() {
                Some(generation) => Some(generation),
                None => batches.stamp(db).await,
            },
        }
    }

    pub fn get(&self, hash: &KeyHash, stamp: u64) -> Option<Found> {
        let entries = self.entries.lock().ok()?;
        let hit = entries.get(hash).filter(|(s, _)| *s == stamp).map(|(_, found)| found.clone());
        self.metrics.cache_hit(hit.is_some());
        hit
    }

    /// Remembers a key read from the database after `stamp` was read.
    pub fn put(&self, hash: KeyHash, stamp: u64, found: Found) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                // Entries of an older stamp can never be served again: drop those first,
                // and start afresh only when the current ones alone fill the cache.
                entries.retain(|_, (s, _)| *s == stamp);
                if entries.len() >= CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(hash, (stamp, found));
        }
    }
}

fn open_shm(path: &str) -> Option<Shm> {
    // Not in WAL mode (or unreadable): None. Otherwise the wal-index exists and is initialised.
    let conn = WalKeeper::open(path)?;
    let file = std::fs::File::open(format!("{path}-shm")).ok()?;
    if file.metadata().ok()?.len() < HEADER_LEN as u64 {
        return None;
    }
    // SAFETY: a read-only shared mapping of SQLite's wal-index, which SQLite
    // maps the same way. The file only shrinks when no connection has it
    // open, and `_conn` keeps one open for as long as the mapping lives, so
    // the mapped bytes stay backed. Other processes write them concurrently,
    // so they are only ever read with atomic loads (`wal_index_stamp`).
    let header = unsafe { memmap2::MmapOptions::new().len(HEADER_LEN).map(&file) }.ok()?;
    // Never close this descriptor: closing any descriptor of a file drops every
    // POSIX lock the process holds on it, SQLite's own -shm locks included, and
    // other processes could then write the WAL at the same time (lost commits)
    // or truncate the file under every mapping. So it is opened once and kept.
    std::mem::forget(file);
    Some(Shm { header, _conn: Mutex::new(conn) })
}

/// The wal-index header: 48 bytes, stored twice.
const HEADER_LEN: usize = 96;

/// A hash of the wal-index header (48 bytes, stored twice), or `None` while
/// a writer is updating it or before it is initialised.
fn wal_index_stamp(mapped: &memmap2::Mmap) -> Option<u64> {
    // SAFETY: the mapping is page-aligned and HEADER_LEN (a multiple of 8)
    // long, and AtomicU64 has u64's layout; atomics make concurrent writes
    // by other processes well-defined to read.
    let words: &[AtomicU64] =
        unsafe { std::slice::from_raw_parts(mapped.as_ptr().cast::<AtomicU64>(), HEADER_LEN / 8) };
    // In order, first copy then second, as SQLite reads it (writers update the second copy first).
    let mut header = [0u8; HEADER_LEN];
    for (chunk, word) in header.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.load(Ordering::Acquire).to_ne_bytes());
    }
    let (first, second) = header.split_at(HEADER_LEN / 2);
    // Byte 12 is `isInit`.
    if first != second || first[12] == 0 {
        return None;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    first.hash(&mut hasher);
    Some(hasher.finish())
}

impl Batches {
    async fn stamp(&self, db: &Db) -> Option<u64> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut state = self.state.lock().ok()?;
            state.waiting.push(tx);
            !std::mem::replace(&mut state.reading, true)
        };
        if start {
            // On its own task: a request dropped mid-read (client gone) must not strand the others.
            let (state, db) = (self.state.clone(), db.clone());
            tokio::spawn(async move { read_until_drained(&state, &db).await });
        }
        rx.await.ok().flatten()
    }
}

/// Reads the generation for everyone waiting, again for those who came
/// during the read, until nobody waits. Each batch is taken *before* its
/// read starts, so every request gets a value read after it arrived.
async fn read_until_drained(state: &Mutex<BatchState>, db: &Db) {
    loop {
        let batch = match state.lock() {
            Ok(mut state) if state.waiting.is_empty() => {
                state.reading = false;
                return;
            }
            Ok(mut state) => std::mem::take(&mut state.waiting),
            Err(_) => return,
        };
        let generation = db.run(crate::db::instances::current_generation).await.ok();
        for waiter in batch {
            let _ = waiter.send(generation);
        }
    }
}

/// Polls the registry until no live instance lags behind the generation
/// this request's commit produced, or 5 s have passed; true when none lags.
/// On SQLite there is nothing to wait for. Also used by the CLI.
pub fn confirm_blocking(conn: &mut crate::db::DbConn, started: std::time::Instant) -> crate::db::QueryResult<bool> {
    let crate::db::DbConn::Pg(pg) = conn else { return Ok(true) };
    let generation = crate::db::instances::generation(pg)?;
    let limit = std::time::Duration::from_secs(crate::db::instances::LIVE_SECS as u64);
    loop {
        if crate::db::instances::lagging(pg, generation)? == 0 {
            return Ok(true);
        }
        if started.elapsed() >= limit {
            tracing::warn!(generation, "a revocation was answered before every live instance acknowledged it");
            return Ok(false);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
