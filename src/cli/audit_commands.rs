//! `latchkey audit …`: verify a chain in the database or an exported copy
//! offline, sign checkpoints now (docs/user-guide.md: Audit log → Your own verifiable copy).

use super::audit_checks::{check_file, verify_chain};
use super::{audit_archive, find_org, parse_slug, ready_connection};
use crate::app::audit;
use crate::domain::OrgSlug;
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// Re-walk an organisation's hash chain and check its signed checkpoints, or check an
    /// exported JSON Lines copy offline; exits 1 and names the first problem.
    #[command(
        after_help = "Examples:\n  latchkey audit verify --org acme\n  latchkey audit verify --file audit-log-acme.jsonl --public-key audit-key.txt"
    )]
    Verify {
        #[arg(long, value_parser = parse_slug, required_unless_present = "file", conflicts_with = "file")]
        org: Option<OrgSlug>,
        /// An export (JSON Lines) to check offline, without the database.
        #[arg(long, requires = "public_key")]
        file: Option<PathBuf>,
        /// The checkpoint public key: the base64 text served at /.well-known/latchkey-audit-key, or a file holding it.
        /// With --org it defaults to the server's own key (LATCHKEY_AUDIT_SIGNING_KEY or the keys file).
        #[arg(long)]
        public_key: Option<String>,
        /// With --org: an archive `latchkey audit archive` wrote, checked with the live log as one chain.
        #[arg(long, requires = "org")]
        archive: Option<PathBuf>,
    },
    /// Move an organisation's events before a day into a verifiable JSON Lines archive, then delete them
    /// from the database (up to the last signed checkpoint among them; it stays as the live log's anchor).
    #[command(
        after_help = "Example:\n  latchkey audit archive --org acme --before 2026-01-01 --to audit-acme-2025.jsonl\n  \
                      latchkey audit verify --org acme --archive audit-acme-2025.jsonl"
    )]
    Archive {
        #[arg(long, value_parser = parse_slug)]
        org: OrgSlug,
        /// Events that happened before this day (UTC), YYYY-MM-DD.
        #[arg(long)]
        before: chrono::NaiveDate,
        /// A new file.
        #[arg(long)]
        to: PathBuf,
    },
    /// Sign every organisation's chain head now (the server also does so every LATCHKEY_AUDIT_CHECKPOINT_SECS).
    #[command(after_help = "Example:\n  latchkey audit checkpoint")]
    Checkpoint,
    /// Append synthetic events to an organisation's log, for benchmarks only.
    #[command(hide = true, after_help = "Example:\n  latchkey audit seed-bench --org bench --events 1000000")]
    SeedBench {
        #[arg(long, value_parser = parse_slug)]
        org: OrgSlug,
        #[arg(long)]
        events: usize,
    },
}

pub(super) fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::SeedBench { org, events } => {
            let mut conn = ready_connection()?;
            let found = find_org(&mut conn, &org)?;
            let started = std::time::Instant::now();
            crate::app::bench_seed::seed(&mut conn, found.id, events)?;
            println!("Appended {events} events to {org} in {:.1} s.", started.elapsed().as_secs_f64());
            Ok(())
        }
        AuditCommand::Verify { file: Some(file), public_key, .. } => {
            verify_file(&file, &read_key(public_key.as_deref().unwrap_or_default())?)
        }
        AuditCommand::Verify { org: Some(org), public_key, archive, .. } => {
            let mut conn = ready_connection()?;
            let found = find_org(&mut conn, &org)?;
            let key = match public_key {
                Some(given) => Some(read_key(&given)?),
                None => crate::infra::config::existing_audit_signer().ok().map(|s| s.public_key()),
            };
            let key = match key {
                Some(public_key) => {
                    Some(audit::CheckpointKey::new(public_key, crate::infra::config::checkpoint_interval_from_env()?))
                }
                None => None,
            };
            match archive {
                Some(file) => audit_archive::verify_with_archive(&mut conn, &found, key.as_ref(), &file),
                None => verify_chain(&mut conn, found.id, found.slug.as_str(), key.as_ref()).map(|_| ()),
            }
        }
        AuditCommand::Archive { org, before, to } => audit_archive::archive(&org, before, &to),
        AuditCommand::Verify { .. } => bail!("give --org, or --file with --public-key"),
        AuditCommand::Checkpoint => {
            let signer = crate::infra::config::existing_audit_signer()?;
            let mut conn = ready_connection()?;
            let taken = audit::checkpoints::take_all(&mut conn, &signer)?;
            println!("Signed {taken} checkpoint(s) with public key {}.", signer.public_key());
            Ok(())
        }
    }
}

/// A key given as base64 text, or the path of a file holding it.
pub(super) fn read_key(given: &str) -> anyhow::Result<String> {
    let path = Path::new(given);
    if path.is_file() {
        return Ok(std::fs::read_to_string(path).with_context(|| format!("cannot read {given}"))?.trim().to_owned());
    }
    Ok(given.trim().to_owned())
}

/// Checks an export offline: first its checkpoint lines, then its events in order.
fn verify_file(file: &Path, public_key: &str) -> anyhow::Result<()> {
    let summary = check_file(file, public_key)?.0;
    if summary.checkpoints == 0 {
        println!(
            "{}: {} events form an unbroken chain, but the export holds no signed checkpoint, so a rewrite by someone \
             with database access cannot be ruled out.",
            file.display(),
            summary.events
        );
    } else {
        println!(
            "{} is intact: {} events checked; the checkpoint at event #{} is signed by the given key and matches.",
            file.display(),
            summary.events,
            summary.checkpointed_seq
        );
    }
    // Not a failure: the newest events are signed at the server's next checkpoint.
    let tail = summary.not_covered_at_end();
    if tail > 0 {
        println!(
            "{tail} events at the end are not covered by a checkpoint (#{} to #{}): the chain vouches for them, \
             and the next checkpoint will sign them.",
            summary.checkpointed_seq + 1,
            summary.last_seq
        );
    }
    Ok(())
}
