//! The URLs of page families with many links: an organisation's API keys
//! (under its settings, or read-only in the support console), its webhook
//! endpoints and its audit log (also in the support console). A page holds
//! one of these and its template asks it for every link.

use super::{support_audit_log, support_keys, with_query};
use std::fmt::Display;

/// An organisation's API key pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPages(String);

impl KeyPages {
    /// Settings → API keys.
    pub fn org(slug: &str) -> Self {
        Self(super::keys(slug))
    }

    /// The support console's read-only copy.
    pub fn support(slug: &str) -> Self {
        Self(support_keys(slug))
    }

    pub fn list(&self) -> &str {
        &self.0
    }

    /// Another page of the list: its filters (`query`, encoded) and `cursor`.
    pub fn list_page(&self, query: &str, cursor: impl Display) -> String {
        with_query(&self.0, query, &[("cursor", &cursor.to_string())])
    }

    pub fn create(&self) -> String {
        format!("{}/new", self.0)
    }

    pub fn lookup(&self) -> String {
        format!("{}/lookup", self.0)
    }

    pub fn key(&self, key_id: &str) -> String {
        format!("{}/{key_id}", self.0)
    }

    pub fn edit(&self, key_id: &str) -> String {
        self.action(key_id, "edit")
    }

    /// A key's action (`rotate`, `revoke`, `deactivate`, `activate`,
    /// `delete`): GET asks, POST does it.
    pub fn action(&self, key_id: &str, action: &str) -> String {
        format!("{}/{key_id}/{action}", self.0)
    }

    /// The key's request log on its page, filtered by `query` (encoded, may be empty).
    pub fn requests(&self, key_id: &str, query: &str) -> String {
        format!("{}#requests", with_query(&self.key(key_id), query, &[]))
    }

    /// The request log's next page.
    pub fn requests_page(&self, key_id: &str, query: &str, cursor: impl Display) -> String {
        format!("{}#requests", with_query(&self.key(key_id), query, &[("cursor", &cursor.to_string())]))
    }

    /// The request log as CSV, filtered by `query` (encoded, may be empty).
    pub fn requests_csv(&self, key_id: &str, query: &str) -> String {
        with_query(&format!("{}/{key_id}/requests.csv", self.0), query, &[])
    }
}

/// An organisation's webhook endpoints (Settings → Webhooks).
#[derive(Debug, Clone, PartialEq, Eq)]
/// Settings → APIs: the list, a new API, one API and its actions.
pub struct ApiPages(String);

impl ApiPages {
    pub fn org(slug: &str) -> Self {
        Self(super::apis(slug))
    }

    pub fn list(&self) -> &str {
        &self.0
    }

    pub fn create(&self) -> String {
        format!("{}/new", self.0)
    }

    pub fn api(&self, api: &str) -> String {
        format!("{}/{api}", self.0)
    }

    /// An API's action: `definition.json` (the download), `import`, `delete`.
    pub fn action(&self, api: &str, action: &str) -> String {
        format!("{}/{api}/{action}", self.0)
    }
}

pub struct WebhookPages(String);

impl WebhookPages {
    pub fn org(slug: &str) -> Self {
        Self(super::webhooks(slug))
    }

    pub fn list(&self) -> &str {
        &self.0
    }

    pub fn create(&self) -> String {
        format!("{}/new", self.0)
    }

    pub fn endpoint(&self, public_id: &str) -> String {
        format!("{}/{public_id}", self.0)
    }

    /// An endpoint's action: `edit`, `test`, `recover`, `enable`, `disable`,
    /// `rotate-secret`, `delete` (the last two: GET asks, POST does it).
    pub fn action(&self, public_id: &str, action: &str) -> String {
        format!("{}/{public_id}/{action}", self.0)
    }

    /// The endpoint's delivery attempts on its page, filtered by `query` (encoded, may be empty).
    pub fn deliveries(&self, public_id: &str, query: &str) -> String {
        format!("{}#deliveries", with_query(&self.endpoint(public_id), query, &[]))
    }

    /// The attempts listed before attempt `before`.
    pub fn deliveries_before(&self, public_id: &str, query: &str, before: impl Display) -> String {
        format!("{}#deliveries", with_query(&self.endpoint(public_id), query, &[("before", &before.to_string())]))
    }

    pub fn attempt(&self, public_id: &str, attempt_id: impl Display) -> String {
        format!("{}/{public_id}/attempts/{attempt_id}", self.0)
    }

    /// POST: sends a message to the endpoint again.
    pub fn resend(&self, public_id: &str, message_id: &str) -> String {
        format!("{}/{public_id}/deliveries/{message_id}/resend", self.0)
    }
}

/// An organisation's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLogPages(String);

impl AuditLogPages {
    /// Settings → Audit log.
    pub fn org(slug: &str) -> Self {
        Self(super::audit_log(slug))
    }

    /// The support console's read-only copy.
    pub fn support(slug: &str) -> Self {
        Self(support_audit_log(slug))
    }

    /// The platform log (events of no organisation), in the support console.
    pub fn platform() -> Self {
        Self(super::PLATFORM_LOG.to_owned())
    }

    pub fn list(&self) -> &str {
        &self.0
    }

    /// The log filtered by `query` (encoded, may be empty): its newest page.
    pub fn filtered(&self, query: &str) -> String {
        with_query(&self.0, query, &[])
    }

    /// The page of events older than `cursor`.
    pub fn older(&self, query: &str, cursor: impl Display) -> String {
        with_query(&self.0, query, &[("cursor", &cursor.to_string())])
    }

    pub fn verify(&self) -> String {
        format!("{}/verify", self.0)
    }

    pub fn export_csv(&self, query: &str) -> String {
        with_query(&format!("{}/export.csv", self.0), query, &[])
    }

    pub fn export_jsonl(&self, query: &str) -> String {
        with_query(&format!("{}/export.jsonl", self.0), query, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_their_filters() {
        let keys = KeyPages::org("acme");
        assert_eq!(keys.list_page("sort=created", 50), "/orgs/acme/settings/api-keys?sort=created&cursor=50");
        assert_eq!(keys.requests_csv("key_1", ""), "/orgs/acme/settings/api-keys/key_1/requests.csv");
        assert_eq!(
            keys.requests_page("key_1", "ip=1.2.3.4", 9),
            "/orgs/acme/settings/api-keys/key_1?ip=1.2.3.4&cursor=9#requests"
        );
        assert_eq!(KeyPages::support("acme").key("key_1"), "/support/orgs/acme/api-keys/key_1");
        let apis = ApiPages::org("acme");
        assert_eq!(apis.action("billing", "import"), "/orgs/acme/settings/apis/billing/import");
        assert_eq!(apis.create(), "/orgs/acme/settings/apis/new");
        let hooks = WebhookPages::org("acme");
        assert_eq!(hooks.deliveries_before("wh_1", "", 7), "/orgs/acme/settings/webhooks/wh_1?before=7#deliveries");
        assert_eq!(hooks.resend("wh_1", "msg_1"), "/orgs/acme/settings/webhooks/wh_1/deliveries/msg_1/resend");
        let log = AuditLogPages::support("acme");
        assert_eq!(log.filtered(""), "/support/orgs/acme/audit-log");
        assert_eq!(log.older("actor=a%40b", 3), "/support/orgs/acme/audit-log?actor=a%40b&cursor=3");
        assert_eq!(log.export_jsonl("to=x"), "/support/orgs/acme/audit-log/export.jsonl?to=x");
    }
}
