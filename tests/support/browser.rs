//! Driving headless Chromium over WebDriver: a ChromeDriver process per
//! test, and the small steps journeys are written in.
#![allow(dead_code)]

use super::support::PASSWORD;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A ChromeDriver process on a free port, killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser at 1280×900; `dark` makes the pages see `prefers-color-scheme: dark`.
pub async fn start_browser(dark: bool) -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let child = Command::new(&driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {driver_bin} ({e}); scripts/test installs chromium-driver"));
    let profile = tempfile::tempdir().expect("profile dir");
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}"), _profile: profile };

    let chrome_bin = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={}", driver._profile.path().display()),
    ];
    if dark {
        args.extend(["--force-dark-mode".to_owned(), "--blink-settings=preferredColorScheme=0".to_owned()]);
    }
    let caps = serde_json::json!({ "goog:chromeOptions": { "binary": chrome_bin, "args": args } });
    let caps = caps.as_object().expect("object").clone();
    let mut last_error = None;
    for _ in 0..100 {
        match ClientBuilder::new(HttpConnector::new()).capabilities(caps.clone()).connect(&driver.url).await {
            Ok(client) => return (driver, client),
            Err(e) => {
                last_error = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("ChromeDriver did not start: {last_error:?}");
}

pub async fn screenshot(client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let backend = if std::env::var("LATCHKEY_TEST_DATABASE_URL").is_ok() { "postgres" } else { "sqlite" };
    let png = client.screenshot().await.expect("screenshot");
    let file = dir.join(format!("{name}-{backend}.png"));
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).expect("screenshot dir");
    }
    std::fs::write(file, png).expect("write screenshot");
}

/// Waits for the element. A wait that started while a page was still
/// loading ends with "aborted by navigation" (the browser dropped the lookup
/// when the new page replaced the old): it is asked again, on the new page.
pub async fn css(client: &Client, selector: &str) -> fantoccini::elements::Element {
    for _ in 0..3 {
        match client.wait().for_element(Locator::Css(selector)).await {
            Ok(element) => return element,
            Err(e) if e.to_string().contains("aborted by navigation") => continue,
            Err(e) => panic!("{selector}: {e}"),
        }
    }
    panic!("{selector}: every wait was aborted by a navigation")
}

pub async fn type_into(client: &Client, selector: &str, text: &str) {
    css(client, selector).await.send_keys(text).await.unwrap_or_else(|e| panic!("type into {selector}: {e}"));
}

pub async fn click(client: &Client, selector: &str) {
    css(client, selector).await.click().await.unwrap_or_else(|e| panic!("click {selector}: {e}"));
}

/// Logs in through the login form.
pub async fn log_in(client: &Client, email: &str) {
    type_into(client, "#email", email).await;
    type_into(client, "#password", PASSWORD).await;
    click(client, "button[type=submit]").await;
}

/// Presses Escape `times` times as raw key events, with no click in between
/// (Chromium lets a modal close on Escape then, whatever the page says).
pub async fn press_escape(client: &Client, times: usize) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut keys = KeyActions::new("keyboard".into());
    for _ in 0..times {
        keys = keys.then(KeyAction::Down { value: '\u{e00c}' }).then(KeyAction::Up { value: '\u{e00c}' });
    }
    client.perform_actions(keys).await.expect("press Escape");
    // Not background work: the browser closes the dialog (and runs its handlers) after the key events.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Clicks Copy and waits for it to say it copied (the clipboard write is asynchronous).
pub async fn copy_secret(client: &Client) {
    click(client, "[data-testid=copy-secret]").await;
    let mut text = String::new();
    for _ in 0..40 {
        text = css(client, "[data-testid=copy-secret]").await.text().await.expect("text");
        if text == "Copied" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the copy button says {text:?}, not \"Copied\"");
}

/// Opens the login page of `base` and logs in as a `latchkey demo` user.
pub async fn log_in_to_demo(client: &Client, base: &str, email: &str) {
    client.goto(&format!("{base}/login")).await.expect("login page");
    type_into(client, "#email", email).await;
    type_into(client, "#password", latchkey::cli::demo::DEMO_PASSWORD).await;
    click(client, "button[type=submit]").await;
}

pub async fn path(client: &Client) -> String {
    client.current_url().await.expect("url").path().to_owned()
}

/// A WebDriver extension command (`/session/{id}/<path>`), e.g. the WebAuthn
/// virtual authenticator's, which fantoccini has no method for.
#[derive(Debug)]
struct Extension {
    path: String,
    body: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Extension {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/{}", session.unwrap_or_default(), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// Gives the browser a virtual platform authenticator (a passkey provider
/// that always verifies the user), as Chromium's WebDriver offers for tests.
pub async fn add_virtual_authenticator(client: &Client) -> String {
    let body = serde_json::json!({
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
        "hasUserVerification": true, "isUserConsenting": true, "isUserVerified": true,
    });
    let id = client
        .issue_cmd(Extension { path: "webauthn/authenticator".into(), body })
        .await
        .expect("virtual authenticator");
    id.as_str().unwrap_or_default().to_owned()
}
