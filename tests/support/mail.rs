//! Reading what the app mailed: the one-time links in `.eml` files and in
//! messages an SMTP server received, whatever transfer encoding the mail
//! library chose for the text part (7bit, quoted-printable or base64).

use base64::Engine;

/// Every body of a raw message, decoded: quoted-printable soft breaks and
/// `=3D` undone, and base64 parts decoded.
pub fn decoded_bodies(raw: &str) -> String {
    let unfolded = raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let mut out = unfolded.clone();
    // base64 parts: runs of lines made only of the base64 alphabet.
    let mut run = String::new();
    for line in raw.lines().chain(std::iter::once("")) {
        let line = line.trim_end();
        if !line.is_empty()
            && line.len() >= 16
            && line.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        {
            run.push_str(line);
        } else if !run.is_empty() {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&run) {
                out.push('\n');
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
            run.clear();
        }
    }
    out
}

/// The first token with `prefix` (`lkr_`, `lki_`) in the message.
pub fn token_in(raw: &str, prefix: &str) -> Option<String> {
    let text = decoded_bodies(raw);
    let start = text.find(prefix)?;
    let body: String = text[start + prefix.len()..].chars().take_while(char::is_ascii_alphanumeric).collect();
    (body.len() == 43).then(|| format!("{prefix}{body}"))
}

impl crate::support::TestApp {
    /// The `.eml` files sent to `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        self.eml_files().into_iter().map(|(_, eml)| eml).filter(|eml| eml.contains(&format!("To: {to}"))).collect()
    }

    /// Sends the mail that is due until mail number `n` (1-based) to `to` has
    /// gone (up to 5 s: a browser's request may still be on its way), and
    /// returns its `prefix` token.
    pub async fn wait_for_link(&self, to: &str, n: usize, prefix: &str) -> String {
        let arrived = crate::support::eventually_async(std::time::Duration::from_secs(5), || async {
            self.send_mail().await;
            self.mails_to(to).len() >= n
        })
        .await;
        assert!(arrived, "mail {n} to {to} within 5 s; have {}", self.mails_to(to).len());
        token_in(&self.mails_to(to)[n - 1], prefix).unwrap_or_else(|| panic!("a {prefix} link in mail {n} to {to}"))
    }
}

/// Python's aiosmtpd on `port`, storing what it receives in the maildir `maildir`.
pub fn start_smtp(port: u16, maildir: &std::path::Path) -> std::process::Child {
    let probe = std::process::Command::new("python3").args(["-c", "import aiosmtpd"]).status();
    assert!(
        probe.is_ok_and(|s| s.success()),
        "this test needs Python's aiosmtpd: `python3 -m pip install aiosmtpd` (scripts/test installs it)"
    );
    std::process::Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .spawn()
        .expect("start aiosmtpd")
}

/// The messages an aiosmtpd maildir has received.
pub fn received_in(maildir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(maildir.join("new"))
        .map(|d| d.filter_map(Result::ok).map(|e| std::fs::read_to_string(e.path()).expect("read")).collect())
        .unwrap_or_default()
}
