//! The console's navigation: the organisation's side
//! navigation, the support console link and the account menu item. Each
//! page names the item it belongs to; the layout marks it `aria-current`.

use super::urls;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavItem {
    Dashboard,
    ApiKeys,
    Apis,
    Webhooks,
    AuditLog,
    Members,
    Security,
    Account,
    Support,
}

impl NavItem {
    /// What the link says.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dashboard => "Overview",
            Self::ApiKeys => "API keys",
            Self::Apis => "APIs",
            Self::Webhooks => "Webhooks",
            Self::AuditLog => "Audit log",
            Self::Members => "Members",
            Self::Security => "Security",
            Self::Account => "Your account",
            Self::Support => "Support console",
        }
    }

    /// The link's `data-testid` (the overview has none).
    pub fn testid(self) -> Option<&'static str> {
        match self {
            Self::Dashboard => None,
            Self::ApiKeys => Some("nav-api-keys"),
            Self::Apis => Some("nav-apis"),
            Self::Webhooks => Some("nav-webhooks"),
            Self::AuditLog => Some("nav-audit-log"),
            Self::Members => Some("nav-members"),
            Self::Security => Some("nav-security"),
            Self::Account => Some("menu-account"),
            Self::Support => Some("nav-support"),
        }
    }

    /// Where it leads; `org_slug` is the organisation whose pages are open
    /// (unused by the account and support items).
    pub fn href(self, org_slug: &str) -> String {
        match self {
            Self::Dashboard => urls::org(org_slug),
            Self::ApiKeys => urls::keys(org_slug),
            Self::Apis => urls::apis(org_slug),
            Self::Webhooks => urls::webhooks(org_slug),
            Self::AuditLog => urls::audit_log(org_slug),
            Self::Members => urls::members(org_slug),
            Self::Security => urls::security(org_slug),
            Self::Account => urls::ACCOUNT.to_owned(),
            Self::Support => urls::SUPPORT.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NavItem;

    #[test]
    fn items_lead_to_their_pages() {
        assert_eq!(NavItem::ApiKeys.href("acme"), "/orgs/acme/settings/api-keys");
        assert_eq!(NavItem::Dashboard.href("acme"), "/orgs/acme");
        assert_eq!(NavItem::Support.href(""), "/support");
        assert_eq!((NavItem::Dashboard.testid(), NavItem::Account.testid()), (None, Some("menu-account")));
    }
}
