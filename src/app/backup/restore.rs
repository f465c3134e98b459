//! `latchkey restore --from DIR`: checks the directory against its
//! manifest, loads the dump into an empty database, puts the keys file in
//! place, and checks the rows and chain heads against the manifest. It
//! adds nothing of its own (no audit entry): the restored database is the
//! backed-up one, byte for byte where the database allows.

use super::files::{self, io_error, with_suffix};
use super::{BackupError, backend_of};
use crate::app::audit::{self, CheckpointKey, VerifyReport};
use crate::db::{self, DbConn, tables};
use crate::domain::backup_manifest::{Backend, KEYS_FILE, Manifest, count_differences};
use crate::infra::pg_tools;
use std::path::Path;

pub struct Restored {
    pub manifest: Manifest,
    /// Migrations applied after loading (a backup from an older release).
    pub migrated: usize,
    /// Whether a keys file was written.
    pub keys_written: bool,
}

/// Restores the backup in `from` into the empty database at `database_url`
/// (`conn` is open on it), writing its keys file to `keys_file`.
pub fn restore(
    mut conn: DbConn,
    database_url: &str,
    from: &Path,
    keys_file: &Path,
) -> Result<(DbConn, Restored), BackupError> {
    let manifest = files::read_manifest(from)?;
    if !manifest.files.contains_key(manifest.database.dump_file()) {
        return Err(BackupError::Checksum { file: manifest.database.dump_file().to_owned() });
    }
    for (name, expected) in &manifest.files {
        if files::checksum(&from.join(name))? != *expected {
            return Err(BackupError::Checksum { file: name.clone() });
        }
    }
    let target = backend_of(&conn);
    if manifest.database != target {
        return Err(BackupError::WrongBackend { backup: manifest.database, target });
    }
    let binary = db::binary_schema_version(&conn);
    if db::is_newer_level(&manifest.schema_version, &binary) {
        return Err(BackupError::NewerBackup { backup: manifest.schema_version.clone(), binary });
    }
    let existing = tables::names(&mut conn)?.len();
    if existing > 0 {
        return Err(BackupError::DatabaseNotEmpty(existing));
    }
    let keys = keys_to_write(from, &manifest, keys_file)?;
    // The keys first: a database restored without them could not open its sealed secrets.
    if let Some(bytes) = &keys {
        files::write_private(keys_file, bytes)?;
    }
    let dump = from.join(manifest.database.dump_file());
    let mut conn = match manifest.database {
        Backend::Sqlite => {
            drop(conn); // the file is replaced whole: nothing may hold it open
            replace_sqlite_file(&dump, db::sqlite_path(database_url))?;
            db::connect(database_url)
                .map_err(|e| BackupError::Mismatch(format!("cannot open the restored database: {e}")))?
        }
        Backend::Postgres => {
            pg_tools::restore(database_url, &dump)?;
            conn
        }
    };
    check_against_manifest(&mut conn, &manifest)?;
    let migrated = db::migrate(&mut conn)?.len();
    Ok((conn, Restored { manifest, migrated, keys_written: keys.is_some() }))
}

/// The keys file's bytes to write, if the backup has one and `keys_file`
/// does not already hold exactly them; refuses to overwrite other keys.
fn keys_to_write(from: &Path, manifest: &Manifest, keys_file: &Path) -> Result<Option<Vec<u8>>, BackupError> {
    if !manifest.files.contains_key(KEYS_FILE) {
        return Ok(None);
    }
    let source = from.join(KEYS_FILE);
    let bytes = std::fs::read(&source).map_err(io_error("cannot read", &source))?;
    match std::fs::read(keys_file) {
        Ok(present) if present == bytes => Ok(None),
        Ok(_) => Err(BackupError::KeysFileDiffers(keys_file.to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Some(bytes)),
        Err(e) => Err(io_error("cannot read", keys_file)(e)),
    }
}

/// Puts the snapshot in place of the (empty) database file: copied beside
/// it, then renamed over it, so a crash leaves either the old file or the
/// whole new one; the old file's WAL and shared-memory files go with it.
fn replace_sqlite_file(snapshot: &Path, database: &str) -> Result<(), BackupError> {
    let target = Path::new(database);
    let partial = with_suffix(target, ".restoring");
    let _ = std::fs::remove_file(&partial);
    std::fs::copy(snapshot, &partial).map_err(io_error("cannot write", &partial))?;
    for suffix in ["-wal", "-shm"] {
        let side = with_suffix(target, suffix);
        match std::fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_error("cannot remove", &side)(e)),
            _ => {}
        }
    }
    std::fs::rename(&partial, target).map_err(io_error("cannot replace", target))
}

/// The restored rows and chain heads are the manifest's, table by table.
fn check_against_manifest(conn: &mut DbConn, manifest: &Manifest) -> Result<(), BackupError> {
    let found = db::snapshot::contents(conn)?;
    let differences = count_differences(&manifest.counts, &found.counts);
    if let Some((table, expected, got)) = differences.first() {
        return Err(BackupError::Mismatch(format!("{table} has {got} rows, the manifest says {expected}")));
    }
    for (slug, head) in &manifest.chain_heads {
        if found.chain_heads.get(slug) != Some(&(head.seq, head.hash.clone())) {
            return Err(BackupError::Mismatch(format!("the audit chain head of {slug} is not the manifest's")));
        }
    }
    Ok(())
}

/// Verifies every organisation's audit log (with the checkpoint key when
/// there is one): (slug, report), in slug order.
pub fn verify_every_org(
    conn: &mut DbConn,
    key: Option<&CheckpointKey>,
) -> Result<Vec<(String, VerifyReport)>, BackupError> {
    let mut reports = Vec::new();
    for (org_id, slug) in db::orgs::all_slugs(conn)? {
        let report = match key {
            Some(key) => audit::verify(conn, org_id, key, |_| {})?,
            None => audit::verify_chain_only(conn, org_id, |_| {})?,
        };
        reports.push((slug, report));
    }
    Ok(reports)
}
