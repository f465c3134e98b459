//! Real `latchkey serve` processes, and a TCP relay whose plug a test can pull.

use super::*;

/// A real `latchkey serve` process on `database_url`, killed when dropped.
pub struct ServeProcess {
    pub base: String,
    pub child: std::process::Child,
    pub log: std::path::PathBuf,
    /// Holds the mail directory; removed with the process (the log stays for the sweep).
    _work: tempfile::TempDir,
}

/// Creates the owner `owner@acme.test` (password [`PASSWORD`]) and the paid org `acme` with the real CLI.
pub fn seed_acme_over_cli(database_url: &str) {
    for args in [
        &["user", "create", "--email", "owner@acme.test", "--name", "Olive", "--password", PASSWORD][..],
        &["org", "create", "--slug", "acme", "--name", "Acme", "--plan", "paid", "--owner", "owner@acme.test"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .args(args)
            .env("DATABASE_URL", database_url)
            .output()
            .expect("cli");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Keys shared by every instance of one test, as a deployment would share them.
pub fn shared_keys() -> [(&'static str, String); 3] {
    use base64::Engine;
    let b64 = |n| base64::engine::general_purpose::STANDARD.encode(random_bytes(n));
    [("LATCHKEY_SESSION_KEY", b64(64)), ("LATCHKEY_ENCRYPTION_KEY", b64(32)), ("LATCHKEY_AUDIT_SIGNING_KEY", b64(32))]
}

impl ServeProcess {
    /// Starts the binary with test-friendly settings plus `env`, and waits until it answers.
    pub async fn start(database_url: &str, env: &[(&str, String)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let work = tempfile::tempdir().expect("work dir");
        let _ = std::fs::create_dir_all(test_log_dir());
        let log = test_log_dir().join(format!("serve-{}-{port}.log", std::process::id()));
        let file = std::fs::File::create(&log).expect("log file");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("LATCHKEY_BIND", format!("127.0.0.1:{port}"))
            .env("LATCHKEY_WEBHOOK_ALLOW_INSECURE", "1")
            .env("LATCHKEY_WEBHOOK_ALLOW_PRIVATE", "1")
            .env("LATCHKEY_SCHEDULER_INTERVAL_SECS", "1")
            .env("LATCHKEY_PASSWORD_HASH_MEMORY_KIB", "64") // as in-process test servers (support/mod.rs)
            .env("LATCHKEY_PASSWORD_HASH_ITERATIONS", "1")
            .env("LATCHKEY_MAIL_DIR", work.path().join("mail"))
            // Keys not given are generated here, never into the working directory.
            .env("LATCHKEY_KEYS_FILE", work.path().join("keys"))
            .env("RUST_LOG", "info,latchkey=debug")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start latchkey serve");
        let process = Self { base, child, log, _work: work };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(format!("{}/healthz", process.base)).send().await.is_ok() {
                return process;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("latchkey serve did not start: {}", process.logs());
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit; its status if it did.
    pub async fn wait_exit(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP relay in front of a server whose plug can be pulled: a real
/// network fault (connections cut, new ones refused) without stopping the
/// server other tests share.
pub struct Plug {
    pub port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    relays: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Plug {
    pub async fn start(target: std::net::SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind plug");
        let port = listener.local_addr().expect("addr").port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let relays = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (flag, handles) = (cut.clone(), relays.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue; // dropped at once: the peer sees the connection closed
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                handles.lock().expect("relays").push(relay.abort_handle());
            }
        });
        Self { port, cut, relays }
    }

    /// Cuts every open connection and refuses new ones.
    pub fn pull(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for relay in self.relays.lock().expect("relays").drain(..) {
            relay.abort();
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Runs the real `latchkey` binary with `args` against `database_url`, its keys in `keys_file`.
pub fn latchkey_cli(args: &[&str], database_url: &str, keys_file: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("LATCHKEY_KEYS_FILE", keys_file)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run latchkey")
}

/// What a command printed, stdout then stderr.
pub fn said(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
