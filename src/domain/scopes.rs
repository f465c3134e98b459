//! Key scopes (README: Security model): `<resource>:<read|write>`; `write` implies `read`;
//! no explicit scope means full access.

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

/// A key's scopes. Empty = full access. Stored as the sorted, comma-separated names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// Parses the checked boxes; ticking `write` also grants `read`.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, ParseError> {
        let mut set = BTreeSet::new();
        for name in names {
            if name.as_ref().trim().is_empty() {
                continue;
            }
            let scope = Scope::parse(name.as_ref())?;
            set.insert(scope);
            if scope.access == Access::Write {
                set.insert(Scope { resource: scope.resource, access: Access::Read });
            }
        }
        Ok(Self(set))
    }

    /// Reads the stored form; unknown names (impossible unless edited by hand) are dropped.
    pub fn from_stored(stored: &str) -> Self {
        Self(stored.split(',').filter_map(|s| Scope::parse(s).ok()).collect())
    }

    pub fn to_stored(&self) -> String {
        self.0.iter().map(|s| s.name()).collect::<Vec<_>>().join(",")
    }

    pub fn is_full_access(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Whether a request needing `scope` is allowed (`write` implies `read`).
    pub fn allows(&self, scope: Scope) -> bool {
        self.is_full_access()
            || self.0.contains(&scope)
            || (scope.access == Access::Read
                && self.0.contains(&Scope { resource: scope.resource, access: Access::Write }))
    }

    /// The effective scope names: all eight for full access.
    pub fn effective_names(&self) -> Vec<&'static str> {
        if self.is_full_access() {
            Scope::all().into_iter().map(Scope::name).collect()
        } else {
            self.0.iter().map(|s| s.name()).collect()
        }
    }

    /// True when `new` grants something `self` did not. Full access is the widest.
    pub fn is_widened_by(&self, new: &Scopes) -> bool {
        if self.is_full_access() {
            return false;
        }
        new.is_full_access() || new.0.iter().any(|s| !self.allows(*s))
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
}
