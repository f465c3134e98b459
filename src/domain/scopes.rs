//! Key scopes (docs/api-guide.md: Authentication): `<resource>:<read|write>` and the
//! management scopes; `write` implies `read`; no scope ticked at all means
//! full access, which never includes a management scope.

use super::ParseError;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Customers,
    Orders,
    Products,
    Categories,
}

impl Resource {
    pub const ALL: [Resource; 4] = [Resource::Customers, Resource::Orders, Resource::Products, Resource::Categories];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Orders => "orders",
            Self::Products => "products",
            Self::Categories => "categories",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Customers => "Customers",
            Self::Orders => "Orders",
            Self::Products => "Products",
            Self::Categories => "Categories",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub resource: Resource,
    pub access: Access,
}

impl Scope {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let invalid = || ParseError::new(format!("Unknown scope {input:?}."));
        let (res, access) = input.trim().split_once(':').ok_or_else(invalid)?;
        let resource = Resource::ALL.into_iter().find(|r| r.as_str() == res).ok_or_else(invalid)?;
        let access = match access {
            "read" => Access::Read,
            "write" => Access::Write,
            _ => return Err(invalid()),
        };
        Ok(Self { resource, access })
    }

    /// `<resource>:<read|write>`.
    pub fn name(self) -> &'static str {
        use {Access::*, Resource::*};
        match (self.resource, self.access) {
            (Customers, Read) => "customers:read",
            (Customers, Write) => "customers:write",
            (Orders, Read) => "orders:read",
            (Orders, Write) => "orders:write",
            (Products, Read) => "products:read",
            (Products, Write) => "products:write",
            (Categories, Read) => "categories:read",
            (Categories, Write) => "categories:write",
        }
    }

    /// All eight scopes, in display order.
    pub fn all() -> Vec<Scope> {
        Resource::ALL
            .into_iter()
            .flat_map(|resource| [Access::Read, Access::Write].map(|access| Scope { resource, access }))
            .collect()
    }
}

/// A management scope (docs/api-guide.md: Management scopes): what a key may do to the
/// organisation's keys, webhooks and audit log. Never part of full access:
/// a key holds one only when it was ticked. `write` implies `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Management {
    KeysRead,
    KeysWrite,
    KeysSelfRotate,
    WebhooksRead,
    WebhooksWrite,
    AuditRead,
}

impl Management {
    pub const ALL: [Management; 6] = [
        Management::KeysRead,
        Management::KeysWrite,
        Management::KeysSelfRotate,
        Management::WebhooksRead,
        Management::WebhooksWrite,
        Management::AuditRead,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::KeysRead => "keys:read",
            Self::KeysWrite => "keys:write",
            Self::KeysSelfRotate => "keys:self_rotate",
            Self::WebhooksRead => "webhooks:read",
            Self::WebhooksWrite => "webhooks:write",
            Self::AuditRead => "audit:read",
        }
    }

    /// What the scope grid's "Management" group says next to the box.
    pub fn label(self) -> &'static str {
        match self {
            Self::KeysRead => "Read API keys",
            Self::KeysWrite => "Create, edit, rotate, revoke and delete API keys",
            Self::KeysSelfRotate => "Rotate itself",
            Self::WebhooksRead => "Read webhook endpoints",
            Self::WebhooksWrite => "Manage webhook endpoints",
            Self::AuditRead => "Read the audit log",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == input.trim())
    }

    /// The scope a `write` scope brings with it.
    fn implied(self) -> Option<Self> {
        match self {
            Self::KeysWrite => Some(Self::KeysRead),
            Self::WebhooksWrite => Some(Self::WebhooksRead),
            _ => None,
        }
    }
}

/// A key's scopes: resource scopes and management scopes. None at all =
/// full access (the eight resource scopes, no management one). Stored as
/// the sorted, comma-separated names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes {
    resources: BTreeSet<Scope>,
    management: BTreeSet<Management>,
}

