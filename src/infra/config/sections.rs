//! The settings of single features, each read from its own variables:
//! leak response, compliance (audit checkpoints, the delivery log), the
//! cap on webhook endpoints, and the cost of password hashes.

use super::{ConfigError, invalid, var};

/// Leak response settings (docs/user-guide.md: Leak response).
#[derive(Debug, Clone)]
pub struct LeakConfig {
    /// What a report of a live key does (`LATCHKEY_EXPOSED_KEY_ACTION`: revoke, disable, notify).
    pub exposed_key_action: crate::domain::leak::ExposedKeyAction,
    /// GitHub's secret-scanning keys (`LATCHKEY_GITHUB_SCANNING_KEYS`, a file); `None` = endpoint off.
    pub github_keys: Option<crate::domain::leak::ScanningKeys>,
    /// Days the per-key request log is kept (`LATCHKEY_REQUEST_LOG_DAYS`; 0 = no log).
    pub request_log_days: u32,
}

impl Default for LeakConfig {
    fn default() -> Self {
        Self { exposed_key_action: Default::default(), github_keys: None, request_log_days: 30 }
    }
}

pub(super) fn leak_from_env() -> Result<LeakConfig, ConfigError> {
    let exposed_key_action = match var("LATCHKEY_EXPOSED_KEY_ACTION") {
        Some(v) => crate::domain::leak::ExposedKeyAction::parse(&v)
            .ok_or_else(|| invalid("LATCHKEY_EXPOSED_KEY_ACTION", "use revoke, disable or notify"))?,
        None => Default::default(),
    };
    let github_keys = match var("LATCHKEY_GITHUB_SCANNING_KEYS") {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| invalid("LATCHKEY_GITHUB_SCANNING_KEYS", format!("cannot read {path}: {e}")))?;
            Some(
                crate::domain::leak::ScanningKeys::parse(&text)
                    .map_err(|e| invalid("LATCHKEY_GITHUB_SCANNING_KEYS", e))?,
            )
        }
        None => None,
    };
    let request_log_days = match var("LATCHKEY_REQUEST_LOG_DAYS") {
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= 3650)
            .ok_or_else(|| invalid("LATCHKEY_REQUEST_LOG_DAYS", "use 0 (no log) to 3650 days"))?,
        None => 30,
    };
    Ok(LeakConfig { exposed_key_action, github_keys, request_log_days })
}

/// Webhook endpoints one organisation may have when `LATCHKEY_MAX_WEBHOOK_ENDPOINTS` is unset.
pub const DEFAULT_MAX_WEBHOOK_ENDPOINTS: u32 = 50;

/// `LATCHKEY_MAX_WEBHOOK_ENDPOINTS`: every endpoint is one more signed send
/// of each event, and the delivery queue is shared by every organisation, so
/// a cap keeps one of them from making it arbitrarily long.
pub(super) fn max_webhook_endpoints_from_env() -> Result<u32, ConfigError> {
    match var("LATCHKEY_MAX_WEBHOOK_ENDPOINTS") {
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| invalid("LATCHKEY_MAX_WEBHOOK_ENDPOINTS", "use 1 to 10000 endpoints")),
        None => Ok(DEFAULT_MAX_WEBHOOK_ENDPOINTS),
    }
}

/// Compliance settings (docs/user-guide.md: Audit log, Webhooks).
#[derive(Debug, Clone)]
pub struct ComplianceConfig {
    /// Signs audit checkpoints (`LATCHKEY_AUDIT_SIGNING_KEY`, or generated into the keys file).
    pub audit_signer: crate::domain::checkpoint::CheckpointSigner,
    /// How often every chain head is signed (`LATCHKEY_AUDIT_CHECKPOINT_SECS`, default 3600).
    pub checkpoint_interval: std::time::Duration,
    /// Days webhook attempts are kept (`LATCHKEY_DELIVERY_LOG_DAYS`, default 30).
    pub delivery_log_days: u32,
    /// Days audit events are kept (`LATCHKEY_AUDIT_RETENTION_DAYS`; `None`, the default: forever).
    pub audit_retention_days: Option<u32>,
    /// Days an outbox event is kept once no delivery refers to it (`LATCHKEY_OUTBOX_RETENTION_DAYS`, default 365).
    pub outbox_retention_days: u32,
    /// Days of daily usage counts kept (`LATCHKEY_USAGE_RETENTION_DAYS`, default 365).
    pub usage_retention_days: u32,
}

