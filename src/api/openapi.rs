//! The OpenAPI 3 document of `/api/v1`, built with utoipa from the same
//! resource list and field specs the API validates with, so the two cannot drift.

use crate::domain::records::field_docs;
use crate::domain::scopes::Resource;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem, PathItemBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, Required,
    ResponseBuilder, ServerBuilder,
};

/// Every operation: (path, method). The router test compares this with what the server answers.
pub fn operations() -> Vec<(String, HttpMethod)> {
    let mut ops = vec![("/api/v1/ping".to_owned(), HttpMethod::Get)];
    for r in Resource::ALL {
        ops.push((format!("/api/v1/{}", r.as_str()), HttpMethod::Get));
        ops.push((format!("/api/v1/{}", r.as_str()), HttpMethod::Post));
        for m in [HttpMethod::Get, HttpMethod::Patch, HttpMethod::Delete] {
            ops.push((format!("/api/v1/{}/{{id}}", r.as_str()), m));
        }
    }
    ops
}

fn singular(r: Resource) -> &'static str {
    match r {
        Resource::Customers => "Customer",
        Resource::Orders => "Order",
        Resource::Products => "Product",
        Resource::Categories => "Category",
    }
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn object_schema(r: Resource, input: bool) -> ObjectBuilder {
    let mut schema = ObjectBuilder::new().schema_type(Type::Object);
    if !input {
        schema = schema.property("id", string().description(Some("prefixed id"))).required("id");
    }
    for f in field_docs(r) {
        let ty = if f.json_type == "integer" { Type::Integer } else { Type::String };
        schema = schema.property(f.name, ObjectBuilder::new().schema_type(ty).description(Some(f.description)));
        if f.required || !input {
            schema = schema.required(f.name);
        }
    }
    if !input {
        schema = schema.property("created_at", string().description(Some("RFC 3339"))).required("created_at");
    }
    schema.additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

fn json_response(description: &str, schema: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build())
        .build()
}

fn errors(op: OperationBuilder, codes: &[(&str, &str)]) -> OperationBuilder {
    codes.iter().fold(op, |op, (status, text)| op.response(*status, json_response(text, "Error")))
}

const AUTH_ERRORS: [(&str, &str); 4] = [
    ("401", "missing_key, malformed_key, invalid_key, revoked_key, disabled_key or expired_key"),
    ("403", "plan_required, ip_not_allowed or insufficient_scope"),
    ("429", "rate_limited (see Retry-After)"),
    ("503", "unavailable"),
];
const BODY_ERRORS: [(&str, &str); 4] = [
    ("400", "malformed_json"),
    ("413", "payload_too_large (over 64 KiB)"),
    ("415", "unsupported_media_type"),
    ("422", "validation_failed, with details per field"),
];

fn operation(id: String, summary: String, scope: Option<String>) -> OperationBuilder {
    let description = scope.map(|s| format!("Needs the `{s}` scope (or a full-access key)."));
    OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(summary))
        .description(description)
        .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
}

fn id_param() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(string()))
        .build()
}

fn body(schema: String) -> Option<utoipa::openapi::request_body::RequestBody> {
    Some(
        RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build())
            .build(),
    )
}

/// The document served at `/api/v1/openapi.json`; `server` is the public URL.
pub fn document(server: &str) -> OpenApi {
    let mut paths = PathsBuilder::new().path(
        "/api/v1/ping",
        PathItem::new(
            HttpMethod::Get,
            errors(operation("ping".into(), "Check a key: its organisation, id and scopes".into(), None), &AUTH_ERRORS)
                .response("200", json_response("The key works", "Ping")),
        ),
    );
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("lk_live_…").build()),
        )
        .schema(
            "Error",
            ObjectBuilder::new().schema_type(Type::Object).property(
                "error",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property("code", string())
                    .property("message", string())
                    .property("request_id", string())
                    .property(
                        "details",
                        ArrayBuilder::new().items(
                            ObjectBuilder::new()
                                .schema_type(Type::Object)
                                .property("field", string())
                                .property("message", string()),
                        ),
                    )
                    .required("code")
                    .required("message")
                    .required("request_id"),
            ),
        )
        .schema(
            "Ping",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("ok", ObjectBuilder::new().schema_type(Type::Boolean))
                .property("org", string())
                .property("key_id", string())
                .property("scopes", ArrayBuilder::new().items(string()))
                .property("full_access", ObjectBuilder::new().schema_type(Type::Boolean)),
        );
    for r in Resource::ALL {
        let (name, one) = (r.as_str(), singular(r));
        components = components
            .schema(one, object_schema(r, false))
            .schema(format!("{one}Input"), object_schema(r, true))
            .schema(
                format!("{one}List"),
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property("data", ArrayBuilder::new().items(Ref::from_schema_name(one)))
                    .property(
                        "next_cursor",
                        ObjectBuilder::new().schema_type(SchemaType::Array(vec![Type::String, Type::Null])),
                    ),
            );
        let (read, write) = (Some(format!("{name}:read")), Some(format!("{name}:write")));
        let list = errors(operation(format!("list_{name}"), format!("List {name}"), read.clone()), &AUTH_ERRORS)
            .parameter(
                ParameterBuilder::new()
                    .name("limit")
                    .parameter_in(ParameterIn::Query)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer))),
            )
            .parameter(ParameterBuilder::new().name("cursor").parameter_in(ParameterIn::Query).schema(Some(string())))
            .response("200", json_response("A page, oldest first", &format!("{one}List")))
            .response("422", json_response("validation_failed (limit or cursor)", "Error"));
        let create = errors(
            errors(
                operation(format!("create_{name}"), format!("Create a {}", one.to_lowercase()), write.clone()),
                &AUTH_ERRORS,
            ),
            &BODY_ERRORS,
        )
        .request_body(body(format!("{one}Input")))
        .response("201", json_response("Created; Location names it", one));
        paths = paths.path(
            format!("/api/v1/{name}"),
            PathItemBuilder::new().operation(HttpMethod::Get, list).operation(HttpMethod::Post, create).build(),
        );
        let get = errors(operation(format!("get_{name}"), format!("Get a {}", one.to_lowercase()), read), &AUTH_ERRORS)
            .parameter(id_param())
            .response("200", json_response("The object", one))
            .response("404", json_response("not_found", "Error"));
        let patch = errors(
            errors(
                operation(
                    format!("update_{name}"),
                    format!("Update a {} (partial)", one.to_lowercase()),
                    write.clone(),
                ),
                &AUTH_ERRORS,
            ),
            &BODY_ERRORS,
        )
        .parameter(id_param())
        .request_body(body(format!("{one}Input")))
        .response("200", json_response("The updated object", one))
        .response("404", json_response("not_found", "Error"));
        let delete = errors(
            operation(format!("delete_{name}"), format!("Delete a {}", one.to_lowercase()), write),
            &AUTH_ERRORS,
        )
        .parameter(id_param())
        .response("204", ResponseBuilder::new().description("Deleted").build())
        .response("404", json_response("not_found", "Error"));
        paths = paths.path(
            format!("/api/v1/{name}/{{id}}"),
            PathItemBuilder::new()
                .operation(HttpMethod::Get, get)
                .operation(HttpMethod::Patch, patch)
                .operation(HttpMethod::Delete, delete)
                .build(),
        );
    }
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Latchkey API").version(env!("CARGO_PKG_VERSION")).description(Some(
            "Customers, orders, products and categories of one organisation, for API keys with the right scopes.",
        )))
        .servers(Some([ServerBuilder::new().url(server).build()]))
        .paths(paths.build())
        .components(Some(components.build()))
        .build()
}
