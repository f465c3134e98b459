//! Tests of the management API's document of an API.

use super::*;
use crate::access::api::MAX_HOSTS;
use serde_json::json;

fn fields(value: Value) -> Vec<String> {
    match ApiDefinition::from_json(&value) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.field).collect(),
    }
}

fn document() -> Value {
    json!({
        "slug": "billing",
        "name": "Billing",
        "hosts": ["billing.example.com"],
        "unmatched": "allow",
        "permissions": [{"slug": "invoices.read", "description": "Read invoices"}, {"slug": "invoices.write"}],
        "roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read"]},
                  {"slug": "admin", "name": "Admin", "permissions": ["invoices.*", "*"]}],
        "routes": [{"method": "get", "path": "/v1/invoices/**/", "requires": "(invoices.read)"},
                   {"method": "POST", "path": "/v1/invoices", "requires": "invoices.write and(invoices.read)"}],
    })
}

#[test]
fn a_document_round_trips_in_canonical_form() {
    let api: ApiDefinition = serde_json::from_value(document()).expect("valid");
    let back = serde_json::to_value(&api).expect("serialises");
    let mut expected = document();
    expected["permissions"][1]["description"] = json!("");
    expected["roles"][1]["permissions"] = json!(["*", "invoices.*"]);
    expected["routes"] = json!([{"method": "GET", "path": "/v1/invoices/**", "requires": "invoices.read"},
                                {"method": "POST", "path": "/v1/invoices", "requires": "invoices.write and invoices.read"}]);
    assert_eq!(back, expected);
    assert_eq!(serde_json::from_value::<ApiDefinition>(back).expect("reads back"), api);
}

#[test]
fn only_slug_and_name_are_required() {
    let api = ApiDefinition::from_json(&json!({"slug": "x", "name": "X", "hosts": null})).expect("valid");
    assert_eq!(api.unmatched(), Unmatched::Deny);
    assert!(api.hosts().is_empty() && api.permissions().is_empty() && api.routes().routes().is_empty());
    assert_eq!(fields(json!({})), ["slug", "name"]);
    assert_eq!(fields(json!([])), [""]);
    let err = serde_json::from_value::<ApiDefinition>(json!("x")).expect_err("refused");
    assert!(err.to_string().contains("An API is a JSON object."), "{err}");
}

#[test]
fn every_bad_field_is_named() {
    let mut bad = document();
    bad["slug"] = json!("Billing");
    bad["hosts"] = json!(["ok.example.com", 5, "bad host"]);
    bad["unmatched"] = json!("maybe");
    bad["extra"] = json!(true);
    bad["permissions"][1] = json!({"slug": "invoices.write", "description": "x\ny", "scope": 1});
    bad["roles"][0]["permissions"] = json!(["invoices.read", "inv*"]);
    bad["routes"][1]["requires"] = json!("invoices.write and");
    bad["routes"].as_array_mut().expect("list").push(json!({"method": "GET", "path": "v1"}));
    assert_eq!(
        fields(bad),
        [
            "extra",
            "slug",
            "unmatched",
            "hosts[1]",
            "hosts[2]",
            "permissions[1].scope",
            "permissions[1].description",
            "roles[0].permissions[1]",
            "routes[1].requires",
            "routes[2].path",
            "routes[2].requires",
        ]
    );
    let err = serde_json::from_value::<ApiDefinition>(
        json!({"slug": "x", "name": "X", "routes": [{"method": "GET", "path": "/", "requires": "a and"}]}),
    )
    .expect_err("refused");
    assert!(err.to_string().starts_with("routes[0].requires: Expected a permission but found the end."), "{err}");
}

#[test]
fn the_parts_must_agree() {
    let mut bad = document();
    bad["hosts"] = json!(["a.example.com", "A.example.com"]);
    bad["permissions"].as_array_mut().expect("list").push(json!({"slug": "invoices.read"}));
    bad["roles"][0]["permissions"] = json!(["invoices.read", "invoices.delete", "refunds.*"]);
    bad["roles"][1]["slug"] = json!("viewer");
    bad["routes"]
        .as_array_mut()
        .expect("list")
        .push(json!({"method": "GET", "path": "/x", "requires": "a or invoices.read"}));
    bad["routes"]
        .as_array_mut()
        .expect("list")
        .push(json!({"method": "GET", "path": "/v1/invoices/**", "requires": "invoices.write"}));
    let errors = ApiDefinition::from_json(&bad).expect_err("refused");
    let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
    assert_eq!(
        got,
        [
            ("hosts[1]", "is listed twice"),
            ("permissions[2].slug", "is declared twice"),
            ("roles[1].slug", "is declared twice"),
            ("roles[0].permissions", "invoices.delete is not a permission of this API; declare it under permissions"),
            ("routes[2].requires", "a is not a permission of this API; declare it under permissions"),
            (
                "routes[3]",
                "GET /v1/invoices/** repeats routes[0] (GET /v1/invoices/**): a request would match both alike."
            ),
        ]
    );
    assert!(describe(&errors).contains("\nroles[1].slug: is declared twice\n"));
    let many: Vec<Value> = (0..=MAX_HOSTS).map(|i| json!(format!("h{i}.example.com"))).collect();
    assert_eq!(fields(json!({"slug": "x", "name": "X", "hosts": many})), ["hosts"]);
}
