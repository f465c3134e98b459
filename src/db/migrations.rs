//! Applying the embedded migrations when any number of processes start at
//! once on one database (replicas, `latchkey migrate` beside `serve`).
//!
//! Each process takes a lock only one of them can hold, then looks at what
//! is pending and applies it; the others wait, then find nothing left. Without
//! it two processes both see a fresh database and both create diesel's
//! bookkeeping table, and one dies. PostgreSQL: a session advisory lock on
//! the migrating connection (gone with the session if the process dies).
//! SQLite: an exclusive lock on a file beside the database, not a transaction
//! around the migrations, because a migration that turns `foreign_keys` off
//! runs outside any transaction (the pragma does nothing inside one).

use super::DbConn;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The advisory lock's key: "latchkey" in ASCII, easy to spot in `pg_locks`.
const PG_LOCK_KEY: i64 = 0x6c61_7463_686b_6579;

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("migration failed: {0}")]
    Failed(String),
    /// A newer latchkey migrated this database: this binary does not know
    /// its tables, and running on them could lose or corrupt data.
    #[error(
        "the database's schema is at level {database}, newer than this latchkey knows (level {binary}); nothing was \
         changed. Run the newer latchkey, or restore a backup made at level {binary} or older \
         (docs/upgrading.md)"
    )]
    NewerSchema { database: String, binary: String },
}

/// The migrations written for the connection's backend.
fn migrations_for(conn: &DbConn) -> EmbeddedMigrations {
    match conn {
        DbConn::Sqlite(_) => SQLITE_MIGRATIONS,
        DbConn::Pg(_) => PG_MIGRATIONS,
    }
}

/// Runs the pending migrations of the connection's backend; returns the versions applied.
pub fn migrate(conn: &mut DbConn) -> Result<Vec<String>, MigrationError> {
    let mut versions = Vec::new();
    migrate_reporting(conn, |_, _, version| versions.push(version.to_owned()))?;
    Ok(versions)
}

/// Runs the pending migrations one by one under the migration lock, calling
/// `applied(done, total, version)` after each; returns how many ran (0 when
/// another process applied them first).
pub fn migrate_reporting(
    conn: &mut DbConn,
    mut applied: impl FnMut(usize, usize, &str),
) -> Result<usize, MigrationError> {
    with_migration_lock(conn, |conn| {
        refuse_newer_schema(conn)?;
        let pending = conn.pending_migrations(migrations_for(conn)).map_err(failed)?.len();
        for done in 1..=pending {
            let version = conn.run_next_migration(migrations_for(conn)).map_err(failed)?;
            applied(done, pending, &version.to_string());
        }
        Ok(pending)
    })
}

fn failed(e: impl std::fmt::Display) -> MigrationError {
    MigrationError::Failed(e.to_string())
}

/// The newest schema level this binary carries for the connection's backend
/// (the newest migration's version, e.g. `20261206000023`).
pub fn binary_schema_version(conn: &DbConn) -> String {
    use diesel::migration::MigrationSource;
    let versions: Vec<String> = match conn {
        DbConn::Sqlite(_) => MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .unwrap_or_default()
            .iter()
            .map(|m| m.name().version().to_string())
            .collect(),
        DbConn::Pg(_) => MigrationSource::<diesel::pg::Pg>::migrations(&PG_MIGRATIONS)
            .unwrap_or_default()
            .iter()
            .map(|m| m.name().version().to_string())
            .collect(),
    };
    versions.into_iter().max_by(|a, b| by_level(a, b)).unwrap_or_default()
}

/// The newest migration applied to the database; `None` for an empty one.
/// Reads only: a database without diesel's bookkeeping table has none.
pub fn database_schema_version(conn: &mut DbConn) -> Result<Option<String>, MigrationError> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    if !super::tables::exists(conn, "__diesel_schema_migrations").map_err(failed)? {
        return Ok(None);
    }
    let rows: Vec<Version> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(conn).map_err(failed)?;
    Ok(rows.into_iter().map(|r| r.version).max_by(|a, b| by_level(a, b)))
}

/// Refuses, before anything is written, a database a newer binary migrated.
pub fn refuse_newer_schema(conn: &mut DbConn) -> Result<(), MigrationError> {
    let binary = binary_schema_version(conn);
    match database_schema_version(conn)? {
        Some(database) if by_level(&database, &binary).is_gt() => Err(MigrationError::NewerSchema { database, binary }),
        _ => Ok(()),
    }
}

/// Whether schema level `candidate` is newer than `than`.
pub fn is_newer_level(candidate: &str, than: &str) -> bool {
    by_level(candidate, than).is_gt()
}

/// Orders versions (all digits) by number: a longer one is newer.
fn by_level(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Runs `f` while holding the lock that serialises migrating processes.
fn with_migration_lock<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, MigrationError>,
) -> Result<T, MigrationError> {
    match conn {
        DbConn::Pg(_) => {
            if !pg_try_lock(conn)? {
                tracing::info!("another process is migrating the database; waiting for it");
                conn.batch_execute(&format!("SELECT pg_advisory_lock({PG_LOCK_KEY})")).map_err(failed)?;
            }
            let result = f(conn);
            let unlocked = conn.batch_execute(&format!("SELECT pg_advisory_unlock({PG_LOCK_KEY})"));
            // A failed migration's error says more than a failed unlock (the session ends with the connection anyway).
            let value = result?;
            unlocked.map_err(failed)?;
            Ok(value)
        }
        DbConn::Sqlite(_) => {
            // Held until dropped at the end of this arm: closing the file releases the lock.
            let _lock = match sqlite_file(conn)? {
                Some(database) => Some(lock_file(&database)?),
                None => None, // an in-memory database: nobody else can open it
            };
            f(conn)
        }
    }
}

fn pg_try_lock(conn: &mut DbConn) -> Result<bool, MigrationError> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    let row: Locked = diesel::sql_query(format!("SELECT pg_try_advisory_lock({PG_LOCK_KEY}) AS locked"))
        .get_result(conn)
        .map_err(failed)?;
    Ok(row.locked)
}

/// The main database's file, as SQLite resolved it; `None` for an in-memory one.
fn sqlite_file(conn: &mut DbConn) -> Result<Option<String>, MigrationError> {
    #[derive(QueryableByName)]
    struct File {
        #[diesel(sql_type = diesel::sql_types::Text)]
        file: String,
    }
    let row: File = diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .get_result(conn)
        .map_err(failed)?;
    Ok(Some(row.file).filter(|f| !f.is_empty()))
}

/// Opens `<database>.migrate.lock` and waits for its exclusive lock. The file
/// is left in place: deleting it would let a waiting process lock a file
/// that a newcomer no longer sees.
fn lock_file(database: &str) -> Result<std::fs::File, MigrationError> {
    let path = format!("{database}.migrate.lock");
    let cannot = |e: std::io::Error| MigrationError::Failed(format!("cannot lock {path}: {e}"));
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(cannot)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            tracing::info!("another process is migrating the database; waiting for it");
            file.lock().map_err(cannot)?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(cannot(e)),
    }
    Ok(file)
}