impl ComplianceConfig {
    /// Defaults with the given signer (tests and hand-built configurations).
    pub fn with_signer(audit_signer: crate::domain::checkpoint::CheckpointSigner) -> Self {
        Self {
            audit_signer,
            checkpoint_interval: std::time::Duration::from_secs(3600),
            delivery_log_days: 30,
            audit_retention_days: None,
            outbox_retention_days: 365,
            usage_retention_days: 365,
        }
    }
}

/// `LATCHKEY_AUDIT_CHECKPOINT_SECS` (1–604800, default 3600): how often
/// chain heads are signed — also what `latchkey audit verify` needs to tell
/// an event signed in time from one that is not.
pub fn checkpoint_interval_from_env() -> Result<std::time::Duration, ConfigError> {
    match var("LATCHKEY_AUDIT_CHECKPOINT_SECS") {
        Some(n) => n
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=7 * 86_400).contains(n))
            .map(std::time::Duration::from_secs)
            .ok_or_else(|| invalid("LATCHKEY_AUDIT_CHECKPOINT_SECS", "use 1 to 604800 seconds")),
        None => Ok(std::time::Duration::from_secs(3600)),
    }
}

pub(super) fn compliance_from_env() -> Result<ComplianceConfig, ConfigError> {
    let checkpoint_interval = checkpoint_interval_from_env()?;
    Ok(ComplianceConfig {
        audit_signer: audit_signer_from_env()?,
        checkpoint_interval,
        delivery_log_days: days("LATCHKEY_DELIVERY_LOG_DAYS")?.unwrap_or(30),
        audit_retention_days: days("LATCHKEY_AUDIT_RETENTION_DAYS")?,
        outbox_retention_days: days("LATCHKEY_OUTBOX_RETENTION_DAYS")?.unwrap_or(365),
        usage_retention_days: days("LATCHKEY_USAGE_RETENTION_DAYS")?.unwrap_or(365),
    })
}

/// A number of days, 1 to 36500 (a century), when the setting is given.
fn days(name: &'static str) -> Result<Option<u32>, ConfigError> {
    var(name)
        .map(|n| {
            n.parse::<u32>()
                .ok()
                .filter(|n| (1..=36_500).contains(n))
                .ok_or_else(|| invalid(name, "use 1 to 36500 days"))
        })
        .transpose()
}

/// The checkpoint signing key: `LATCHKEY_AUDIT_SIGNING_KEY`, else the keys
/// file's line of that name (added to the file when missing). Also used by
/// `latchkey audit checkpoint`.
pub fn audit_signer_from_env() -> Result<crate::domain::checkpoint::CheckpointSigner, ConfigError> {
    const NAME: &str = "LATCHKEY_AUDIT_SIGNING_KEY";
    let text = match super::secret(NAME)? {
        Some(text) => text,
        None => super::keys_file_value(&super::keys_file_path(), NAME, 32)?,
    };
    crate::domain::checkpoint::CheckpointSigner::from_base64(&text).map_err(|m| invalid(NAME, m))
}

/// The checkpoint key for commands that must sign or check with the
/// server's own key: `LATCHKEY_AUDIT_SIGNING_KEY`, or the keys file's line —
/// never a fresh one (that would sign with a key the server does not use).
pub fn existing_audit_signer() -> Result<crate::domain::checkpoint::CheckpointSigner, ConfigError> {
    const NAME: &str = "LATCHKEY_AUDIT_SIGNING_KEY";
    let path = super::keys_file_path();
    let text = match super::secret(NAME)? {
        Some(text) => text,
        None => std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix(NAME).and_then(|r| r.strip_prefix('=')))
                    .map(|v| v.trim().to_owned())
            })
            .ok_or_else(|| {
                invalid(
                    NAME,
                    format!(
                        "not set, and {} has no such line: set it, or LATCHKEY_KEYS_FILE to the server's keys file",
                        path.display()
                    ),
                )
            })?,
    };
    crate::domain::checkpoint::CheckpointSigner::from_base64(&text).map_err(|m| invalid(NAME, m))
}

/// The cost of new password hashes (`LATCHKEY_PASSWORD_HASH_MEMORY_KIB`,
/// default 19456, and `LATCHKEY_PASSWORD_HASH_ITERATIONS`, default 2:
/// OWASP's recommendation for argon2id). Lower only where passwords matter
/// little — a test suite that creates hundreds of accounts — or a machine
/// too small for 19 MiB per login; `serve` warns when it is below.
pub fn password_cost_from_env() -> Result<crate::infra::password::Cost, ConfigError> {
    use crate::infra::password::Cost;
    let number = |name: &'static str, default: u32, min: u32, max: u32| match var(name) {
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| invalid(name, format!("use a whole number from {min} to {max}"))),
        None => Ok(default),
    };
    Ok(Cost {
        memory_kib: number(
            "LATCHKEY_PASSWORD_HASH_MEMORY_KIB",
            Cost::RECOMMENDED.memory_kib,
            Cost::MIN.memory_kib,
            1_048_576,
        )?,
        iterations: number(
            "LATCHKEY_PASSWORD_HASH_ITERATIONS",
            Cost::RECOMMENDED.iterations,
            Cost::MIN.iterations,
            16,
        )?,
    })
}

