//! The checks `latchkey audit verify`, `audit archive` and `restore` share:
//! walking a stored chain, checking a JSON Lines file offline, and the one
//! line that says how either went.

use crate::app::audit;
use crate::db::{DbConn, audit_events};
use crate::domain::OrgId;
use crate::domain::checkpoint::Checkpoint;
use crate::domain::export_check::{ExportCheck, ExportSummary, checkpoint_of};
use crate::infra::progress::Progress;
use anyhow::{Context, bail};
use std::io::BufRead;
use std::path::Path;

/// Walks the organisation's chain, its checkpoints and their coverage; an
/// error (exit code 1) when any fails. Without a key only the chain is
/// checked (and said so).
pub(super) fn verify_chain(
    conn: &mut DbConn,
    org_id: OrgId,
    slug: &str,
    key: Option<&audit::CheckpointKey>,
) -> anyhow::Result<audit::VerifyReport> {
    let total = audit_events::count(conn, org_id)?;
    let mut progress = Progress::new("verifying", total as u64);
    let report = match key {
        Some(key) => audit::verify(conn, org_id, key, |n| progress.inc(n))?,
        None => audit::verify_chain_only(conn, org_id, |n| progress.inc(n))?,
    };
    progress.finish();
    match verdict(slug, &report) {
        Ok(line) => {
            println!("{line}");
            Ok(report)
        }
        Err(problem) => bail!("{problem}"),
    }
}

/// One line on a verified log: what was checked, or the first problem.
pub(super) fn verdict(slug: &str, report: &audit::VerifyReport) -> Result<String, String> {
    if let Some(broken) = &report.broken {
        return Err(format!(
            "audit log of {slug} is BROKEN at event #{} (id {}): {} ({} events checked before it)",
            broken.seq, broken.id, broken.reason, report.checked
        ));
    }
    if let Some(c) = &report.broken_checkpoint {
        return Err(format!(
            "audit log of {slug} is BROKEN: checkpoint at event #{} (signed {}): {}",
            c.seq, c.signed_at, c.reason
        ));
    }
    if let Some(u) = &report.uncovered {
        return Err(format!(
            "audit log of {slug} is NOT PROVEN: {} events checked and {} signed checkpoint(s) match, but {} event(s) \
             older than two checkpoint intervals ({} s) are not covered by a checkpoint signed in time, the first at \
             event #{}. Checkpoints were deleted, or the server was stopped for long with unsigned events; a chain \
             rewritten with database access and signed again afterwards looks like this: compare with your own copy.",
            report.checked,
            report.checkpoints_checked,
            u.count,
            2 * report.interval_secs(),
            u.first_seq
        ));
    }
    let start = match &report.anchor {
        Some(a) => format!(
            " It starts at event #{}, anchored by the checkpoint at #{} signed {}{}.",
            a.seq + 1,
            a.seq,
            a.signed_at,
            if a.signature_checked { "" } else { " (its signature NOT checked: no key)" }
        ),
        None => String::new(),
    };
    Ok(match report.interval {
        Some(_) => format!(
            "Audit log of {slug} is intact: {} events checked, {} signed checkpoint(s) match.{start}",
            report.checked, report.checkpoints_checked
        ),
        None => format!(
            "Audit log of {slug} is intact: {} events checked. Checkpoints NOT checked: no key here \
             (set LATCHKEY_AUDIT_SIGNING_KEY or LATCHKEY_KEYS_FILE, or pass --public-key).{start}",
            report.checked
        ),
    })
}

/// Reads an export or archive twice (its checkpoint lines, then its events
/// in order) and checks it; the first problem is the error. Also answers
/// the checkpoints it holds.
pub(super) fn check_file(file: &Path, public_key: &str) -> anyhow::Result<(ExportSummary, Vec<Checkpoint>)> {
    let lines = || -> anyhow::Result<_> {
        let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        Ok(std::io::BufReader::new(f).lines())
    };
    let mut checkpoints = Vec::new();
    for line in lines()? {
        checkpoints.extend(checkpoint_of(&line?));
    }
    let mut check =
        ExportCheck::new(public_key, checkpoints.clone()).map_err(|p| anyhow::anyhow!("{}: {p}", file.display()))?;
    for (i, line) in lines()?.enumerate() {
        check.line(i + 1, &line?).map_err(|p| anyhow::anyhow!("{} is BROKEN: {p}", file.display()))?;
    }
    let summary = check.finish().map_err(|p| anyhow::anyhow!("{} is BROKEN: {p}", file.display()))?;
    Ok((summary, checkpoints))
}
