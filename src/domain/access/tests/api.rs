//! Tests of the API values and of the decision, on the `billing` example and the sample API.

use super::*;
use serde_json::json;

fn billing(unmatched: &str) -> ApiDefinition {
    ApiDefinition::from_json(&json!({
        "slug": "billing",
        "name": "Billing",
        "hosts": ["billing.example.com"],
        "unmatched": unmatched,
        "permissions": [
            {"slug": "invoices.read", "description": "Read invoices"},
            {"slug": "invoices.write", "description": "Create invoices"},
        ],
        "roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read"]}],
        "routes": [
            {"method": "GET", "path": "/v1/invoices/**", "requires": "invoices.read"},
            {"method": "POST", "path": "/v1/invoices", "requires": "invoices.write"},
        ],
    }))
    .expect("the billing API is valid")
}

fn key(grants: &[&str], roles: &[&str]) -> KeyAccess {
    KeyAccess {
        grants: Grants::parse(grants).expect("grants"),
        roles: roles.iter().map(|r| RoleSlug::parse(r).expect("role")).collect(),
    }
}

fn request(api: &ApiDefinition, key: &KeyAccess, method: &str, target: &str) -> Decision {
    api.decide(key, Check::Request { method, target })
}

fn slugs(items: &[&str]) -> Vec<PermissionSlug> {
    items.iter().map(|s| PermissionSlug::parse(s).expect("slug")).collect()
}

#[test]
fn billing_viewers_read_invoices_but_cannot_create_them() {
    let api = billing("deny");
    let viewer = key(&[], &["viewer"]);
    assert_eq!(
        request(&api, &viewer, "GET", "/v1/invoices/42"),
        Decision::Allowed { permissions: slugs(&["invoices.read"]) }
    );
    assert_eq!(request(&api, &viewer, "GET", "/v1/invoices"), request(&api, &viewer, "GET", "/v1/invoices/42"));
    assert_eq!(
        request(&api, &viewer, "POST", "/v1/invoices"),
        Decision::InsufficientPermissions { missing: slugs(&["invoices.write"]) }
    );
    assert_eq!(request(&api, &viewer, "GET", "/v1/customers"), Decision::NoRoute);
    assert_eq!(request(&api, &viewer, "DELETE", "/v1/invoices"), Decision::NoRoute, "no route for DELETE");
    let json = serde_json::to_value(request(&api, &viewer, "POST", "/v1/invoices")).expect("serialises");
    assert_eq!(json, json!({"outcome": "insufficient_permissions", "missing": ["invoices.write"]}));
    assert_eq!(serde_json::to_value(Decision::NoRoute).expect("serialises"), json!({"outcome": "no_route"}));
}

#[test]
fn an_api_that_allows_unmatched_requests_lets_any_key_through() {
    let api = billing("allow");
    let nobody = key(&[], &[]);
    assert_eq!(request(&api, &nobody, "GET", "/v1/customers"), Decision::Allowed { permissions: vec![] });
    assert!(matches!(request(&api, &nobody, "GET", "/v1/invoices/1"), Decision::InsufficientPermissions { .. }));
    assert_eq!(request(&api, &nobody, "GET", "v1/customers"), Decision::NoRoute, "a path that cannot be read");
    // Spelling the path differently does not dodge its route.
    for target in ["/v1/%69nvoices/1", "/v1//invoices/1", "/v1/public/../invoices/1", "/v1/invoices/?x=1"] {
        assert!(matches!(request(&api, &nobody, "GET", target), Decision::InsufficientPermissions { .. }), "{target}");
    }
}

#[test]
fn effective_grants_join_the_keys_own_and_its_roles_ignoring_unknown_roles() {
    let api = billing("deny");
    let writer = key(&["invoices.write"], &["viewer", "deleted-role"]);
    assert_eq!(api.effective_grants(&writer), Grants::parse(&["invoices.read", "invoices.write"]).expect("grants"));
    assert_eq!(
        request(&api, &writer, "POST", "/v1/invoices"),
        Decision::Allowed { permissions: slugs(&["invoices.read", "invoices.write"]) }
    );
    let gone = key(&[], &["deleted-role"]);
    assert!(matches!(request(&api, &gone, "GET", "/v1/invoices"), Decision::InsufficientPermissions { .. }));
    let full = key(&["*"], &[]);
    assert!(matches!(request(&api, &full, "POST", "/v1/invoices"), Decision::Allowed { .. }));
}

#[test]
fn an_expression_is_decided_without_routing() {
    let api = billing("deny");
    let e = Expression::parse("invoices.read and (invoices.write or refunds.write)").expect("expression");
    let viewer = key(&[], &["viewer"]);
    assert_eq!(
        api.decide(&viewer, Check::Expression(&e)),
        Decision::InsufficientPermissions { missing: slugs(&["invoices.write"]) }
    );
    let both = key(&["invoices.*"], &[]);
    assert_eq!(
        api.decide(&both, Check::Expression(&e)),
        Decision::Allowed { permissions: slugs(&["invoices.read", "invoices.write"]) }
    );
}

