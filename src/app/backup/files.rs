//! The backup directory's files: created private, checksummed as they are
//! streamed (a database may be larger than memory).

use super::BackupError;
use crate::domain::backup_manifest::Manifest;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub(super) fn io_error(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_owned();
    move |source| BackupError::Io { what, path, source }
}

/// Creates `dir` (only its owner may enter) or accepts it empty; refuses one with anything in it.
pub(super) fn prepare_empty_dir(dir: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty(dir.to_owned()));
            }
            // What goes in holds password hashes and sealed secrets: only the owner may enter.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(io_error("cannot restrict", dir))?;
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(io_error("cannot create", dir))
        }
        Err(e) => Err(io_error("cannot read", dir)(e)),
    }
}

/// The file's SHA-256, hex.
pub(super) fn checksum(path: &Path) -> Result<String, BackupError> {
    let mut file = std::fs::File::open(path).map_err(io_error("cannot read", path))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(io_error("cannot read", path))?;
    Ok(hex::encode(hasher.finalize()))
}

/// Copies `from` to a new file `to` only its owner may read.
pub(super) fn copy_private(from: &Path, to: &Path) -> Result<(), BackupError> {
    let bytes = std::fs::read(from).map_err(io_error("cannot read", from))?;
    write_private(to, &bytes)
}

/// Writes a new file only its owner may read; refuses to replace one.
pub(super) fn write_private(to: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(to).map_err(io_error("cannot create", to))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_error("cannot write", to))
}

pub(super) fn write_manifest(to: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    let mut text = serde_json::to_string_pretty(manifest).unwrap_or_default();
    text.push('\n');
    write_private(to, text.as_bytes())
}

pub(super) fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(crate::domain::backup_manifest::MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(io_error("cannot read", &path))?;
    serde_json::from_str(&text).map_err(|e| {
        io_error("is not a backup manifest:", &path)(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    })
}

/// `path` with `suffix` appended to its file name (`db` → `db-wal`).
pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes a file written by another program (`VACUUM INTO`, `pg_dump`) readable by its owner only.
pub(super) fn restrict(path: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_error("cannot restrict", path))?;
    }
    Ok(())
}
