//! Persistence: the SQLite/PostgreSQL connection, the pool, migrations, and
//! one module per table. Queries return a [`QueryResult`] (Diesel's, under
//! this layer's name); `Db::run` (run.rs) turns its error into this layer's
//! `Error`, which the layers above convert.

pub mod api_keys;
pub mod apis;
pub mod audit_events;
pub mod audit_trim;
pub mod backdate;
pub mod ceremonies;
pub mod checkpoints;
mod conn;
pub mod credits;
pub mod deliveries;
pub mod delivery_messages;
pub mod expiry_notices;
pub mod exposures;
pub mod form_ids;
pub mod instances;
pub mod invitations;
pub mod key_list;
pub mod login_failures;
pub mod mail;
pub mod memberships;
mod migrations;
pub mod orgs;
pub mod outbox;
pub mod password_resets;
pub mod rate_buckets;
pub mod records;
pub mod request_log;
mod run;
pub mod schema;
pub mod scim;
pub mod second_factors;
pub mod sessions;
pub mod setup;
pub mod snapshot;
pub mod sso;
pub mod tables;
pub mod usage;
pub mod users;
pub mod wal;
pub mod webhooks;

pub use conn::DbConn;
pub use migrations::{
    MigrationError, binary_schema_version, database_schema_version, is_newer_level, migrate, migrate_reporting,
    refuse_newer_schema,
};
pub use run::{Db, Error, QueryError, QueryResult, chain, other_error};

use crate::domain::OrgId;
use crate::domain::delivery_state::DeliveryState;
use crate::domain::event_type::EventType;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use std::time::Duration;

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Whether a `DATABASE_URL` names PostgreSQL (otherwise it is an SQLite file).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The SQLite file path inside a `sqlite://PATH` URL (a bare path is accepted too).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

/// Opens connections for r2d2. `DbConn::establish` would hide the real error
/// behind "invalid connection url", so the backend is picked here instead.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    /// A pooler in transaction mode is in between: prepare no statement by
    /// name (it would live on one server session and be missing on the next).
    pooled: bool,
}

