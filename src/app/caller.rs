//! Who asks a use case for something, and from where: a person in the
//! console (their account, their role in the organisation, and whether they
//! re-entered their password in the last minutes: "sudo mode"), or an API
//! key through the management API. The use cases check what the caller may
//! do themselves, so the console and the API cannot drift apart; the web
//! layer only builds a `Caller` from its extractors.

use crate::app::audit::{Actor, RequestMeta};
use crate::db::api_keys::ApiKey;
use crate::domain::Role;

/// The rows a caller is made of, as the web layer holds them.
pub use crate::db::{orgs::Org, users::User};

/// The identity a use case acts for.
#[derive(Debug, Clone)]
pub enum Who {
    /// A member of `org` in the console. `sudo`: the password (or a code)
    /// was confirmed within the sudo window, or on this very request.
    Member { user: User, org: Org, role: Role, sudo: bool },
    /// An API key of `org`, through the management API.
    Key { key: Box<ApiKey>, org: Org },
    /// Platform staff reading `org` through the support console (read-only;
    /// the look itself is recorded by `support::look_at`).
    Staff { user: User, org: Org },
}

/// Who acts, and where the request came from (recorded with every change).
#[derive(Debug, Clone)]
pub struct Caller {
    pub who: Who,
    pub meta: RequestMeta,
}

impl Caller {
    pub fn member(user: User, org: Org, role: Role, sudo: bool, meta: RequestMeta) -> Self {
        Self { who: Who::Member { user, org, role, sudo }, meta }
    }

    pub fn key(key: ApiKey, org: Org, meta: RequestMeta) -> Self {
        Self { who: Who::Key { key: Box::new(key), org }, meta }
    }

    pub fn staff(user: User, org: Org, meta: RequestMeta) -> Self {
        Self { who: Who::Staff { user, org }, meta }
    }

    /// The organisation the caller acts in: everything it names is looked up there only.
    pub fn org(&self) -> &Org {
        match &self.who {
            Who::Member { org, .. } | Who::Key { org, .. } | Who::Staff { org, .. } => org,
        }
    }

    /// The caller as the audit log and webhook events record it.
    pub fn actor(&self) -> Actor {
        match &self.who {
            Who::Member { user, .. } => Actor::user(user),
            Who::Staff { user, .. } => Actor::staff(user),
            Who::Key { key, .. } => Actor::ApiKey {
                key_id: key.key_id.to_string(),
                prefix: key.display_prefix.clone(),
                label: key.label.clone(),
            },
        }
    }

    /// The calling key, for a management API caller.
    pub fn calling_key(&self) -> Option<&ApiKey> {
        match &self.who {
            Who::Key { key, .. } => Some(key),
            Who::Member { .. } | Who::Staff { .. } => None,
        }
    }

    /// Whether a sensitive step may go ahead: a member confirmed recently
    /// (sudo mode); a key is never asked (it has no password).
    pub fn reauthenticated(&self) -> bool {
        match &self.who {
            Who::Member { sudo, .. } => *sudo,
            Who::Key { .. } => true,
            Who::Staff { .. } => false,
        }
    }

    /// Whether the caller may act on the organisation's settings with
    /// `scope`: owners and admins in the console, keys holding the scope
    /// (never staff, who only read through the support console).
    pub fn may_manage(&self, scope: crate::domain::scopes::Management) -> Result<(), Denied> {
        match &self.who {
            Who::Member { role, .. } if role.can_manage_settings() => Ok(()),
            Who::Member { .. } | Who::Staff { .. } => Err(Denied::Role),
            Who::Key { key, .. } if key.scopes().grants(scope) => Ok(()),
            Who::Key { .. } => Err(Denied::Scope(scope)),
        }
    }

    /// The same caller after the password (or a code) was confirmed on this request.
    pub fn confirmed(mut self) -> Self {
        if let Who::Member { sudo, .. } = &mut self.who {
            *sudo = true;
        }
        self
    }
}

/// Why the caller may not do something at all (before anything is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The member's role does not allow it (keys and webhooks: owners and
    /// admins; members: owners), or staff asked for more than a read.
    #[error("the caller's role does not allow this")]
    Role,
    /// Creating, rotating and activating keys need a paid plan.
    #[error("this needs a paid plan")]
    Plan,
    /// The calling key lacks this management scope.
    #[error("the calling key lacks the {} scope", .0.name())]
    Scope(crate::domain::scopes::Management),
}