impl Scopes {
    /// Parses the checked boxes; ticking `write` also grants `read`.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, ParseError> {
        let mut scopes = Self::default();
        for name in names {
            let name = name.as_ref().trim();
            if name.is_empty() {
                continue;
            }
            if let Some(m) = Management::parse(name) {
                scopes.management.insert(m);
                scopes.management.extend(m.implied());
                continue;
            }
            let scope = Scope::parse(name)?;
            scopes.resources.insert(scope);
            if scope.access == Access::Write {
                scopes.resources.insert(Scope { resource: scope.resource, access: Access::Read });
            }
        }
        Ok(scopes)
    }

    /// Reads the stored form; unknown names (impossible unless edited by hand) are dropped.
    pub fn from_stored(stored: &str) -> Self {
        let names: Vec<&str> =
            stored.split(',').filter(|s| Management::parse(s).is_some() || Scope::parse(s).is_ok()).collect();
        Self::parse(&names).unwrap_or_default()
    }

    pub fn to_stored(&self) -> String {
        self.names().join(",")
    }

    /// The ticked names: resource scopes, then management scopes.
    fn names(&self) -> Vec<&'static str> {
        self.resources.iter().map(|s| s.name()).chain(self.management.iter().map(|m| m.name())).collect()
    }

    pub fn is_full_access(&self) -> bool {
        self.resources.is_empty() && self.management.is_empty()
    }

    /// Whether the key may use the management API at all ("admin key").
    pub fn has_management(&self) -> bool {
        !self.management.is_empty()
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.resources.contains(&scope)
    }

    /// Whether a request needing `scope` is allowed (`write` implies `read`).
    pub fn allows(&self, scope: Scope) -> bool {
        self.is_full_access()
            || self.resources.contains(&scope)
            || (scope.access == Access::Read
                && self.resources.contains(&Scope { resource: scope.resource, access: Access::Write }))
    }

    /// Whether the key holds a management scope (only ever by ticking it).
    pub fn grants(&self, scope: Management) -> bool {
        self.management.contains(&scope)
    }

    /// The effective scope names: all eight resource scopes for full access.
    pub fn effective_names(&self) -> Vec<&'static str> {
        if self.is_full_access() { Scope::all().into_iter().map(Scope::name).collect() } else { self.names() }
    }

    /// Every scope name there is: the eight resource scopes, then the management ones.
    pub fn all_names() -> Vec<&'static str> {
        Scope::all().into_iter().map(Scope::name).chain(Management::ALL.into_iter().map(Management::name)).collect()
    }

    /// Whether every scope `other` has is one `self` has too (full access
    /// counting as the eight resource scopes): a key may only issue or
    /// change keys it covers.
    pub fn covers(&self, other: &Scopes) -> bool {
        let resources = if other.is_full_access() {
            Scope::all().into_iter().all(|s| self.allows(s))
        } else {
            other.resources.iter().all(|s| self.allows(*s))
        };
        resources && other.management.iter().all(|m| self.grants(*m))
    }

    /// True when `new` grants something `self` did not.
    pub fn is_widened_by(&self, new: &Scopes) -> bool {
        !self.covers(new)
    }
}

/// Rows read the stored column straight into `Scopes` (db/api_keys.rs).
impl From<String> for Scopes {
    fn from(stored: String) -> Self {
        Self::from_stored(&stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(names: &[&str]) -> Scopes {
        Scopes::parse(names).expect("valid")
    }

    #[test]
    fn write_implies_read_and_none_means_full_access() {
        let s = scopes(&["orders:write"]);
        assert_eq!(s.to_stored(), "orders:read,orders:write");
        assert!(s.allows(Scope::parse("orders:read").expect("scope")));
        assert!(!s.allows(Scope::parse("customers:read").expect("scope")));
        let full = scopes(&[]);
        assert!(full.is_full_access());
        assert_eq!(full.effective_names().len(), 8);
        assert!(full.allows(Scope::parse("categories:write").expect("scope")));
        assert_eq!(Scopes::from_stored(&s.to_stored()), s);
        assert!(Scopes::from_stored("").is_full_access());
    }

    #[test]
    fn unknown_scopes_are_refused() {
        for bad in ["orders", "orders:delete", "users:read", "orders:read:x"] {
            assert!(Scopes::parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn widening_is_detected_including_unchecking_everything() {
        let narrow = scopes(&["orders:read"]);
        assert!(narrow.is_widened_by(&scopes(&["orders:write"])));
        assert!(narrow.is_widened_by(&scopes(&[])), "no boxes = full access = widening");
        assert!(!narrow.is_widened_by(&scopes(&["orders:read"])));
        assert!(!scopes(&["orders:write"]).is_widened_by(&scopes(&["orders:read"])));
        assert!(!scopes(&[]).is_widened_by(&scopes(&["orders:read"])));
    }

    #[test]
    fn management_scopes_are_never_full_access_and_only_what_was_ticked() {
        let audit = scopes(&["audit:read"]);
        assert!(!audit.is_full_access());
        assert!(audit.grants(Management::AuditRead));
        assert!(!audit.allows(Scope::parse("orders:read").expect("scope")), "audit:read reads nothing else");
        assert_eq!(audit.effective_names(), ["audit:read"]);
        assert!(!scopes(&[]).grants(Management::KeysRead), "full access holds no management scope");
        let admin = scopes(&["keys:write", "orders:read"]);
        assert_eq!(admin.to_stored(), "orders:read,keys:read,keys:write");
        assert_eq!(Scopes::from_stored(&admin.to_stored()), admin);
        assert!(admin.has_management() && !scopes(&["orders:read"]).has_management());
    }

    #[test]
    fn a_key_covers_only_what_it_holds() {
        let all_eight: Vec<&str> = Scope::all().into_iter().map(Scope::name).collect();
        let explicit = Scopes::parse(&all_eight).expect("valid");
        assert!(explicit.covers(&scopes(&[])), "the eight resource scopes cover full access");
        assert!(scopes(&[]).covers(&explicit));
        assert!(!scopes(&[]).covers(&scopes(&["keys:read"])), "full access does not cover a management scope");
        let writer = scopes(&["keys:write", "orders:read"]);
        assert!(writer.covers(&scopes(&["orders:read", "keys:read"])));
        assert!(!writer.covers(&scopes(&["orders:write"])));
        assert!(!writer.covers(&scopes(&[])), "a narrow key cannot issue full access");
        assert!(!writer.covers(&scopes(&["keys:self_rotate"])));
    }
}