#[test]
fn the_sample_api_maps_latchkeys_own_resources() {
    let api = ApiDefinition::sample();
    assert_eq!(api.slug().as_str(), "sample");
    assert_eq!(api.permissions().len(), 8);
    assert_eq!(api.routes().routes().len(), 40);
    assert_eq!(ApiDefinition::from_json(&super::super::sample::sample_document()), Ok(api.clone()));
    let reader = key(&["customers:read", "orders:write"], &[]);
    for (method, target, outcome) in [
        ("GET", "/api/v1/customers", "allowed"),
        ("GET", "/api/v1/customers/cus_1?expand=orders", "allowed"),
        ("POST", "/api/v1/customers", "customers:write"),
        ("PATCH", "/api/v1/orders/ord_1", "allowed"),
        ("DELETE", "/api/v1/orders/ord_1", "allowed"),
        ("GET", "/api/v1/orders/ord_1", "allowed"), // write also reads, as with scopes
        ("PUT", "/api/v1/products/p", "products:write"),
        ("GET", "/api/v1/categories", "categories:read"),
        ("GET", "/api/v1/keys", "no_route"),
        ("HEAD", "/api/v1/customers", "no_route"),
        ("GET", "/api/v1/customers/1/orders", "no_route"),
    ] {
        let got = match request(&api, &reader, method, target) {
            Decision::Allowed { .. } => "allowed".to_owned(),
            Decision::InsufficientPermissions { missing } => missing.iter().map(|m| m.as_str()).collect(),
            Decision::NoRoute => "no_route".to_owned(),
        };
        assert_eq!(got, outcome, "{method} {target}");
    }
    let neither = key(&["products:read"], &[]);
    assert_eq!(
        request(&api, &neither, "GET", "/api/v1/orders"),
        Decision::InsufficientPermissions { missing: slugs(&["orders:read"]) },
        "a key with neither is told it misses the read permission"
    );
    let viewer = key(&[], &["viewer"]);
    assert!(matches!(request(&api, &viewer, "GET", "/api/v1/products/p"), Decision::Allowed { .. }));
    let editor = key(&[], &["editor"]);
    let Decision::Allowed { permissions } = request(&api, &editor, "DELETE", "/api/v1/categories/c") else {
        panic!("an editor may delete")
    };
    assert_eq!(permissions.len(), 8);
}

#[test]
fn slugs_hosts_and_names_are_checked() {
    assert!(ApiSlug::parse(" billing-v2 ").is_ok() && ApiSlug::parse(&"a".repeat(40)).is_ok());
    for bad in ["", "Billing", "bill_ing", "bill ing", &"a".repeat(41)] {
        assert!(ApiSlug::parse(bad).is_err(), "{bad:?} was accepted");
    }
    assert!(RoleSlug::parse("billing_admin-2").is_ok() && RoleSlug::parse(&"r".repeat(64)).is_ok());
    for bad in ["", "Viewer", "a.b", "a:b", &"r".repeat(65)] {
        assert!(RoleSlug::parse(bad).is_err(), "{bad:?} was accepted");
    }
    assert_eq!(Host::parse(" API.Example.com ").map(String::from), Ok("api.example.com".to_owned()));
    assert!(Host::parse("localhost").is_ok() && Host::parse("10.0.0.1").is_ok());
    let long = format!("{}.com", vec!["a".repeat(63); 4].join("."));
    assert!(Host::parse(&long).is_err(), "over 253 characters");
    for bad in [
        "",
        "api.example.com:8443",
        "https://api.example.com",
        "api..example.com",
        "-api.example.com",
        "ex ample.com",
        "exämple.com",
        "example.com.",
    ] {
        assert!(Host::parse(bad).is_err(), "{bad:?} was accepted");
    }
    assert!(Host::parse("a:1").expect_err("port").0.contains("no scheme, port or path"));
    assert!(Host::parse(&"a".repeat(64)).is_err(), "a label is at most 63 characters");
    assert_eq!(Unmatched::parse("allow"), Ok(Unmatched::Allow));
    assert!(Unmatched::parse("maybe").is_err());
    assert_eq!(Unmatched::default(), Unmatched::Deny);
    assert!(parse_name("  Billing ").is_ok() && parse_name(" ").is_err() && parse_name("a\nb").is_err());
    assert!(parse_name(&"n".repeat(101)).is_err());
}

#[test]
fn typed_parts_are_held_to_the_same_rules_as_the_document() {
    let api = billing("deny");
    let parts = |name: &str, description: &str| ApiParts {
        slug: api.slug().clone(),
        name: name.to_owned(),
        hosts: Vec::new(),
        unmatched: Unmatched::Deny,
        permissions: vec![Permission {
            slug: PermissionSlug::parse("invoices.read").expect("slug"),
            description: description.to_owned(),
        }],
        roles: Vec::new(),
        routes: api.routes().routes()[..1].to_vec(),
    };
    assert!(ApiDefinition::new(parts("Billing", "Read")).is_ok());
    let fields = |p| ApiDefinition::new(p).expect_err("refused").into_iter().map(|e| e.field).collect::<Vec<_>>();
    assert_eq!(fields(parts(" Billing", "two\nlines")), ["name", "permissions[0].description"]);
    assert_eq!(fields(parts("", "")), ["name"]);
}
