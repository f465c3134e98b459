//! The resource operations of the OpenAPI document: list, create, get,
//! update and delete for customers, orders, products and categories.

use super::{
    DEFAULT_LIMIT, MAX_LIMIT, body_errors, common_headers, error, header, json_body, operation, response, schema_ref,
};
use crate::domain::records::{fields, id_schema};
use crate::domain::scopes::Resource;
use serde_json::{Map, Value, json};

pub(super) fn singular(r: Resource) -> &'static str {
    match r {
        Resource::Customers => "Customer",
        Resource::Orders => "Order",
        Resource::Products => "Product",
        Resource::Categories => "Category",
    }
}

/// `a` or `an` before a singular noun.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }
}

/// A create (POST) or update (PATCH) body: create needs its required fields,
/// a PATCH takes any subset; unknown fields are refused by both.
pub(super) fn input_schema(r: Resource, patch: bool) -> Value {
    let properties: Map<String, Value> = fields(r).iter().map(|f| (f.name.to_owned(), f.schema())).collect();
    let required: Vec<&str> =
        if patch { Vec::new() } else { fields(r).iter().filter(|f| f.required).map(|f| f.name).collect() };
    let mut schema = json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn id_param(r: Resource) -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": id_schema(r)})
}

/// Links from a created object to the operations on it (stateful testing, and readers).
fn links(name: &str) -> Value {
    let id = json!({"id": "$response.body#/id"});
    json!({
        "Get": {"operationId": format!("get_{name}"), "parameters": id},
        "Update": {"operationId": format!("update_{name}"), "parameters": id},
        "Delete": {"operationId": format!("delete_{name}"), "parameters": id},
    })
}

pub(super) fn collection(r: Resource) -> Value {
    let (name, one) = (r.as_str(), singular(r));
    let lower = one.to_lowercase();
    let mut list = Map::new();
    list.insert(
        "200".into(),
        response("A page, oldest first", Some(schema_ref(&format!("{one}List"))), common_headers(true)),
    );
    list.insert("422".into(), error("validation_failed: a query parameter is invalid or repeated", true));
    let mut list = operation(format!("list_{name}"), format!("List {name}"), Some(format!("{name}:read")), list);
    list["parameters"] = json!([
        {"name": "limit", "in": "query", "description": "Objects per page", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
        {"name": "cursor", "in": "query", "description": "`next_cursor` of the previous page (empty: the first page)", "schema": {"type": "string", "pattern": "^[0-9]{0,18}$"}},
    ]);
    let mut created = Map::new();
    let mut headers = common_headers(true);
    headers.insert("Location".into(), header("The new object's URL", json!({"type": "string"}), true));
    let mut answer = response("Created", Some(schema_ref(one)), headers);
    answer["links"] = links(name);
    if r == Resource::Categories {
        // A product may name the new category.
        answer["links"]["CreateProduct"] = json!({
            "operationId": "create_products",
            "requestBody": {"category_id": "$response.body#/id"},
        });
    }
    created.insert("201".into(), answer);
    created.insert("422".into(), error("validation_failed, with details per field", true));
    body_errors(&mut created);
    let summary = format!("Create {} {lower}", article(&lower));
    let mut create = operation(format!("create_{name}"), summary, Some(format!("{name}:write")), created);
    create["requestBody"] = json_body(schema_ref(&format!("{one}Input")));
    json!({"get": list, "post": create})
}

pub(super) fn item(r: Resource) -> Value {
    let (name, one) = (r.as_str(), singular(r));
    let lower = one.to_lowercase();
    let a = article(&lower);
    let not_found = || error("not_found", true);
    let mut got = Map::new();
    got.insert("200".into(), response("The object", Some(schema_ref(one)), common_headers(true)));
    got.insert("404".into(), not_found());
    let mut get = operation(format!("get_{name}"), format!("Get {a} {lower}"), Some(format!("{name}:read")), got);
    get["parameters"] = json!([id_param(r)]);
    let mut updated = Map::new();
    updated.insert("200".into(), response("The updated object", Some(schema_ref(one)), common_headers(true)));
    updated.insert("404".into(), not_found());
    updated.insert("422".into(), error("validation_failed, with details per field", true));
    body_errors(&mut updated);
    let summary = format!("Update {a} {lower}: only the fields given change; null clears a nullable field");
    let mut patch = operation(format!("update_{name}"), summary, Some(format!("{name}:write")), updated);
    patch["parameters"] = json!([id_param(r)]);
    patch["requestBody"] = json_body(schema_ref(&format!("{one}Patch")));
    let mut deleted = Map::new();
    deleted.insert("204".into(), response("Deleted", None, common_headers(true)));
    deleted.insert("404".into(), not_found());
    let summary = match r {
        Resource::Categories => "Delete a category; products in it keep existing with category_id null".to_owned(),
        _ => format!("Delete {a} {lower}"),
    };
    let mut delete = operation(format!("delete_{name}"), summary, Some(format!("{name}:write")), deleted);
    delete["parameters"] = json!([id_param(r)]);
    json!({"get": get, "patch": patch, "delete": delete})
}
