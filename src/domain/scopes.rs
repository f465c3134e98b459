//! Key scopes (docs/api-guide.md: Authentication): the sample API's
//! `<resource>:<read|write>`, the management scopes (`write` implies `read`),
//! and `Scopes`, everything a key may reach: its API's grants and roles and
//! its management scopes. Full access never includes a management scope.

use super::ParseError;
use super::access::{ApiDefinition, ApiSlug, Grant, Grants, KeyAccess, RoleSlug};
pub use super::resource::{Access, Resource, Scope};
use std::collections::BTreeSet;

/// A management scope (docs/api-guide.md: Management scopes): what a key may do to the
/// organisation's keys, webhooks and audit log. Never part of full access:
/// a key holds one only when it was ticked. `write` implies `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Management {
    KeysRead,
    KeysWrite,
    KeysSelfRotate,
    KeysVerify,
    WebhooksRead,
    WebhooksWrite,
    AuditRead,
    ApisRead,
    ApisWrite,
}

impl Management {
    pub const ALL: [Management; 9] = [
        Management::KeysRead,
        Management::KeysWrite,
        Management::KeysSelfRotate,
        Management::KeysVerify,
        Management::WebhooksRead,
        Management::WebhooksWrite,
        Management::AuditRead,
        Management::ApisRead,
        Management::ApisWrite,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::KeysRead => "keys:read",
            Self::KeysWrite => "keys:write",
            Self::KeysSelfRotate => "keys:self_rotate",
            Self::KeysVerify => "keys:verify",
            Self::WebhooksRead => "webhooks:read",
            Self::WebhooksWrite => "webhooks:write",
            Self::AuditRead => "audit:read",
            Self::ApisRead => "apis:read",
            Self::ApisWrite => "apis:write",
        }
    }

    /// What the scope grid's "Management" group says next to the box.
    pub fn label(self) -> &'static str {
        match self {
            Self::KeysRead => "Read API keys",
            Self::KeysWrite => "Create, edit, rotate, revoke and delete API keys",
            Self::KeysSelfRotate => "Rotate itself",
            Self::KeysVerify => "Verify keys for your services (POST /api/v1/keys/verify)",
            Self::WebhooksRead => "Read webhook endpoints",
            Self::WebhooksWrite => "Manage webhook endpoints",
            Self::AuditRead => "Read the audit log",
            Self::ApisRead => "Read API definitions",
            Self::ApisWrite => "Define, import and delete APIs",
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
            Self::ApisWrite => Some(Self::ApisRead),
            _ => None,
        }
    }
}

/// What a key may reach: the API it belongs to, the grants and roles it
/// holds there, and its management scopes. Full access to its API is the
/// grant `*`; management scopes are never part of it. The sample API's
/// permissions are the eight resource scopes, so the older `scopes` lists
/// (`Scopes::parse`) still describe a sample key. Stored in four columns
/// (`StoredScopes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes {
    api: ApiSlug,
    access: KeyAccess,
    management: BTreeSet<Management>,
}

impl Default for Scopes {
    /// A sample key with full access and no management scope.
    fn default() -> Self {
        Self::new(ApiSlug::sample(), Grants::from_iter([Grant::all()]), Vec::new(), BTreeSet::new())
    }
}

/// The stored columns: `api`, `permissions` and `roles` (comma-separated)
/// and `scopes` (the management scopes, comma-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredScopes {
    pub api: String,
    pub permissions: String,
    pub roles: String,
    pub management: String,
}

impl Scopes {
    /// A `write` management scope brings its `read`.
    pub fn new(api: ApiSlug, grants: Grants, roles: Vec<RoleSlug>, management: BTreeSet<Management>) -> Self {
        let roles: BTreeSet<RoleSlug> = roles.into_iter().collect();
        let implied: Vec<Management> = management.iter().filter_map(|m| m.implied()).collect();
        let management = management.into_iter().chain(implied).collect();
        Self { api, access: KeyAccess { grants, roles: roles.into_iter().collect() }, management }
    }

