//! `latchkey audit archive` and `latchkey audit verify --archive`
//! (docs/operator-guide.md: Retention): events leave the database only
//! after their archive has been written, synced and checked.

use super::audit_checks::{check_file, verify_chain};
use super::{find_org, ready_connection};
use crate::app::audit::{self, Actor, archive};
use crate::db::{DbConn, orgs::Org};
use crate::domain::OrgSlug;
use crate::infra::config;
use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

pub(super) fn archive(org: &OrgSlug, before: chrono::NaiveDate, to: &Path) -> anyhow::Result<()> {
    // The archive is checked with the server's own key before anything is deleted.
    let public_key = config::existing_audit_signer()?.public_key();
    let mut conn = ready_connection()?;
    let found = find_org(&mut conn, org)?;
    let plan = archive::plan(&mut conn, found.id, before.and_time(chrono::NaiveTime::MIN))?;
    let sha256 = write_new_file(to, |out| archive::write(&mut conn, found.id, &plan, out).map_err(Into::into))?;
    let (summary, _) =
        check_file(to, &public_key).context("the archive just written does not verify; nothing was deleted")?;
    if summary.last_seq != plan.through_seq || summary.checkpointed_seq != plan.through_seq {
        bail!("the archive ends at #{}, not #{}; nothing was deleted", summary.last_seq, plan.through_seq);
    }
    let deleted = archive::trim(
        &mut conn,
        found.id,
        plan.through_seq,
        archive::Trim::Archived { sha256: &sha256 },
        &Actor::cli(),
    )?;
    println!(
        "Archived events #{}–#{} of {org} ({deleted} events) to {} (SHA-256 {sha256}). The live log now starts at #{}, \
         anchored by the checkpoint signed {}.",
        plan.first_seq,
        plan.through_seq,
        to.display(),
        plan.through_seq + 1,
        plan.last.signed_at
    );
    if plan.first_seq > 1 {
        println!("Keep it with the earlier archive(s): each starts at the checkpoint the one before ends with.");
    }
    Ok(())
}

/// Writes a new file through `write`, synced to disk; answers its SHA-256 (hex).
fn write_new_file(to: &Path, write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<String> {
    struct Hashing<W> {
        inner: W,
        hasher: Sha256,
    }
    impl<W: Write> Write for Hashing<W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.inner.write(buf)?;
            self.hasher.update(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .with_context(|| format!("cannot create {} (it must not exist)", to.display()))?;
    let mut out = Hashing { inner: std::io::BufWriter::new(file), hasher: Sha256::new() };
    write(&mut out)?;
    out.flush()?;
    let file = out.inner.into_inner().map_err(|e| e.into_error())?;
    file.sync_all().with_context(|| format!("cannot sync {}", to.display()))?;
    Ok(hex::encode(out.hasher.finalize()))
}

/// Checks an archive offline, then the live log, then that the live log
/// starts at the very checkpoint the archive ends with.
pub(super) fn verify_with_archive(
    conn: &mut DbConn,
    org: &Org,
    key: Option<&audit::CheckpointKey>,
    file: &Path,
) -> anyhow::Result<()> {
    let Some(key) = key else {
        bail!(
            "an archive is checked with the checkpoint key: set LATCHKEY_AUDIT_SIGNING_KEY or LATCHKEY_KEYS_FILE, or pass --public-key"
        )
    };
    let (summary, checkpoints) = check_file(file, &key.public_key)?;
    let ends_with =
        checkpoints.iter().find(|c| c.seq == summary.last_seq && summary.checkpointed_seq == summary.last_seq);
    let Some(ends_with) = ends_with else {
        bail!("{} does not end with a signed checkpoint at its last event (#{})", file.display(), summary.last_seq)
    };
    let report = verify_chain(conn, org.id, org.slug.as_str(), Some(key))?;
    match &report.anchor {
        Some(anchor) if anchor.seq == ends_with.seq && anchor.hash == ends_with.hash => {
            let first = summary.anchored_at.map_or(1, |a| a + 1);
            println!(
                "{} (events #{first}–#{}) and the live log (from #{}) verify as one chain.",
                file.display(),
                summary.last_seq,
                anchor.seq + 1
            );
            Ok(())
        }
        Some(anchor) => bail!(
            "{} ends at #{}, but the live log of {} starts after #{}: give the archive that ends there",
            file.display(),
            summary.last_seq,
            org.slug,
            anchor.seq
        ),
        None => bail!("the live log of {} starts at #1: {} is not part of it", org.slug, file.display()),
    }
}
