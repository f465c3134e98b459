//! A real HTTP receiver for webhook deliveries, and the `.eml` files mail leaves.

/// One request as the receiver got it: (lower-cased headers, body).
pub type Received = (Vec<(String, String)>, Vec<u8>);

/// A real HTTP receiver on loopback: answers every request with `status` and
/// `body` after `delay`, and keeps what it received.
pub struct Receiver {
    pub url: String,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    /// What it answers from now on (see [`Receiver::set_status`]).
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
}

impl Receiver {
    pub fn start(status: u16, body: &'static str, delay: std::time::Duration) -> Self {
        Self::start_on(0, status, body, delay)
    }

    /// The same, on a chosen port (0 = any free port).
    pub fn start_on(port: u16, status: u16, body: &'static str, delay: std::time::Duration) -> Self {
        Self::start_with(port, status, body, move |_| delay)
    }

    /// The same, waiting `delay_for(n)` before answering the n-th request (from 0).
    pub fn start_with(
        port: u16,
        status: u16,
        body: &'static str,
        delay_for: impl Fn(usize) -> std::time::Duration + Send + Sync + 'static,
    ) -> Self {
        use std::io::{Read, Write};
        let delay_for = std::sync::Arc::new(delay_for);
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind receiver");
        let url = format!("http://127.0.0.1:{}/hooks", listener.local_addr().expect("addr").port());
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        let status = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(status));
        let answer = status.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (store, delay_for, answer) = (store.clone(), delay_for.clone(), answer.clone());
                std::thread::spawn(move || {
                    let mut data = Vec::new();
                    let mut buf = [0u8; 8192];
                    // Read the head, then the body by content-length.
                    let (head_end, length) = loop {
                        let Ok(n) = stream.read(&mut buf) else { return };
                        if n == 0 {
                            return;
                        }
                        data.extend_from_slice(&buf[..n]);
                        if let Some(pos) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&data[..pos]).to_lowercase();
                            let length = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (pos + 4, length);
                        }
                    };
                    while data.len() < head_end + length {
                        let Ok(n) = stream.read(&mut buf) else { return };
                        if n == 0 {
                            break;
                        }
                        data.extend_from_slice(&buf[..n]);
                    }
                    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
                        .collect();
                    let n = match store.lock() {
                        Ok(mut all) => {
                            all.push((headers, data[head_end..].to_vec()));
                            all.len() - 1
                        }
                        Err(_) => 0,
                    };
                    // The endpoint's own slowness (a hanging or slow receiver), not a wait for background work.
                    std::thread::sleep(delay_for(n));
                    let status = answer.load(std::sync::atomic::Ordering::SeqCst);
                    let reply = format!(
                        "HTTP/1.1 {status} Status\r\ncontent-type: text/plain\r\nx-receiver: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(reply.as_bytes());
                });
            }
        });
        Self { url, received, status }
    }

    /// Answers `status` to every request from now on (an endpoint that recovers, or breaks).
    pub fn set_status(&self, status: u16) {
        self.status.store(status, std::sync::atomic::Ordering::SeqCst);
    }

    /// What it has received so far.
    pub fn got(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

/// The `.eml` files in `dir` (name, content), sorted by name.
pub fn eml_files_in(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .map(|e| {
                    (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).expect("read eml"))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
