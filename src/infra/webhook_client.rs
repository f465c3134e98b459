//! The HTTP client of webhook sends (reqwest): one POST to an address the
//! SSRF guard already checked — no proxy, no redirects followed, a time
//! limit — reading at most the first bytes of the answer. What is sent, and
//! what an outcome means, is decided by the caller (`app::webhooks::send`).

use std::net::SocketAddr;
use std::sync::Once;
use std::time::Duration;
use url::{Host, Url};

static TLS: Once = Once::new();

/// Installs ring as the process's TLS provider (reqwest is built without a default one).
pub fn install_tls() {
    TLS.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An HTTP answer: its status, its headers in order, and the first bytes of its body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub excerpt: Vec<u8>,
}

/// Why no answer came back.
#[derive(Debug, Clone)]
pub struct SendError {
    pub timed_out: bool,
    /// The error and every cause under it, each lower-cased and followed by a space.
    pub chain: String,
}

impl SendError {
    fn of(err: &reqwest::Error) -> Self {
        let mut chain = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(err);
        while let Some(e) = source {
            chain.push_str(&e.to_string().to_lowercase());
            chain.push(' ');
            source = e.source();
        }
        Self { timed_out: err.is_timeout(), chain }
    }
}

/// POSTs `body` with exactly `headers` (in order) to `url`, connecting only
/// to `addr`; reads at most `excerpt` bytes of the answer's body.
pub async fn post(
    url: &Url,
    addr: SocketAddr,
    headers: &[(String, String)],
    body: Vec<u8>,
    timeout: Duration,
    excerpt: usize,
) -> Result<Response, SendError> {
    install_tls();
    let mut builder =
        reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).timeout(timeout);
    if let Some(Host::Domain(name)) = url.host() {
        // Connect to the checked address, not to whatever DNS answers next.
        builder = builder.resolve(name, addr);
    }
    let client = builder.build().map_err(|e| SendError::of(&e))?;
    let mut request = client.post(url.clone()).body(body);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let mut res = request.send().await.map_err(|e| SendError::of(&e))?;
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let mut read = Vec::new();
    while read.len() < excerpt {
        match res.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk[..chunk.len().min(excerpt - read.len())]),
            _ => break,
        }
    }
    Ok(Response { status, headers, excerpt: read })
}
