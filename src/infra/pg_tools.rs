//! PostgreSQL's own client programs, `pg_dump` and `pg_restore`, for
//! `latchkey backup` and `restore`: the custom-format dump is the format
//! PostgreSQL's operators already know how to inspect and restore by hand.
//! The password travels in `PGPASSWORD`, never on the command line, where
//! every user of the machine can read it in `ps`.

use std::path::Path;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum PgToolError {
    #[error(
        "{0} is not installed: install PostgreSQL's client programs (Debian and Ubuntu: apt install \
         postgresql-client), or back up with `pg_dump --format=custom` yourself (docs/backup.md)"
    )]
    Missing(&'static str),
    #[error("{program} failed: {message}")]
    Failed { program: &'static str, message: String },
    #[error("DATABASE_URL is not a PostgreSQL URL: {0}")]
    BadUrl(String),
}

/// Dumps the database as of `snapshot` (an exported snapshot id) to `to`, custom format.
pub fn dump(database_url: &str, snapshot: &str, to: &Path) -> Result<(), PgToolError> {
    let mut command = command("pg_dump", database_url)?;
    command.args(["--format=custom", "--no-owner", "--no-privileges"]).arg(format!("--snapshot={snapshot}"));
    command.arg("--file").arg(to);
    run("pg_dump", command, database_url)
}

/// Restores a custom-format dump into the (empty) database, in one
/// transaction: a failure leaves the database as empty as it was.
pub fn restore(database_url: &str, from: &Path) -> Result<(), PgToolError> {
    let mut command = command("pg_restore", database_url)?;
    command.args(["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]).arg(from);
    run("pg_restore", command, database_url)
}

/// The program with the connection in `--dbname` (password removed) and `PGPASSWORD`.
fn command(program: &'static str, database_url: &str) -> Result<Command, PgToolError> {
    let mut url = url::Url::parse(database_url).map_err(|e| PgToolError::BadUrl(e.to_string()))?;
    let password = url.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
    url.set_password(None).map_err(|()| PgToolError::BadUrl("it cannot carry a password".into()))?;
    let mut command = Command::new(program);
    command.arg("--dbname").arg(url.as_str());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok(command)
}

fn run(program: &'static str, mut command: Command, database_url: &str) -> Result<(), PgToolError> {
    let out = match command.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(PgToolError::Missing(program)),
        Err(e) => return Err(PgToolError::Failed { program, message: e.to_string() }),
    };
    if out.status.success() {
        return Ok(());
    }
    let mut message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    // The tools may echo the connection string; keep a password out of our error.
    if let Some(password) = url::Url::parse(database_url).ok().and_then(|u| u.password().map(str::to_owned)) {
        message = message.replace(&password, "***");
    }
    Err(PgToolError::Failed { program, message })
}