    /// The older scope lists (the console's `scopes` boxes, the API's `scopes`
    /// field), for a sample key: resource scopes become its permissions
    /// (ticking `write` also grants `read`), management scopes stay; nothing
    /// at all means full access.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, ParseError> {
        let (resources, management) = split_names(names)?;
        let mut grants = Grants::default();
        if resources.is_empty() && management.is_empty() {
            grants.insert(Grant::all());
        }
        for scope in resources {
            grants.extend(&Grants::parse(&[scope.name()])?);
        }
        Ok(Self::new(ApiSlug::sample(), grants, Vec::new(), management))
    }

    /// Reads the stored columns; names that no longer parse (impossible unless edited by hand) are dropped.
    pub fn from_stored(stored: &StoredScopes) -> Self {
        let management = stored.management.split(',').filter_map(Management::parse).collect();
        let api = ApiSlug::parse(&stored.api).unwrap_or_else(|_| ApiSlug::sample());
        let roles = stored.roles.split(',').filter_map(|r| RoleSlug::parse(r).ok()).collect();
        Self::new(api, Grants::from_stored(&stored.permissions), roles, management)
    }

    pub fn to_stored(&self) -> StoredScopes {
        StoredScopes {
            api: self.api.to_string(),
            permissions: self.access.grants.to_stored(),
            roles: self.access.roles.iter().map(RoleSlug::as_str).collect::<Vec<_>>().join(","),
            management: self.management.iter().map(|m| m.name()).collect::<Vec<_>>().join(","),
        }
    }

    pub fn api(&self) -> &ApiSlug {
        &self.api
    }

    /// The grants and roles it holds in its API.
    pub fn access(&self) -> &KeyAccess {
        &self.access
    }

    pub fn management(&self) -> impl Iterator<Item = Management> + '_ {
        self.management.iter().copied()
    }

    /// Full access to its API (the grant `*`).
    pub fn is_full_access(&self) -> bool {
        self.access.grants.is_full_access()
    }

    /// Whether the key may use the management API at all ("admin key").
    pub fn has_management(&self) -> bool {
        !self.management.is_empty()
    }

    /// Whether the key holds a management scope (only ever by ticking it).
    pub fn grants(&self, scope: Management) -> bool {
        self.management.contains(&scope)
    }

    /// The names the key JSON and ping call `scopes`: the sample API's
    /// permissions the key holds (all eight for full access), then its
    /// management scopes. A key of another API lists only the latter.
    pub fn effective_names(&self) -> Vec<String> {
        let sample = ApiDefinition::built_in();
        let resources: Vec<String> = if self.api.as_str() == sample.slug().as_str() {
            let grants = sample.effective_grants(&self.access);
            sample.permissions().iter().filter(|p| grants.grants(&p.slug)).map(|p| p.slug.to_string()).collect()
        } else {
            Vec::new()
        };
        resources.into_iter().chain(self.management.iter().map(|m| m.name().to_owned())).collect()
    }

    /// Every scope name there is: the eight resource scopes, then the management ones.
    pub fn all_names() -> Vec<&'static str> {
        Scope::all().into_iter().map(Scope::name).chain(Management::ALL.into_iter().map(Management::name)).collect()
    }

    /// Whether `other` holds nothing `self` does not: its management scopes,
    /// and everything it reaches in `api` (its API's definition: roles count
    /// as their grants), which `self` must reach in the same API. A key may
    /// only issue or change keys it covers. For a definition that can change
    /// a wildcard is covered only by a wildcard (a later permission must not
    /// widen it); the built-in sample never changes, so there its eight
    /// permissions held one by one cover `*` too.
    pub fn covers(&self, other: &Scopes, api: &ApiDefinition) -> bool {
        if !other.management.iter().all(|m| self.grants(*m)) {
            return false;
        }
        let wanted = api.effective_grants(&other.access);
        if wanted.is_empty() {
            return true;
        }
        if self.api != other.api {
            return false;
        }
        let held = api.effective_grants(&self.access);
        let by_declared = |grant: &Grant| {
            api.is_built_in()
                && api.permissions().iter().filter(|p| grant.grants(&p.slug)).all(|p| held.grants(&p.slug))
        };
        wanted.iter().all(|grant| held.covers(grant) || by_declared(grant))
    }

    /// True when `new` reaches something `self` did not.
    pub fn is_widened_by(&self, new: &Scopes, api: &ApiDefinition) -> bool {
        !self.covers(new, api)
    }
}

/// Resource scopes and management scopes from a list of names.
pub fn split_names<S: AsRef<str>>(names: &[S]) -> Result<(BTreeSet<Scope>, BTreeSet<Management>), ParseError> {
    let (mut resources, mut management) = (BTreeSet::new(), BTreeSet::new());
    for name in names {
        let name = name.as_ref().trim();
        if name.is_empty() {
            continue;
        }
        if let Some(m) = Management::parse(name) {
            management.insert(m);
            management.extend(m.implied());
            continue;
        }
        let scope = Scope::parse(name)?;
        resources.insert(scope);
        if scope.access == Access::Write {
            resources.insert(Scope { resource: scope.resource, access: Access::Read });
        }
    }
    Ok((resources, management))
}

/// Rows read the stored columns straight into `Scopes` (db/api_keys.rs).
impl From<(String, String, String, String)> for Scopes {
    fn from((api, permissions, roles, management): (String, String, String, String)) -> Self {
        Self::from_stored(&StoredScopes { api, permissions, roles, management })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(names: &[&str]) -> Scopes {
        Scopes::parse(names).expect("valid")
    }

    fn sample() -> &'static ApiDefinition {
        ApiDefinition::built_in()
    }

