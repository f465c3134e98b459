//! Browser-like clients (a cookie jar, no redirects followed) and HTML selectors.

use super::*;

/// A new visitor of the server at `base`.
pub fn visitor_for(base: &str) -> Visitor {
    latchkey::app::webhooks::send::install_tls();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .pool_idle_timeout(IDLE)
        .user_agent(USER_AGENT)
        .build()
        .expect("client");
    Visitor { http, base: base.to_owned() }
}

/// One browser-like client: its own cookie jar, redirects not followed.
pub struct Visitor {
    pub http: reqwest::Client,
    pub base: String,
}

impl Visitor {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> (u16, Html) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, Html::parse_document(&res.text().await.expect("body")))
    }

    /// The session's CSRF token, read from a page the way a browser gets it.
    pub async fn csrf(&self) -> String {
        for path in ["/logout", "/login", "/setup"] {
            let res = self.get(path).await;
            if res.status() == 200 {
                let html = Html::parse_document(&res.text().await.expect("body"));
                if let Some(token) = select_attr(&html, "input[name=csrf_token]", "value") {
                    return token;
                }
            }
        }
        panic!("no page offered a CSRF token");
    }

    /// POSTs a form with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POSTs exactly these fields (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(format!("{}{path}", self.base)).form(fields).send().await.expect("POST")
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/login", &[("email", email), ("password", password)]).await
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

pub fn select_attr(html: &Html, selector: &str, attr: &str) -> Option<String> {
    let sel = Selector::parse(selector).expect("selector");
    html.select(&sel).next().and_then(|e| e.value().attr(attr)).map(str::to_owned)
}

pub fn select_all_text(html: &Html, selector: &str) -> Vec<String> {
    let sel = Selector::parse(selector).expect("selector");
    html.select(&sel).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
}

pub fn select_all_attr(html: &Html, selector: &str, attr: &str) -> Vec<String> {
    let sel = Selector::parse(selector).expect("selector");
    html.select(&sel).filter_map(|e| e.value().attr(attr)).map(str::to_owned).collect()
}

pub fn count(html: &Html, selector: &str) -> usize {
    let sel = Selector::parse(selector).expect("selector");
    html.select(&sel).count()
}
