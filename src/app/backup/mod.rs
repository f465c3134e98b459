//! `latchkey backup` and `latchkey restore` (docs/backup.md): a consistent
//! copy of a running server's database plus the keys without which it is
//! useless (webhook secrets are sealed with the encryption key, checkpoints
//! signed with the audit key), described by a manifest that restore checks
//! before it trusts anything.

mod files;
pub mod restore;

use crate::db::{self, DbConn, QueryError};
use crate::domain::backup_manifest::{Backend, ChainHead, KEYS_FILE, MANIFEST_FILE, Manifest};
use crate::infra::pg_tools::{self, PgToolError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is not empty: a backup goes into a new or empty directory, so it never mixes with another")]
    NotEmpty(PathBuf),
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("reading the database failed: {0}")]
    Db(#[from] QueryError),
    #[error("cannot open the snapshot {path}")]
    Open { path: PathBuf, source: db::Error },
    #[error(transparent)]
    PgTool(#[from] PgToolError),
    #[error(transparent)]
    Schema(#[from] db::MigrationError),
    #[error("{file} does not match the manifest's checksum: the backup is damaged or was changed")]
    Checksum { file: String },
    #[error("this backup was taken from {backup:?}, and DATABASE_URL names {target:?}: restore into the same kind")]
    WrongBackend { backup: Backend, target: Backend },
    #[error(
        "the backup's schema is at level {backup}, newer than this latchkey knows (level {binary}): restore with the release that took it"
    )]
    NewerBackup { backup: String, binary: String },
    #[error("the database is not empty ({0} tables): restore goes into an empty database only")]
    DatabaseNotEmpty(usize),
    #[error("{0} already holds other keys: move it away, or point LATCHKEY_KEYS_FILE at a new path")]
    KeysFileDiffers(PathBuf),
    #[error("the restored database does not match the manifest: {0}")]
    Mismatch(String),
}

/// Where the server's keys come from, as the command line found them.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// The keys file, when it exists (`LATCHKEY_KEYS_FILE`).
    pub file: Option<PathBuf>,
    /// Key settings given in the environment (or `NAME_FILE`), which the backup cannot hold.
    pub from_environment: Vec<&'static str>,
}

pub struct BackupReport {
    pub manifest: Manifest,
    /// What the operator must still do for the backup to be complete.
    pub warnings: Vec<String>,
}

/// Writes a consistent backup of the database `conn` is open on (its URL
/// is `database_url`) into `to`, which must be new or empty.
pub fn backup(conn: &mut DbConn, database_url: &str, to: &Path, keys: &Keys) -> Result<BackupReport, BackupError> {
    files::prepare_empty_dir(to)?;
    let backend = backend_of(conn);
    let dump = to.join(backend.dump_file());
    let (contents, schema_version) = match backend {
        Backend::Sqlite => {
            db::snapshot::sqlite_vacuum_into(conn, &dump)?;
            let mut snapshot = db::snapshot::open_sqlite_read_only(&dump)
                .map_err(|source| BackupError::Open { path: dump.clone(), source })?;
            (db::snapshot::contents(&mut snapshot)?, db::database_schema_version(&mut snapshot)?)
        }
        Backend::Postgres => {
            let version = db::database_schema_version(conn)?;
            let (contents, ()) = db::snapshot::pg_exported(conn, |snapshot| {
                pg_tools::dump(database_url, snapshot, &dump).map_err(BackupError::from)
            })?;
            (contents, version)
        }
    };
    files::restrict(&dump)?;
    let mut checksums = BTreeMap::from([(backend.dump_file().to_owned(), files::checksum(&dump)?)]);
    if let Some(keys_file) = &keys.file {
        let copy = to.join(KEYS_FILE);
        files::copy_private(keys_file, &copy)?;
        checksums.insert(KEYS_FILE.to_owned(), files::checksum(&copy)?);
    }
    let manifest = Manifest {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: schema_version.unwrap_or_default(),
        database: backend,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        counts: contents.counts,
        chain_heads: contents
            .chain_heads
            .into_iter()
            .map(|(slug, (seq, hash))| (slug, ChainHead { seq, hash }))
            .collect(),
        files: checksums,
    };
    files::write_manifest(&to.join(MANIFEST_FILE), &manifest)?;
    Ok(BackupReport { warnings: warnings(keys), manifest })
}

fn backend_of(conn: &DbConn) -> Backend {
    match conn {
        DbConn::Sqlite(_) => Backend::Sqlite,
        DbConn::Pg(_) => Backend::Postgres,
    }
}

/// Keys the backup does not hold, each with what is lost without it.
fn warnings(keys: &Keys) -> Vec<String> {
    keys.from_environment
        .iter()
        .map(|name| {
            let loss = match *name {
                "LATCHKEY_ENCRYPTION_KEY" => "without it the stored webhook signing secrets cannot be decrypted",
                "LATCHKEY_AUDIT_SIGNING_KEY" => "without it new checkpoints are signed with another key",
                _ => "without it everyone is signed out",
            };
            format!("{name} comes from the environment, not the keys file: keep it with this backup ({loss})")
        })
        .collect()
}
