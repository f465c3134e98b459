//! Data every console page shares (the layout's "chrome"), and the error page.

pub use crate::domain::nav::NavItem;
use crate::web::auth::{CurrentUser, OrgMember};

pub struct OrgLink {
    pub slug: String,
    pub name: String,
    pub role: &'static str,
}

/// The organisation whose pages are open, with what the viewer may reach.
pub struct OrgNav {
    pub slug: String,
    pub name: String,
    pub plan: &'static str,
    pub can_settings: bool,
    pub can_members: bool,
}

/// The top bar and navigation of the console layout.
pub struct Chrome {
    pub user_name: String,
    pub user_email: String,
    pub csrf: String,
    pub is_staff: bool,
    pub orgs: Vec<OrgLink>,
    pub org: Option<OrgNav>,
    /// Sudo mode asks for a second-factor code instead of the password.
    pub sudo_with_code: bool,
    /// Sudo mode offers "Confirm with a passkey".
    pub sudo_passkey: bool,
    /// The navigation item of the page, if it has one.
    pub active: Option<NavItem>,
}

impl Chrome {
    pub fn for_user(current: &CurrentUser, active: impl Into<Option<NavItem>>) -> Self {
        Self {
            user_name: current.user.name.clone(),
            user_email: current.user.email.clone(),
            csrf: current.csrf.clone(),
            is_staff: current.user.is_staff,
            orgs: current
                .orgs
                .iter()
                .map(|(org, role)| OrgLink { slug: org.slug.clone(), name: org.name.clone(), role: role.label() })
                .collect(),
            org: None,
            sudo_with_code: current.has_authenticator_app,
            sudo_passkey: current.has_passkey,
            active: active.into(),
        }
    }

    pub fn for_member(member: &OrgMember, active: NavItem) -> Self {
        let mut chrome = Self::for_user(&member.current, active);
        chrome.org = Some(OrgNav {
            slug: member.org.slug.clone(),
            name: member.org.name.clone(),
            plan: member.org.plan.as_str(),
            can_settings: member.role.can_manage_settings(),
            can_members: member.role.can_manage_members(),
        });
        chrome
    }
}

/// A form field's value as typed and its error, for re-rendering.
#[derive(Default, Clone)]
pub struct Field {
    pub value: String,
    pub error: Option<String>,
}

impl Field {
    pub fn new(value: impl Into<String>) -> Self {
        Self { value: value.into(), error: None }
    }

    /// Parses the value, keeping the error message for the form on failure.
    pub fn parse<T>(&mut self, parse: impl FnOnce(&str) -> Result<T, crate::domain::ParseError>) -> Option<T> {
        match parse(&self.value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error = Some(e.0);
                None
            }
        }
    }
}
