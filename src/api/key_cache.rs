//! A per-worker-thread cache of authenticated keys, for SQLite only.
//!
//! Every API request must see a revocation made a moment ago (SPEC §4), so a
//! cached key may be used only while the database is unchanged. SQLite says
//! exactly that: `PRAGMA data_version` on a connection changes whenever any
//! other connection (or process, such as the CLI) commits. Each worker
//! thread keeps one read-only connection for that check — a microsecond
//! read that takes no lock in WAL mode, so it runs inline instead of paying
//! a hop to the blocking pool — and drops its cache on any change. Writes
//! (key changes, audit events, usage flushes) therefore empty the caches,
//! and a revoked, deactivated or downgraded key is refused on the next request.
//! PostgreSQL has no such cheap signal shared by all instances: it is not cached.

use crate::db::api_keys::ApiKey;
use crate::db::orgs::Org;
use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Entries per worker before the cache starts afresh.
const CAPACITY: usize = 10_000;

struct WorkerCache {
    path: String,
    conn: SqliteConnection,
    version: i64,
    keys: HashMap<String, Arc<(ApiKey, Org)>>,
}

thread_local! {
    static CACHE: RefCell<Option<WorkerCache>> = const { RefCell::new(None) };
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

fn data_version(conn: &mut SqliteConnection) -> Option<i64> {
    diesel::sql_query("PRAGMA data_version").get_result::<DataVersion>(conn).ok().map(|v| v.data_version)
}

fn open(path: &str) -> Option<WorkerCache> {
    let mut conn = SqliteConnection::establish(path).ok()?;
    conn.batch_execute("PRAGMA busy_timeout = 1000; PRAGMA query_only = ON;").ok()?;
    let version = data_version(&mut conn)?;
    Some(WorkerCache { path: path.to_owned(), conn, version, keys: HashMap::new() })
}

/// The key and organisation cached for `token_hash`, if the database has not
/// changed since they were cached.
pub fn get(path: &str, token_hash: &str) -> Option<Arc<(ApiKey, Org)>> {
    CACHE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|c| c.path != path) {
            *slot = open(path);
            return None;
        }
        let cache = slot.as_mut()?;
        match data_version(&mut cache.conn) {
            Some(v) if v == cache.version => cache.keys.get(token_hash).cloned(),
            Some(v) => {
                cache.version = v;
                cache.keys.clear();
                None
            }
            None => {
                *slot = None;
                None
            }
        }
    })
}

/// Remembers a key just read from the database (after `get` checked the version).
pub fn put(path: &str, token_hash: &str, found: Arc<(ApiKey, Org)>) {
    CACHE.with(|cell| {
        if let Some(cache) = cell.borrow_mut().as_mut().filter(|c| c.path == path) {
            if cache.keys.len() >= CAPACITY {
                cache.keys.clear();
            }
            cache.keys.insert(token_hash.to_owned(), found);
        }
    });
}
