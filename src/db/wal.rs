//! The key cache's SQLite connection (infra::key_cache): read-only, kept
//! open for as long as the cache maps the wal-index (`-shm`), so SQLite
//! never deletes, truncates or recreates that file under the mapping.

use diesel::connection::SimpleConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

/// The open connection; it is never used again after [`WalKeeper::open`].
pub struct WalKeeper {
    _conn: SqliteConnection,
}

impl WalKeeper {
    /// Opens the SQLite file at `path` for reading only; `None` unless the
    /// database is in WAL mode. A first read makes sure the wal-index exists
    /// and is initialised.
    pub fn open(path: &str) -> Option<Self> {
        let mut conn = SqliteConnection::establish(path).ok()?;
        conn.batch_execute("PRAGMA busy_timeout = 1000; PRAGMA query_only = ON;").ok()?;
        #[derive(QueryableByName)]
        struct Mode {
            #[diesel(sql_type = diesel::sql_types::Text)]
            journal_mode: String,
        }
        let mode = diesel::sql_query("PRAGMA journal_mode").get_result::<Mode>(&mut conn).ok()?;
        if !mode.journal_mode.eq_ignore_ascii_case("wal") {
            return None;
        }
        conn.batch_execute("SELECT count(*) FROM sqlite_master").ok()?;
        Some(Self { _conn: conn })
    }
}
