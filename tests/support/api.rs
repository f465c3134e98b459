//! The REST API from a test: one shared client, calls with a bearer token, keys made straight in the database.

use super::*;

/// How long the tests' clients keep an idle connection: well under the
/// server's 5-second keep-alive, so a request never goes out on a
/// connection the server is closing at that moment (hyper's
/// `IncompleteMessage`, seen once in a browser test that pinged after a pause).
pub const IDLE: std::time::Duration = std::time::Duration::from_secs(2);

/// One API client for the whole test binary (building a TLS-capable client is not free).
pub fn api_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        latchkey::app::webhooks::send::install_tls();
        reqwest::Client::builder().pool_idle_timeout(IDLE).build().expect("client")
    })
}

/// `GET /api/v1/ping` with `Authorization: Bearer <token>`: (status, body, response).
pub async fn ping(app: &TestApp, token: &str) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let res = api_client()
        .get(format!("{}/api/v1/ping", app.base))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("ping");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.json().await.unwrap_or(serde_json::Value::Null);
    (status, body, headers)
}

/// The error code of an API error body.
pub fn code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

impl TestApp {
    /// Creates a key straight in the database (for API tests); returns its token.
    pub fn make_key(&self, slug: &str, scopes: &[&str], allowed_ips: &str, rate_limit: Option<u32>) -> String {
        use latchkey::db::api_keys::KeySettings;
        use latchkey::domain::key_settings::IpAllowlist;
        use latchkey::domain::scopes::Scopes;
        let settings = KeySettings {
            label: format!("test key {}", scopes.join(" ")),
            description: String::new(),
            scopes: Scopes::parse(scopes).expect("scopes"),
            expires_at: None,
            allowed_ips: IpAllowlist::parse(allowed_ips).expect("allowlist"),
            rate_limit_per_minute: rate_limit,
            owner_id: None,
            metadata: None,
        };
        self.make_key_with(slug, settings).1
    }

    /// A key with these scopes, no allowlist and no rate limit, labelled `label`: (key id, token).
    pub fn make_scoped_key(&self, slug: &str, label: &str, scopes: &[&str]) -> (String, String) {
        let settings = latchkey::db::api_keys::KeySettings {
            label: label.to_owned(),
            description: String::new(),
            scopes: latchkey::domain::scopes::Scopes::parse(scopes).expect("scopes"),
            expires_at: None,
            allowed_ips: Default::default(),
            rate_limit_per_minute: Some(0),
            owner_id: None,
            metadata: None,
        };
        self.make_key_with(slug, settings)
    }

    /// A key of `acme`, as stored.
    pub fn key_by_id(&self, key_id: &str) -> latchkey::db::api_keys::ApiKey {
        let org = latchkey::db::orgs::find_by_slug(&mut self.conn(), "acme").expect("q").expect("org");
        latchkey::db::api_keys::find(&mut self.conn(), org.id, key_id).expect("q").expect("key")
    }

    /// How many keys (in any state) the organisation has.
    pub fn key_count(&self, slug: &str) -> i64 {
        use diesel::prelude::*;
        use latchkey::db::schema::api_keys::dsl;
        let org = latchkey::db::orgs::find_by_slug(&mut self.conn(), slug).expect("q").expect("org");
        dsl::api_keys.filter(dsl::org_id.eq(org.id.get())).count().get_result(&mut self.conn()).expect("count")
    }

    /// A full-access key labelled `label` that expires at `expires_at`: (key id, token).
    pub fn make_expiring_key(&self, slug: &str, label: &str, expires_at: chrono::NaiveDateTime) -> (String, String) {
        let settings = latchkey::db::api_keys::KeySettings {
            label: label.to_owned(),
            description: String::new(),
            scopes: Default::default(),
            expires_at: Some(expires_at),
            allowed_ips: Default::default(),
            rate_limit_per_minute: Some(0),
            owner_id: None,
            metadata: None,
        };
        self.make_key_with(slug, settings)
    }

    /// Inserts a key with these settings: (key id, token).
    pub fn make_key_with(&self, slug: &str, settings: latchkey::db::api_keys::KeySettings) -> (String, String) {
        use latchkey::db::api_keys::{NewKey, insert};
        use latchkey::domain::token::{ApiKeySecret, KeyId};
        let org = latchkey::db::orgs::find_by_slug(&mut self.conn(), slug).expect("q").expect("org");
        let secret = ApiKeySecret::generate(&Default::default());
        let key_id = KeyId::generate();
        let new = NewKey {
            org_id: org.id,
            key_id: key_id.as_str(),
            token_hash: &secret.hash(),
            display_prefix: &secret.display_prefix(),
            settings: &settings,
            created_by: latchkey::db::api_keys::CreatedBy {
                user_id: Some(latchkey::domain::UserId::new(1)),
                email: None,
                key_id: None,
                name: "tests",
            },
            rotated_from: None,
        };
        insert(&mut self.conn(), new).expect("insert key");
        (key_id.as_str().to_owned(), secret.expose().to_owned())
    }

    /// Every mail queued for the organisation, oldest first.
    pub fn mails(&self, org_id: latchkey::domain::OrgId) -> Vec<latchkey::db::mail::MailRow> {
        latchkey::db::mail::for_org(&mut self.conn(), org_id).expect("mails")
    }

    /// The `.eml` files the app wrote, by name.
    pub fn eml_files(&self) -> Vec<(String, String)> {
        eml_files_in(self.mail_dir.path())
    }
}

/// An API call: (status, JSON body or Null, headers).
pub async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    api_with(app, method, path, token, body, &[]).await
}

/// [`api`] with extra request headers (`Idempotency-Key`, `User-Agent` …).
pub async fn api_with(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
    headers: &[(&str, &str)],
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let mut req = api_client().request(method, format!("{}{path}", app.base)).bearer_auth(token);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("api call");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null), headers)
}

/// The `field`s of a `validation_failed` answer's details, in order.
pub fn detail_fields(body: &serde_json::Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .map(|d| d.iter().filter_map(|d| d["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The message of the first detail about `field` (empty when there is none).
pub fn detail_message(body: &serde_json::Value, field: &str) -> String {
    body["error"]["details"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["field"] == field))
        .and_then(|d| d["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// `keys:write` plus every resource scope: a management key that may issue full-access keys.
pub const ADMIN_SCOPES: [&str; 5] =
    ["keys:write", "customers:write", "orders:write", "products:write", "categories:write"];

/// A JSON object's field names, sorted.
pub fn field_names(object: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = object.as_object().expect("an object").keys().cloned().collect();
    names.sort();
    names
}

/// Space-separated names, sorted (to compare with [`field_names`]).
pub fn sorted(names: &str) -> Vec<String> {
    let mut names: Vec<String> = names.split_whitespace().map(str::to_owned).collect();
    names.sort();
    names
}

/// RFC 3339, `days` from now, whole seconds.
pub fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
