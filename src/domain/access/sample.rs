//! The built-in sample API: Latchkey's own resources
//! (`/api/v1/{customers,orders,products,categories}`) with the same names
//! as the key scopes (`customers:read`, `customers:write`, …). GET needs
//! `<resource>:read or <resource>:write`; POST, PUT, PATCH and DELETE need
//! `<resource>:write`, on the collection and on one item. A grant is only
//! what it names, so the routes themselves keep the scopes' rule that
//! `write` also reads: a key given only `customers:write` (through the API's
//! `permissions`, which do not add `read` as ticking a scope does) reads
//! customers as every such key always has. A key with neither is told it
//! misses `<resource>:read`, as `insufficient_scope` names today.

use super::api::ApiDefinition;
use crate::resource::Resource;
use serde_json::{Value, json};

const WRITE_METHODS: [&str; 4] = ["POST", "PUT", "PATCH", "DELETE"];

/// The sample as the management API's document.
pub fn sample_document() -> Value {
    let mut permissions = Vec::new();
    let mut routes = Vec::new();
    for resource in Resource::ALL {
        let (name, label) = (resource.as_str(), resource.label().to_lowercase());
        permissions.push(json!({"slug": format!("{name}:read"), "description": format!("Read {label}")}));
        permissions.push(
            json!({"slug": format!("{name}:write"), "description": format!("Create, change and delete {label}")}),
        );
        for path in [format!("/api/v1/{name}"), format!("/api/v1/{name}/{{id}}")] {
            routes.push(json!({"method": "GET", "path": path, "requires": format!("{name}:read or {name}:write")}));
            for method in WRITE_METHODS {
                routes.push(json!({"method": method, "path": path, "requires": format!("{name}:write")}));
            }
        }
    }
    json!({
        "slug": "sample",
        "name": "Sample API",
        "hosts": [],
        "unmatched": "deny",
        "permissions": permissions,
        "roles": [
            {"slug": "viewer", "name": "Viewer", "permissions": Resource::ALL.map(|r| format!("{}:read", r.as_str()))},
            {"slug": "editor", "name": "Editor", "permissions": Resource::ALL.map(|r| format!("{}:*", r.as_str()))},
        ],
        "routes": routes,
    })
}

impl ApiDefinition {
    /// The built-in sample API (see the module doc). Its document is a
    /// constant a unit test parses; were it ever refused, the sample
    /// would deny every request rather than stop the program.
    pub fn sample() -> Self {
        Self::from_json(&sample_document()).unwrap_or_else(|_| Self::deny_all(SAMPLE_SLUG, "Sample API"))
    }

    /// The sample, built once: every request to Latchkey's resources is decided by it.
    pub fn built_in() -> &'static Self {
        static SAMPLE: std::sync::LazyLock<ApiDefinition> = std::sync::LazyLock::new(ApiDefinition::sample);
        &SAMPLE
    }

    /// Whether this is the built-in sample (its slug is reserved: no org defines one).
    pub fn is_built_in(&self) -> bool {
        self.slug().as_str() == SAMPLE_SLUG
    }
}

/// The sample API's slug, reserved.
pub const SAMPLE_SLUG: &str = "sample";
