//! SCIM's discovery documents: what this server supports, its one resource
//! type (User) and the User schema with exactly the attributes it stores.

use super::{base, problem, scim_json};
use crate::app::state::AppState;
use crate::domain::scim::{LIST_SCHEMA, Problem, USER_SCHEMA};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::ScimOrg;

fn list(items: Vec<Value>) -> Value {
    json!({"schemas": [LIST_SCHEMA], "totalResults": items.len(), "startIndex": 1, "itemsPerPage": items.len(), "Resources": items})
}

fn not_found() -> HttpResponse {
    problem(&Problem { status: 404, scim_type: None, detail: "No such resource.".into() })
}

pub(super) async fn service_provider_config(state: web::Data<AppState>, _org: ScimOrg) -> HttpResponse {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": 200},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
            "description": "The organisation's SCIM token, from Settings → Security → Single sign-on.",
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", base(&state))},
    });
    scim_json(StatusCode::OK, &body)
}

fn user_type(state: &AppState) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User", "name": "User", "endpoint": "/Users", "description": "A member of the organisation",
        "schema": USER_SCHEMA,
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/User", base(state))},
    })
}

pub(super) async fn resource_types(state: web::Data<AppState>, _org: ScimOrg) -> HttpResponse {
    scim_json(StatusCode::OK, &list(vec![user_type(&state)]))
}

pub(super) async fn resource_type(state: web::Data<AppState>, _org: ScimOrg, id: web::Path<String>) -> HttpResponse {
    if id.as_str() == "User" { scim_json(StatusCode::OK, &user_type(&state)) } else { not_found() }
}

fn attribute(name: &str, kind: &str, required: bool, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": required, "caseExact": false,
        "mutability": "readWrite", "returned": "default", "uniqueness": uniqueness, "description": name,
    })
}

fn user_schema(state: &AppState) -> Value {
    let mut emails = attribute("emails", "complex", false, "none");
    emails["multiValued"] = json!(true);
    emails["description"] =
        json!("E-mail addresses; the primary (or first) names the account when userName is not one");
    emails["subAttributes"] =
        json!([attribute("value", "string", true, "none"), attribute("primary", "boolean", false, "none")]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "User Account",
        "attributes": [
            attribute("userName", "string", true, "server"),
            attribute("displayName", "string", false, "none"),
            attribute("active", "boolean", false, "none"),
            emails,
        ],
        "meta": {"resourceType": "Schema", "location": format!("{}/Schemas/{USER_SCHEMA}", base(state))},
    })
}

pub(super) async fn schemas(state: web::Data<AppState>, _org: ScimOrg) -> HttpResponse {
    scim_json(StatusCode::OK, &list(vec![user_schema(&state)]))
}

pub(super) async fn schema(state: web::Data<AppState>, _org: ScimOrg, id: web::Path<String>) -> HttpResponse {
    if id.as_str() == USER_SCHEMA { scim_json(StatusCode::OK, &user_schema(&state)) } else { not_found() }
}