/// Forward auth (docs/operator-guide.md: Forward auth): `/authz` on a
/// listener of its own, for a proxy in front of a team's API.
#[derive(Debug, Clone, Default)]
pub struct AuthzConfig {
    /// Where `/authz` listens (`LATCHKEY_AUTHZ_BIND`, e.g. `127.0.0.1:8081`); `None` = off.
    pub bind: Option<String>,
    /// Another header a key may come in (`LATCHKEY_AUTHZ_KEY_HEADER`, e.g. `X-Api-Key`).
    pub key_header: Option<String>,
    /// The API of a host no API lists (`LATCHKEY_AUTHZ_DEFAULT_API`); `None` = no_route.
    pub default_api: Option<String>,
}

pub(super) fn authz_from_env() -> Result<AuthzConfig, ConfigError> {
    let bind = var("LATCHKEY_AUTHZ_BIND");
    if let Some(b) = &bind {
        b.parse::<std::net::SocketAddr>()
            .map_err(|_| invalid("LATCHKEY_AUTHZ_BIND", "use an address and port, like 127.0.0.1:8081"))?;
    }
    let key_header = var("LATCHKEY_AUTHZ_KEY_HEADER");
    if let Some(h) = &key_header {
        // A header name is an RFC 9110 token.
        if !h.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(invalid("LATCHKEY_AUTHZ_KEY_HEADER", "use a header name, like X-Api-Key"));
        }
    }
    let default_api = var("LATCHKEY_AUTHZ_DEFAULT_API");
    if let Some(api) = &default_api {
        crate::domain::access::ApiSlug::parse(api).map_err(|e| invalid("LATCHKEY_AUTHZ_DEFAULT_API", e.0))?;
    }
    Ok(AuthzConfig { bind, key_header, default_api })
}

/// Single sign-on settings (docs/user-guide.md: Single sign-on).
#[derive(Debug, Clone, Default)]
pub struct SsoConfig {
    /// The DNS server domain checks ask (`LATCHKEY_DNS_RESOLVER`, ip:port); `None`: the machine's.
    pub dns_resolver: Option<std::net::SocketAddr>,
}

pub(super) fn sso_from_env() -> Result<SsoConfig, ConfigError> {
    let dns_resolver = var("LATCHKEY_DNS_RESOLVER")
        .map(|v| v.parse().map_err(|_| invalid("LATCHKEY_DNS_RESOLVER", "use ip:port, like 127.0.0.1:53")))
        .transpose()?;
    Ok(SsoConfig { dns_resolver })
}

/// Running many instances (docs/operator-guide.md: Scale-out).
#[derive(Debug, Clone)]
pub struct ScaleConfig {
    /// A direct connection for the key cache's listener (`LATCHKEY_LISTEN_DATABASE_URL`)
    /// when the pool goes through a pooler in transaction mode, which cannot
    /// keep a `LISTEN`. Its presence also tells the pool to prepare no
    /// statements by name, which such a pooler cannot route.
    pub listen_database_url: Option<String>,
    /// Whether rate limits hold across instances (PostgreSQL; `LATCHKEY_RATE_LIMIT_SCOPE`,
    /// `cluster`, the default, or `instance`).
    pub cluster_rate_limits: bool,
}

impl Default for ScaleConfig {
    fn default() -> Self {
        Self { listen_database_url: None, cluster_rate_limits: true }
    }
}

pub(super) fn scale_from_env() -> Result<ScaleConfig, ConfigError> {
    let listen_database_url = super::secret("LATCHKEY_LISTEN_DATABASE_URL")?;
    if listen_database_url.as_deref().is_some_and(|u| !crate::db::is_postgres(u)) {
        return Err(invalid("LATCHKEY_LISTEN_DATABASE_URL", "use a postgres:// URL (it is for PostgreSQL only)"));
    }
    let cluster_rate_limits = match var("LATCHKEY_RATE_LIMIT_SCOPE").as_deref() {
        None | Some("cluster") => true,
        Some("instance") => false,
        Some(_) => return Err(invalid("LATCHKEY_RATE_LIMIT_SCOPE", "use cluster or instance")),
    };
    Ok(ScaleConfig { listen_database_url, cluster_rate_limits })
}