impl Manager {
    pub fn new(url: &str) -> Self {
        Self { url: url.to_owned(), pooled: false }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        let mut conn = if is_postgres(&self.url) {
            PgConnection::establish(&self.url).map(DbConn::Pg)
        } else {
            SqliteConnection::establish(sqlite_path(&self.url)).map(DbConn::Sqlite)
        }
        .map_err(r2d2::Error::ConnectionError)?;
        // busy_timeout must come before journal_mode, or a new pool stalls (docs/DATABASE.md).
        let setup = match conn {
            DbConn::Sqlite(_) => {
                conn.batch_execute("PRAGMA busy_timeout = 5000;").map_err(r2d2::Error::QueryError)?;
                wal_mode(&mut conn).map_err(r2d2::Error::QueryError)?;
                "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
            }
            DbConn::Pg(ref mut pg) => {
                if self.pooled {
                    // Unnamed statements go as one Parse/Bind/Execute round, which a pooler keeps together.
                    diesel::connection::Connection::set_prepared_statement_cache_size(
                        pg,
                        diesel::connection::CacheSize::Disabled,
                    );
                }
                "SET TIME ZONE 'UTC';"
            }
        };
        conn.batch_execute(setup).map_err(r2d2::Error::QueryError)?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Puts a SQLite file in WAL mode. Switching a fresh file takes an exclusive
/// lock, and SQLite answers "database is locked" at once, without waiting the
/// busy timeout, to a process that asks while another is switching it —
/// replicas started together on a new database. So ask again, for as long as
/// the busy timeout would have waited.
fn wal_mode(conn: &mut DbConn) -> QueryResult<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match conn.batch_execute("PRAGMA journal_mode = WAL;") {
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("locked") && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// One connection outside the pool, set up as the pool's are (for the CLI's
/// work), with the real error if it cannot be opened.
pub fn connect(url: &str) -> Result<DbConn, r2d2::Error> {
    Manager::new(url).connect()
}

/// Whether the database answers a query at all (`/readyz`).
pub fn ping(conn: &mut DbConn) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

/// Fails unless the database takes a committed write: a read-only SQLite
/// file (or one opened read-only), a full disk, or a read-only PostgreSQL
/// (a standby) is refused at start-up instead of failing every write later.
pub fn check_writable(conn: &mut DbConn) -> Result<(), String> {
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    match conn {
        DbConn::Sqlite(_) => {
            // Rewriting the header's user_version (unused by migrations) commits a real page write.
            let row: Setting = diesel::sql_query("SELECT CAST(user_version AS TEXT) AS value FROM pragma_user_version")
                .get_result(conn)
                .map_err(|e| e.to_string())?;
            let version: i64 = row.value.parse().map_err(|_| format!("unexpected user_version {}", row.value))?;
            conn.batch_execute(&format!("PRAGMA user_version = {version}")).map_err(|e| e.to_string())
        }
        DbConn::Pg(_) => {
            let row: Setting = diesel::sql_query("SELECT current_setting('transaction_read_only') AS value")
                .get_result(conn)
                .map_err(|e| e.to_string())?;
            if row.value == "on" { Err("the server only allows reads (a standby?)".into()) } else { Ok(()) }
        }
    }
}

/// Builds the pool without opening a connection yet, so a server can start
/// (and answer `/readyz` 503) while the database is down.
pub fn pool(url: &str) -> Pool {
    pool_with(Manager::new(url))
}

/// A pool whose connections go through a pooler in transaction mode
/// (PgBouncer): no statement is prepared by name, and nothing relies on a
/// session outliving a transaction (docs/operator-guide.md: Scale-out →
/// Connection poolers).
pub fn pool_through_pooler(url: &str) -> Pool {
    pool_with(Manager { url: url.to_owned(), pooled: true })
}

fn pool_with(manager: Manager) -> Pool {
    let size = if is_postgres(&manager.url) { 10 } else { 8 };
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        // No `SELECT 1` before every checkout: a broken connection fails its query and is replaced.
        .test_on_check_out(false)
        .build_unchecked(manager)
}

/// The current UTC time as stored (it is a value: `domain::timefmt::now`).
pub use crate::domain::timefmt::now;

/// Runs `f` in a transaction that is a writer from its first statement.
///
/// SQLite's plain `BEGIN` is deferred: a transaction that reads first and
/// then writes must upgrade its lock, and when another connection committed
/// in between, SQLite refuses the upgrade at once ("database is locked")
/// without waiting for the busy timeout — the write is lost. `BEGIN
/// IMMEDIATE` takes the write lock up front (waiting up to the busy
/// timeout), so every read inside sees the state it writes against.
/// PostgreSQL's row locks need no such step. Inside an open transaction this
/// nests as a savepoint. `Connection::transaction` is refused by clippy
/// (`clippy.toml`), so no writer can start deferred by accident.
pub fn transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let DbConn::Sqlite(sqlite) = &mut *conn else {
        #[allow(clippy::disallowed_methods)] // PostgreSQL: a plain transaction is already a writer.
        return conn.transaction(f);
    };
    if AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?.is_some() {
        #[allow(clippy::disallowed_methods)] // already a writer: nest as a savepoint
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match <DbConn as Connection>::TransactionManager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Serialises writers that touch one organisation (memberships, later the
/// audit chain). A no-op UPDATE as the transaction's first statement takes
/// PostgreSQL's row lock and SQLite's write lock before anything is read, so
/// check-then-write sequences cannot interleave on either backend.
pub fn lock_org(conn: &mut DbConn, org_id: OrgId) -> QueryResult<()> {
    use schema::orgs::dsl;
    diesel::update(dsl::orgs.filter(dsl::id.eq(org_id.get()))).set(dsl::id.eq(dsl::id)).execute(conn).map(|_| ())
}

/// Takes one key's row lock for the rest of the transaction, the same way,
/// so a check read after it (a rotation's "not replaced yet") cannot be
/// raced by another writer of that key.
pub fn lock_key(conn: &mut DbConn, key_row_id: i64) -> QueryResult<()> {
    use schema::api_keys::dsl;
    diesel::update(dsl::api_keys.find(key_row_id)).set(dsl::id.eq(dsl::id)).execute(conn).map(|_| ())
}

#[derive(diesel::QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// A queue table of due work: `state`, `next_attempt_at`, `locked_until`.
#[derive(Debug, Clone, Copy)]
pub enum Queue {
    WebhookDeliveries,
    MailOutbox,
}

impl Queue {
    pub const ALL: [Queue; 2] = [Queue::WebhookDeliveries, Queue::MailOutbox];

    pub fn table(self) -> &'static str {
        match self {
            Queue::WebhookDeliveries => "webhook_deliveries",
            Queue::MailOutbox => "mail_outbox",
        }
    }
}

/// Rows of a queue still to send, and when the longest-waiting due one fell due.
#[derive(Debug, diesel::QueryableByName)]
pub struct QueueStats {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub depth: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    pub oldest_due: Option<chrono::NaiveDateTime>,
}

pub fn queue_stats(conn: &mut DbConn, queue: Queue) -> QueryResult<QueueStats> {
    let sql = format!(
        "SELECT COUNT(*) AS depth, MIN(CASE WHEN next_attempt_at <= $1 THEN next_attempt_at END) AS oldest_due \
         FROM {} WHERE state = 'pending'",
        queue.table()
    );
    diesel::sql_query(sql).bind::<diesel::sql_types::Timestamp, _>(now()).get_result(conn)
}

/// Claims up to `limit` due rows of `queue` for `lease`: no other instance
/// picks them until the lease ends (a crash mid-send retries after it: at
/// least once). PostgreSQL skips rows other instances hold (`FOR UPDATE SKIP
/// LOCKED`); SQLite has one writer, so the UPDATE alone is atomic.
pub fn claim_due(conn: &mut DbConn, queue: Queue, limit: i64, lease: chrono::Duration) -> QueryResult<Vec<i64>> {
    use diesel::sql_types::{BigInt, Timestamp};
    let table = queue.table();
    let at = now();
    let lock = if matches!(conn, DbConn::Pg(_)) { " FOR UPDATE SKIP LOCKED" } else { "" };
    // The audit stream goes out in chain order per endpoint: a streamed
    // event waits while an earlier one to the same endpoint is still pending
    // (claimed, or waiting for a retry). Its deliveries were queued in chain
    // order, under the chain-head lock, so ids follow seq.
    let in_order = match queue {
        Queue::WebhookDeliveries => format!(
            " AND NOT (q.event_type = '{stream}' AND EXISTS (SELECT 1 FROM webhook_deliveries e \
             WHERE e.endpoint_id = q.endpoint_id AND e.event_type = '{stream}' AND e.state = '{pending}' \
             AND e.id < q.id))",
            stream = EventType::AuditEvent.as_str(),
            pending = DeliveryState::Pending.as_str(),
        ),
        Queue::MailOutbox => String::new(),
    };
    let sql = format!(
        "UPDATE {table} SET locked_until = $1 WHERE id IN (SELECT q.id FROM {table} q \
         WHERE q.state = 'pending' AND q.next_attempt_at <= $2 AND (q.locked_until IS NULL OR q.locked_until < $2)\
         {in_order} ORDER BY q.next_attempt_at, q.id LIMIT $3{lock}) RETURNING id"
    );
    let rows: Vec<Claimed> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(at + lease)
        .bind::<Timestamp, _>(at)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// True when a diesel error is a unique-constraint violation.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(err, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}
