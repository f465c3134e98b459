//! Configuration from the environment (docs/operator-guide.md: Configuration), validated once at start-up.

use crate::infra::mail::MailConfig;

mod secret;
mod sections;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
pub use secret::{SECRET_SETTINGS, secret};
pub use sections::{
    AuthzConfig, ComplianceConfig, LeakConfig, ScaleConfig, SsoConfig, audit_signer_from_env,
    checkpoint_interval_from_env, existing_audit_signer, password_cost_from_env,
};
use sections::{
    authz_from_env, compliance_from_env, leak_from_env, max_webhook_endpoints_from_env, scale_from_env, sso_from_env,
};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://latchkey.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// How often scheduled work runs when `LATCHKEY_SCHEDULER_INTERVAL_SECS` is unset.
pub const DEFAULT_SCHEDULER_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {message}")]
    Invalid { var: &'static str, message: String },
    #[error("could not use the keys file {path}: {source}")]
    KeysFile { path: PathBuf, source: std::io::Error },
}

pub(crate) fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { var, message: message.into() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The public origin (`scheme://host[:port]`) users reach the console at.
#[derive(Debug, Clone)]
pub struct PublicUrl {
    origin: String,
    https: bool,
    /// Other origins accepted by the Origin check.
    aliases: Vec<String>,
}

impl PublicUrl {
    /// `explicit` is false when the URL was derived from the bind address: then
    /// the loopback spellings of the same port are accepted too, so a fresh
    /// install works at both http://localhost:8080 and http://127.0.0.1:8080.
    pub fn parse(input: &str, explicit: bool) -> Result<Self, String> {
        let url = url::Url::parse(input).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err("use an http:// or https:// URL".into());
        }
        let origin = url.origin().ascii_serialization();
        let mut aliases = Vec::new();
        if !explicit && let Some(port) = url.port_or_known_default() {
            for host in ["127.0.0.1", "localhost", "[::1]"] {
                aliases.push(format!("{}://{host}:{port}", url.scheme()));
            }
        }
        Ok(Self { origin, https: url.scheme() == "https", aliases })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        origin == self.origin || self.aliases.iter().any(|a| a == origin)
    }
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub public_url: PublicUrl,
    /// ≥ 64 bytes: signs and encrypts the session cookie.
    pub session_key: Vec<u8>,
    /// 32 bytes: encrypts secrets at rest (webhook signing secrets).
    pub encryption_key: Vec<u8>,
    pub secure_cookies: bool,
    /// Header carrying the client IP behind a reverse proxy; `None` = the peer address.
    pub trusted_proxy_header: Option<String>,
    pub log_format: LogFormat,
    /// Token prefix of new keys (`LATCHKEY_KEY_PREFIX`).
    pub key_prefix: crate::domain::token::KeyPrefix,
    /// Requests per minute for keys without their own limit.
    pub default_rate_limit: u32,
    /// How often scheduled work runs (`LATCHKEY_SCHEDULER_INTERVAL_SECS`, default 30).
    pub scheduler_interval: std::time::Duration,
    /// Allow `http://` webhook URLs (`LATCHKEY_WEBHOOK_ALLOW_INSECURE`).
    pub webhook_allow_insecure: bool,
    /// Allow private and loopback webhook targets, dev/test only (`LATCHKEY_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    /// Time limit of one webhook request (`LATCHKEY_WEBHOOK_TIMEOUT_SECS`, default 10).
    pub webhook_timeout: std::time::Duration,
    /// Webhook endpoints one organisation may have (`LATCHKEY_MAX_WEBHOOK_ENDPOINTS`, default 50).
    pub max_webhook_endpoints: u32,
    /// Where mail goes: SMTP (`LATCHKEY_SMTP_URL`) or `.eml` files (`LATCHKEY_MAIL_DIR`).
    pub mail: MailConfig,
    /// When set, `/metrics` wants `Authorization: Bearer <this>` (`LATCHKEY_METRICS_TOKEN`).
    pub metrics_token: Option<String>,
    /// Leak response: reported keys, GitHub's scanning keys, the request log.
    pub leak: LeakConfig,
    /// Audit checkpoints and the webhook delivery log.
    pub compliance: ComplianceConfig,
    pub sso: SsoConfig,
    /// The cost of new password hashes (`LATCHKEY_PASSWORD_HASH_MEMORY_KIB`, `…_ITERATIONS`).
    pub password_cost: crate::infra::password::Cost,
    /// Forward auth's listener (`LATCHKEY_AUTHZ_*`).
    pub authz: AuthzConfig,
    /// The listener's connection and rate limits across instances.
    pub scale: ScaleConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"<redacted>")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url.origin)
            .field("secure_cookies", &self.secure_cookies)
            .field("trusted_proxy_header", &self.trusted_proxy_header)
            .finish_non_exhaustive()
    }
}

pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `DATABASE_URL` (or `DATABASE_URL_FILE`), or the SQLite default.
pub fn database_url_from_env() -> Result<String, ConfigError> {
    Ok(secret("DATABASE_URL")?.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()))
}

pub fn log_format_from_env() -> Result<LogFormat, ConfigError> {
    match var("LATCHKEY_LOG_FORMAT").as_deref() {
        None | Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(_) => Err(invalid("LATCHKEY_LOG_FORMAT", "use text or json")),
    }
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(invalid(name, "use on or off")),
    }
}

fn decode_key(name: &'static str, value: &str, min: usize) -> Result<Vec<u8>, ConfigError> {
    let bytes = B64.decode(value).map_err(|_| invalid(name, "not valid base64"))?;
    if bytes.len() < min {
        return Err(invalid(name, format!("needs at least {min} bytes, got {}", bytes.len())));
    }
    Ok(bytes)
}

impl Config {
    /// Reads everything `latchkey serve` needs. Keys missing from the
    /// environment come from (or are generated into) `LATCHKEY_KEYS_FILE`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let bind = var("LATCHKEY_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let public_url = match var("LATCHKEY_PUBLIC_URL") {
            Some(url) => PublicUrl::parse(&url, true).map_err(|m| invalid("LATCHKEY_PUBLIC_URL", m))?,
            None => PublicUrl::parse(&format!("http://{bind}"), false).map_err(|m| invalid("LATCHKEY_BIND", m))?,
        };
        let secure_cookies = match var("LATCHKEY_SECURE_COOKIES") {
            Some(v) => parse_bool("LATCHKEY_SECURE_COOKIES", &v)?,
            None => public_url.is_https(),
        };
        let (session_key, encryption_key) = match (secret("LATCHKEY_SESSION_KEY")?, secret("LATCHKEY_ENCRYPTION_KEY")?)
        {
            (Some(s), Some(e)) => (s, e),
            (s, e) => {
                let path = keys_file_path();
                let stored = load_or_create_keys_file(&path)?;
                tracing::warn!(
                    path = %path.display(),
                    "using generated keys from the keys file; set LATCHKEY_SESSION_KEY and LATCHKEY_ENCRYPTION_KEY in production"
                );
                (s.unwrap_or(stored.0), e.unwrap_or(stored.1))
            }
        };
        let encryption_key = decode_key("LATCHKEY_ENCRYPTION_KEY", &encryption_key, 32)?;
        if encryption_key.len() != 32 {
            return Err(invalid("LATCHKEY_ENCRYPTION_KEY", "needs exactly 32 bytes"));
        }
        Ok(Self {
            database_url: database_url_from_env()?,
            public_url,
            session_key: decode_key("LATCHKEY_SESSION_KEY", &session_key, 64)?,
            encryption_key,
            secure_cookies,
            trusted_proxy_header: var("LATCHKEY_TRUSTED_PROXY_HEADER"),
            metrics_token: secret("LATCHKEY_METRICS_TOKEN")?,
            log_format: log_format_from_env()?,
            key_prefix: match var("LATCHKEY_KEY_PREFIX") {
                Some(p) => {
                    crate::domain::token::KeyPrefix::parse(&p).map_err(|e| invalid("LATCHKEY_KEY_PREFIX", e.0))?
                }
                None => crate::domain::token::KeyPrefix::default(),
            },
            default_rate_limit: match var("LATCHKEY_DEFAULT_RATE_LIMIT") {
                Some(n) => n
                    .parse()
                    .map_err(|_| invalid("LATCHKEY_DEFAULT_RATE_LIMIT", "use a whole number (0 = unlimited)"))?,
                None => 600,
            },
            webhook_allow_insecure: match var("LATCHKEY_WEBHOOK_ALLOW_INSECURE") {
                Some(v) => parse_bool("LATCHKEY_WEBHOOK_ALLOW_INSECURE", &v)?,
                None => false,
            },
            webhook_allow_private: match var("LATCHKEY_WEBHOOK_ALLOW_PRIVATE") {
                Some(v) => parse_bool("LATCHKEY_WEBHOOK_ALLOW_PRIVATE", &v)?,
                None => false,
            },
            webhook_timeout: match var("LATCHKEY_WEBHOOK_TIMEOUT_SECS") {
                Some(n) => n
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=60).contains(n))
                    .map(std::time::Duration::from_secs)
                    .ok_or_else(|| invalid("LATCHKEY_WEBHOOK_TIMEOUT_SECS", "use 1 to 60 seconds"))?,
                None => std::time::Duration::from_secs(10),
            },
            max_webhook_endpoints: max_webhook_endpoints_from_env()?,
            scheduler_interval: match var("LATCHKEY_SCHEDULER_INTERVAL_SECS") {
                Some(n) => n
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=60).contains(n))
                    .map(std::time::Duration::from_secs)
                    .ok_or_else(|| invalid("LATCHKEY_SCHEDULER_INTERVAL_SECS", "use 1 to 60 seconds"))?,
                None => DEFAULT_SCHEDULER_INTERVAL,
            },
            mail: mail_from_env()?,
            leak: leak_from_env()?,
            compliance: compliance_from_env()?,
            sso: sso_from_env()?,
            password_cost: password_cost_from_env()?,
            authz: authz_from_env()?,
            scale: scale_from_env()?,
            bind,
        })
    }
}

