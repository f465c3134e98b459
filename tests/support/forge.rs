//! Sessions forged with the server's own key, for tests of times a test cannot wait for.

use super::*;

/// Times of a forged session, in seconds ago.
#[derive(Debug, Clone, Copy)]
pub struct SessionTimes {
    pub login_ago: i64,
    pub seen_ago: i64,
    pub password_ago: i64,
}

impl TestApp {
    /// A session cookie (`latchkey_session=…`) built exactly as the server builds
    /// one, with chosen times and CSRF token, plus its server-side row, whose
    /// (started, last seen) are `row` seconds ago.
    pub fn forge_session(
        &self,
        user_id: latchkey::domain::UserId,
        times: SessionTimes,
        row: (i64, i64),
        csrf: &str,
    ) -> String {
        use actix_web::cookie::{Cookie, CookieJar, Key};
        use diesel::prelude::*;
        use latchkey::db::schema::sessions::dsl;
        let now = chrono::Utc::now().timestamp();
        let sid = format!("forged-{}", random_suffix());
        let login = serde_json::json!({
            "sid": sid, "user_id": user_id, "epoch": 0, "login_at": now - times.login_ago,
            "seen_at": now - times.seen_ago, "password_at": now - times.password_ago,
        });
        let hash = latchkey::web::auth::session::SessionId::hash_of(&sid);
        latchkey::db::sessions::insert(&mut self.conn(), user_id, &hash, &Default::default()).expect("session row");
        let at = |ago: i64| db::now() - chrono::Duration::seconds(ago);
        diesel::update(dsl::sessions.filter(dsl::token_hash.eq(&hash)))
            .set((dsl::created_at.eq(at(row.0)), dsl::last_seen_at.eq(at(row.1))))
            .execute(&mut self.conn())
            .expect("row times");
        let state = serde_json::json!({ "login": login.to_string(), "csrf": format!("\"{csrf}\"") });
        let key = Key::from(&self.config.session_key);
        let mut jar = CookieJar::new();
        jar.private_mut(&key).add(Cookie::new("latchkey_session", state.to_string()));
        format!("latchkey_session={}", jar.get("latchkey_session").expect("cookie").value())
    }

    /// A second login step that began `started_ago` seconds ago (the password was right).
    pub fn forge_pending_login(&self, user_id: latchkey::domain::UserId, started_ago: i64, csrf: &str) -> String {
        use actix_web::cookie::{Cookie, CookieJar, Key};
        let now = chrono::Utc::now().timestamp();
        let pending =
            serde_json::json!({ "user_id": user_id, "epoch": 0, "started_at": now - started_ago, "next": "" });
        let state = serde_json::json!({ "pending_login": pending.to_string(), "csrf": format!("\"{csrf}\"") });
        let key = Key::from(&self.config.session_key);
        let mut jar = CookieJar::new();
        jar.private_mut(&key).add(Cookie::new("latchkey_session", state.to_string()));
        format!("latchkey_session={}", jar.get("latchkey_session").expect("cookie").value())
    }

    /// A session of nobody yet, holding only the CSRF token `csrf` (a login page's).
    pub fn forge_anonymous(&self, csrf: &str) -> String {
        use actix_web::cookie::{Cookie, CookieJar, Key};
        let state = serde_json::json!({ "csrf": format!("\"{csrf}\"") });
        let key = Key::from(&self.config.session_key);
        let mut jar = CookieJar::new();
        jar.private_mut(&key).add(Cookie::new("latchkey_session", state.to_string()));
        format!("latchkey_session={}", jar.get("latchkey_session").expect("cookie").value())
    }

    /// A visitor that sends `cookie` (a forged session) with every request.
    pub fn visitor_with_cookie(&self, cookie: &str) -> Visitor {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", cookie.parse().expect("header"));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("client");
        Visitor { http, base: self.base.clone() }
    }

    /// A logged-in session of `email` whose password (or code) was confirmed `minutes` ago.
    pub fn stale_sudo_session(&self, email: &str, minutes: i64) -> Visitor {
        let user = self.user(email);
        let times = SessionTimes { login_ago: minutes * 60, seen_ago: 0, password_ago: minutes * 60 };
        let cookie = self.forge_session(user.id, times, (minutes * 60, 0), "csrf-token");
        self.visitor_with_cookie(&cookie)
    }
}
