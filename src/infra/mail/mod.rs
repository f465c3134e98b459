//! Outgoing mail (docs/operator-guide.md: Mail): through SMTP when `LATCHKEY_SMTP_URL` is set
//! (lettre; `smtps://` = TLS, `smtp://…?tls=required` = STARTTLS), otherwise
//! as `.eml` files under `LATCHKEY_MAIL_DIR`, so a fresh install shows what
//! it would send. Messages are queued in the database first (`db::mail`) and
//! sent by the scheduler (`jobs::send_mail`), which retries failures.

pub mod account;
pub mod compose;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone)]
pub struct MailConfig {
    /// Carries credentials: never logged.
    pub smtp_url: Option<String>,
    pub dir: PathBuf,
    pub from: Mailbox,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp", &self.smtp_url.as_ref().map(|_| "<redacted>"))
            .field("dir", &self.dir)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl MailConfig {
    /// `.eml` files in `dir`, from `latchkey@localhost`.
    pub fn files(dir: impl Into<PathBuf>) -> Self {
        Self { smtp_url: None, dir: dir.into(), from: default_from() }
    }
}

pub fn default_from() -> Mailbox {
    Mailbox::new(
        Some("Latchkey".into()),
        lettre::Address::new("latchkey", "localhost").unwrap_or_else(|_| unreachable!()),
    )
}

/// Time limit of one SMTP conversation.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl Transport {
    pub fn new(config: &MailConfig) -> Result<Self, String> {
        match &config.smtp_url {
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
                    format!(
                        "{e}; use smtp://host:25, smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465"
                    )
                })?;
                Ok(Self::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build()))
            }
            None => Ok(Self::Files(config.dir.clone())),
        }
    }

    /// Sends one message; `name` names its `.eml` file.
    pub async fn send(&self, message: Message, name: &str) -> Result<(), String> {
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Self::Files(dir) => {
                let bytes = message.formatted();
                let (dir, name) = (dir.clone(), name.to_owned());
                tokio::task::spawn_blocking(move || write_eml(&dir, &name, &bytes))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Writes through a temporary file and a rename, so a reader never sees half a message.
fn write_eml(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(format!("{name}.eml")))
}

/// Seals a message body that carries a one-time link, so the outbox never
/// holds the link in clear (the sender opens it with [`open_body`]).
pub fn seal_body(key: &[u8], body: &str) -> Result<String, crate::domain::crypto::CryptoError> {
    crate::domain::crypto::seal(key, body.as_bytes())
}

pub fn open_body(key: &[u8], sealed: &str) -> Result<String, String> {
    let bytes = crate::domain::crypto::open(key, sealed).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "a sealed mail body is not UTF-8".to_owned())
}
