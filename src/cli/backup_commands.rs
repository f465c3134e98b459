//! `latchkey backup --to DIR` and `latchkey restore --from DIR` (docs/backup.md).

use super::{audit_checks::verdict, connect};
use crate::app::audit::CheckpointKey;
use crate::app::backup::{self, Keys, restore};
use crate::infra::config;
use anyhow::bail;
use std::path::Path;

/// The key settings a backup must account for.
const KEY_SETTINGS: [&str; 3] = ["LATCHKEY_SESSION_KEY", "LATCHKEY_ENCRYPTION_KEY", "LATCHKEY_AUDIT_SIGNING_KEY"];

pub(super) fn backup(to: &Path) -> anyhow::Result<()> {
    let database_url = config::database_url_from_env()?;
    let mut conn = connect()?;
    let keys = keys()?;
    let report = backup::backup(&mut conn, &database_url, to, &keys)?;
    let m = &report.manifest;
    let rows: i64 = m.counts.values().sum();
    println!(
        "Backed up {} rows in {} tables and {} organisation(s) at schema level {} to {}.",
        rows,
        m.counts.len(),
        m.chain_heads.len(),
        m.schema_version,
        to.display()
    );
    for name in m.files.keys() {
        println!("  {name}");
    }
    println!("  manifest.json");
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(())
}

/// Where the keys are: the keys file when there is one, and the settings given directly.
fn keys() -> anyhow::Result<Keys> {
    let mut from_environment = Vec::new();
    for name in KEY_SETTINGS {
        if config::secret(name)?.is_some() {
            from_environment.push(name);
        }
    }
    let path = config::keys_file_path();
    Ok(Keys { file: path.is_file().then_some(path), from_environment })
}

pub(super) fn restore(from: &Path) -> anyhow::Result<()> {
    let database_url = config::database_url_from_env()?;
    let keys_file = config::keys_file_path();
    let (mut conn, restored) = restore::restore(connect()?, &database_url, from, &keys_file)?;
    let m = &restored.manifest;
    println!(
        "Restored the backup of {} (latchkey {}, schema level {}): {} tables match the manifest.",
        m.created_at,
        m.version,
        m.schema_version,
        m.counts.len()
    );
    if restored.keys_written {
        println!("Wrote the keys file {}.", keys_file.display());
    }
    if restored.migrated > 0 {
        println!("Applied {} migration(s) from this release.", restored.migrated);
    }
    let key = match config::existing_audit_signer() {
        Ok(signer) => Some(CheckpointKey::new(signer.public_key(), config::checkpoint_interval_from_env()?)),
        Err(_) => None,
    };
    let mut failed = 0;
    for (slug, report) in restore::verify_every_org(&mut conn, key.as_ref())? {
        match verdict(&slug, &report) {
            Ok(_) => println!("{slug}: intact ({} events, {} checkpoints)", report.checked, report.checkpoints_checked),
            Err(problem) => {
                failed += 1;
                println!("{slug}: {problem}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} organisation(s) did not verify");
    }
    Ok(())
}