/// Random base64 key material of `len` bytes from the OS.
pub fn generate_key(len: usize) -> String {
    use rand::Rng;
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    B64.encode(bytes)
}

/// Where generated keys are kept (`LATCHKEY_KEYS_FILE`, default `latchkey.keys`).
pub(crate) fn keys_file_path() -> PathBuf {
    PathBuf::from(var("LATCHKEY_KEYS_FILE").unwrap_or_else(|| "latchkey.keys".into()))
}

/// Reads `LATCHKEY_SESSION_KEY=`/`LATCHKEY_ENCRYPTION_KEY=` lines, creating
/// the file (mode 0600) with fresh keys when it does not exist.
fn load_or_create_keys_file(path: &Path) -> Result<(String, String), ConfigError> {
    Ok((keys_file_value(path, "LATCHKEY_SESSION_KEY", 64)?, keys_file_value(path, "LATCHKEY_ENCRYPTION_KEY", 32)?))
}

/// The value of the keys file's `name=` line; a missing file is created
/// (mode 0600) and a missing line appended with `len` fresh random bytes, so
/// a file from an older version gains the keys that came since.
pub(crate) fn keys_file_value(path: &Path, name: &str, len: usize) -> Result<String, ConfigError> {
    let io_err = |source| ConfigError::KeysFile { path: path.to_owned(), source };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_err(e)),
    };
    let found =
        text.lines().find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix('='))).map(|v| v.trim().to_owned());
    if let Some(value) = found {
        return Ok(value);
    }
    let value = generate_key(len);
    let mut line = String::new();
    if text.is_empty() {
        line.push_str(
            "# Generated by latchkey. Keep private; losing it logs everyone out, makes stored webhook secrets unreadable \
             and changes the audit checkpoint key.\n",
        );
    } else if !text.ends_with('\n') {
        line.push('\n');
    }
    line.push_str(&format!("{name}={value}\n"));
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io_err)?;
    file.write_all(line.as_bytes()).map_err(io_err)?;
    Ok(value)
}

/// Where mail goes: SMTP (`LATCHKEY_SMTP_URL`) or `.eml` files (`LATCHKEY_MAIL_DIR`).
fn mail_from_env() -> Result<MailConfig, ConfigError> {
    let from = match var("LATCHKEY_MAIL_FROM") {
        Some(f) => f.parse().map_err(|e| invalid("LATCHKEY_MAIL_FROM", format!("not a mail address ({e})")))?,
        None => crate::infra::mail::default_from(),
    };
    let config = MailConfig {
        smtp_url: secret("LATCHKEY_SMTP_URL")?,
        dir: PathBuf::from(var("LATCHKEY_MAIL_DIR").unwrap_or_else(|| "mail".into())),
        from,
    };
    // Refuse a bad URL at start-up rather than at the first warning.
    crate::infra::mail::Transport::new(&config).map_err(|e| invalid("LATCHKEY_SMTP_URL", e))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_reduced_to_its_origin() {
        let url = PublicUrl::parse("https://keys.example.com/console/", true).expect("valid");
        assert_eq!(url.origin(), "https://keys.example.com");
        assert!(url.is_https());
        assert!(url.allows_origin("https://keys.example.com"));
        assert!(!url.allows_origin("http://keys.example.com"));
        assert!(!url.allows_origin("https://127.0.0.1"));
    }

    #[test]
    fn a_derived_public_url_also_accepts_loopback_spellings_of_its_port() {
        let url = PublicUrl::parse("http://127.0.0.1:8080", false).expect("valid");
        assert!(url.allows_origin("http://localhost:8080"));
        assert!(url.allows_origin("http://[::1]:8080"));
        assert!(!url.allows_origin("http://localhost:9090"));
        assert!(!url.allows_origin("http://evil.example"));
        assert!(PublicUrl::parse("ftp://x", true).is_err());
    }

    #[test]
    fn keys_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k");
        let first = load_or_create_keys_file(&path).expect("created");
        let again = load_or_create_keys_file(&path).expect("read");
        assert_eq!(first, again);
        assert_eq!(B64.decode(&first.0).map(|k| k.len()).ok(), Some(64));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