    fn stored(s: &Scopes) -> (String, String) {
        let st = s.to_stored();
        (st.permissions, st.management)
    }

    #[test]
    fn write_implies_read_and_none_means_full_access() {
        let s = scopes(&["orders:write"]);
        assert_eq!(stored(&s), ("orders:read,orders:write".into(), String::new()));
        assert_eq!(s.effective_names(), ["orders:read", "orders:write"]);
        let full = scopes(&[]);
        assert!(full.is_full_access());
        assert_eq!(stored(&full).0, "*");
        assert_eq!(full.effective_names().len(), 8);
        assert_eq!(Scopes::from_stored(&s.to_stored()), s);
        assert_eq!(s.api().as_str(), "sample");
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
        assert!(narrow.is_widened_by(&scopes(&["orders:write"]), sample()));
        assert!(narrow.is_widened_by(&scopes(&[]), sample()), "no boxes = full access = widening");
        assert!(!narrow.is_widened_by(&scopes(&["orders:read"]), sample()));
        assert!(!scopes(&["orders:write"]).is_widened_by(&scopes(&["orders:read"]), sample()));
        assert!(!scopes(&[]).is_widened_by(&scopes(&["orders:read"]), sample()));
    }

    #[test]
    fn management_scopes_are_never_full_access_and_only_what_was_ticked() {
        let audit = scopes(&["audit:read"]);
        assert!(!audit.is_full_access());
        assert!(audit.grants(Management::AuditRead));
        assert_eq!(audit.effective_names(), ["audit:read"], "audit:read reads nothing else");
        assert!(!scopes(&[]).grants(Management::KeysRead), "full access holds no management scope");
        let admin = scopes(&["keys:write", "orders:read"]);
        assert_eq!(stored(&admin), ("orders:read".into(), "keys:read,keys:write".into()));
        assert_eq!(Scopes::from_stored(&admin.to_stored()), admin);
        assert!(admin.has_management() && !scopes(&["orders:read"]).has_management());
    }

    #[test]
    fn a_key_covers_only_what_it_holds() {
        let all_eight: Vec<&str> = Scope::all().into_iter().map(Scope::name).collect();
        let explicit = Scopes::parse(&all_eight).expect("valid");
        assert!(explicit.covers(&scopes(&[]), sample()), "the eight resource scopes cover the sample's full access");
        assert!(scopes(&[]).covers(&explicit, sample()));
        assert!(
            !scopes(&[]).covers(&scopes(&["keys:read"]), sample()),
            "full access does not cover a management scope"
        );
        let writer = scopes(&["keys:write", "orders:read"]);
        assert!(writer.covers(&scopes(&["orders:read", "keys:read"]), sample()));
        assert!(!writer.covers(&scopes(&["orders:write"]), sample()));
        assert!(!writer.covers(&scopes(&[]), sample()), "a narrow key cannot issue full access");
        assert!(!writer.covers(&scopes(&["keys:self_rotate"]), sample()));
    }

    #[test]
    fn another_api_is_covered_only_by_a_key_of_that_api() {
        let billing = ApiDefinition::from_json(&serde_json::json!({
            "slug": "billing", "name": "Billing",
            "permissions": [{"slug": "invoices.read"}, {"slug": "invoices.write"}],
            "roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read"]}],
            "routes": [],
        }))
        .expect("valid");
        let key = |grants: &[&str], roles: &[&str], management: &[Management]| {
            let roles = roles.iter().map(|r| RoleSlug::parse(r).expect("role")).collect();
            let api = ApiSlug::parse("billing").expect("slug");
            Scopes::new(api, Grants::parse(grants).expect("grants"), roles, management.iter().copied().collect())
        };
        let viewer = key(&[], &["viewer"], &[]);
        assert!(key(&["invoices.read"], &[], &[]).covers(&viewer, &billing), "a role counts as its grants");
        assert!(!key(&["invoices.write"], &[], &[]).covers(&viewer, &billing));
        assert!(!scopes(&[]).covers(&viewer, &billing), "full access to the sample reaches nothing in billing");
        let admin_only = key(&[], &[], &[Management::KeysRead]);
        assert!(scopes(&["keys:read"]).covers(&admin_only, &billing), "a key reaching nothing in billing");
        assert!(!key(&["invoices.read", "invoices.write"], &[], &[]).covers(&key(&["*"], &[], &[]), &billing));
        let full = key(&["*"], &[], &[]);
        assert_eq!(full.effective_names(), Vec::<String>::new(), "scopes name the sample's permissions only");
        assert_eq!(Scopes::from_stored(&viewer.to_stored()), viewer);
    }
}
