//! What changed between two definitions of an API, in words a reader of
//! the audit log (and a receiver of `api.updated`) can act on: what was
//! added and removed, by slug (routes as `METHOD path`), and which roles
//! now grant something else. Only the parts that changed appear.

use super::api::ApiDefinition;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Items of `before` and `after`, keyed, as `{"added": [...], "removed": [...], "changed": [...]}`.
fn compare<V: PartialEq>(before: BTreeMap<String, V>, after: &BTreeMap<String, V>) -> Option<Value> {
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    let removed: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    let changed: Vec<&String> =
        before.iter().filter(|(k, v)| after.get(*k).is_some_and(|now| now != *v)).map(|(k, _)| k).collect();
    if added.is_empty() && removed.is_empty() && changed.is_empty() {
        return None;
    }
    let mut out = Map::new();
    for (name, list) in [("added", added), ("removed", removed), ("changed", changed)] {
        if !list.is_empty() {
            out.insert(name.to_owned(), json!(list));
        }
    }
    Some(Value::Object(out))
}

fn permissions(api: &ApiDefinition) -> BTreeMap<String, String> {
    api.permissions().iter().map(|p| (p.slug.to_string(), p.description.clone())).collect()
}

fn roles(api: &ApiDefinition) -> BTreeMap<String, Value> {
    api.roles().iter().map(|r| (r.slug.to_string(), json!([r.name, r.permissions]))).collect()
}

fn routes(api: &ApiDefinition) -> BTreeMap<String, String> {
    let routes = api.routes().routes();
    routes.iter().map(|r| (format!("{} {}", r.method, r.path), r.requires.to_string())).collect()
}

fn hosts(api: &ApiDefinition) -> BTreeMap<String, ()> {
    api.hosts().iter().map(|h| (h.to_string(), ())).collect()
}

/// The summary of the change from `before` to `after` (`{}` when nothing changed).
pub fn summary(before: &ApiDefinition, after: &ApiDefinition) -> Value {
    let mut out = Map::new();
    if before.name() != after.name() {
        out.insert("name".into(), json!({"before": before.name(), "after": after.name()}));
    }
    if before.unmatched() != after.unmatched() {
        out.insert("unmatched".into(), json!({"before": before.unmatched(), "after": after.unmatched()}));
    }
    let parts = [
        ("hosts", compare(hosts(before), &hosts(after))),
        ("permissions", compare(permissions(before), &permissions(after))),
        ("roles", compare(roles(before), &roles(after))),
        ("routes", compare(routes(before), &routes(after))),
    ];
    for (name, part) in parts {
        if let Some(part) = part {
            out.insert(name.into(), part);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(value: Value) -> ApiDefinition {
        ApiDefinition::from_json(&value).expect("valid")
    }

    #[test]
    fn the_summary_names_what_was_added_removed_and_changed() {
        let before = api(json!({"slug": "billing", "name": "Billing",
            "permissions": [{"slug": "invoices.read"}, {"slug": "invoices.write"}],
            "roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read"]}],
            "routes": [{"method": "GET", "path": "/v1/invoices", "requires": "invoices.read"}]}));
        let after = api(json!({"slug": "billing", "name": "Billing", "hosts": ["api.example.com"],
            "permissions": [{"slug": "invoices.read"}, {"slug": "invoices.write"}, {"slug": "refunds.write"}],
            "roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read", "invoices.write"]}],
            "routes": [{"method": "POST", "path": "/v1/invoices", "requires": "invoices.write"}]}));
        assert_eq!(
            summary(&before, &after),
            json!({
                "hosts": {"added": ["api.example.com"]},
                "permissions": {"added": ["refunds.write"]},
                "roles": {"changed": ["viewer"]},
                "routes": {"added": ["POST /v1/invoices"], "removed": ["GET /v1/invoices"]},
            })
        );
        assert_eq!(summary(&after, &after), json!({}));
    }
}
