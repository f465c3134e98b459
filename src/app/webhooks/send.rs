//! One webhook HTTP request to an address the SSRF guard checked: no proxy,
//! no redirects followed, a time limit, and the first 4 KiB of the answer
//! (the HTTP client itself is `infra::webhook_client`). Every header is set
//! here, so the attempt log records exactly what went on the wire (the
//! attempt page shows it), and here an outcome is classified.

use crate::infra::webhook_client::{self, SendError};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use url::Url;

/// Installs the TLS provider the webhook client needs (`serve` and tests call it at start).
pub use crate::infra::webhook_client::install_tls;

const EXCERPT: usize = 4 * 1024;
const USER_AGENT: &str = concat!("Latchkey-Webhooks/", env!("CARGO_PKG_VERSION"));

/// The request of one attempt as it went on the wire: URL, every header in
/// the order set, and the body. Headers are empty when nothing was sent
/// (the address was refused before connecting).
#[derive(Debug, Clone, Default)]
pub struct SentRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What one attempt produced, for the terminal-style panel and the delivery log.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// (class, message) when no HTTP answer came back: timeout, refused, tls, network.
    pub error: Option<(&'static str, String)>,
    pub request: SentRequest,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// For metrics: `success`, `http_error` (any other answer) or the error class.
    pub fn outcome(&self) -> &'static str {
        match (&self.error, self.succeeded()) {
            (Some((class, _)), _) => class,
            (None, true) => "success",
            (None, false) => "http_error",
        }
    }
}

/// Why no answer came back, as the attempt log and the panel say it: (class, message).
fn error_class(err: &SendError, timeout: Duration) -> (&'static str, String) {
    if err.timed_out {
        return ("timeout", format!("Timed out after {} s.", timeout.as_secs()));
    }
    let chain = &err.chain;
    if chain.contains("refused") {
        ("refused", "Connection refused: nothing is listening at that address and port.".into())
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake") {
        ("tls", format!("TLS failure: {}", chain.trim()))
    } else {
        ("network", format!("Could not connect: {}", chain.trim()))
    }
}

/// `Host` as HTTP/1.1 sends it: the URL's host, with the port unless it is the scheme's default.
fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Every header of the request, in the order they are set: ours, then the
/// caller's (the signature), then the body's length (which hyper writes
/// from the body, so it is recorded, not set).
pub fn wire_headers(url: &Url, headers: &[(&str, String)], body_len: usize) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = [
        ("host", host_header(url)),
        ("content-type", "application/json".to_owned()),
        ("user-agent", USER_AGENT.to_owned()),
        // reqwest would add this by default; set here so the record names it.
        ("accept", "*/*".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    all.extend(headers.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    all.push(("content-length".to_owned(), body_len.to_string()));
    all
}

/// POSTs `body` with `headers` to `url`, connecting only to `addr`.
pub async fn post(
    url: &Url,
    addr: SocketAddr,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Attempt {
    let sent = SentRequest {
        url: url.to_string(),
        headers: wire_headers(url, headers, body.len()),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    // The body's length is written by hyper from the body: recorded, not set.
    let set: Vec<(String, String)> =
        sent.headers.iter().filter(|(name, _)| name != "content-length").cloned().collect();
    let started = Instant::now();
    match webhook_client::post(url, addr, &set, body, timeout, EXCERPT).await {
        Ok(res) => Attempt {
            status: Some(res.status),
            latency_ms: started.elapsed().as_millis() as u64,
            headers: res.headers,
            body: String::from_utf8_lossy(&res.excerpt).into_owned(),
            error: None,
            request: sent,
        },
        Err(e) => failed(started, error_class(&e, timeout), sent),
    }
}

fn failed(started: Instant, error: (&'static str, String), request: SentRequest) -> Attempt {
    Attempt {
        status: None,
        latency_ms: started.elapsed().as_millis() as u64,
        headers: Vec::new(),
        body: String::new(),
        error: Some(error),
        request,
    }
}
