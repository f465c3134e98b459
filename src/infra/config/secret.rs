//! Secret settings from the environment or from a file named by `NAME_FILE`
//! (docs/operator-guide.md: Secrets from files), so systemd credentials and
//! Docker or Kubernetes secrets never have to pass through an environment
//! variable, where `/proc/<pid>/environ` and crash reports can see them.

use super::{ConfigError, invalid};

/// The settings that are secrets: each also reads from `NAME_FILE`.
pub const SECRET_SETTINGS: [&str; 7] = [
    "DATABASE_URL",
    "LATCHKEY_LISTEN_DATABASE_URL",
    "LATCHKEY_SESSION_KEY",
    "LATCHKEY_ENCRYPTION_KEY",
    "LATCHKEY_AUDIT_SIGNING_KEY",
    "LATCHKEY_SMTP_URL",
    "LATCHKEY_METRICS_TOKEN",
];

/// `name` from the environment, or the contents of the file `name_FILE`
/// names (one trailing newline trimmed, as editors and `echo` add one).
/// Both set is an error rather than a silent preference: an operator who
/// moved a secret into a file and forgot the old variable would otherwise
/// run on the value they meant to retire.
pub fn secret(name: &'static str) -> Result<Option<String>, ConfigError> {
    let file_var = format!("{name}_FILE");
    match (super::var(name), super::var(&file_var)) {
        (Some(_), Some(_)) => Err(invalid(name, format!("set either {name} or {file_var}, not both"))),
        (Some(value), None) => Ok(Some(value)),
        (None, Some(path)) => read_secret_file(name, &path).map(Some),
        (None, None) => Ok(None),
    }
}

fn read_secret_file(name: &'static str, path: &str) -> Result<String, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| invalid(name, format!("cannot read {name}_FILE {path}: {e}")))?;
    let value = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    if value.is_empty() {
        return Err(invalid(name, format!("{name}_FILE {path} is empty")));
    }
    Ok(value.to_owned())
}
