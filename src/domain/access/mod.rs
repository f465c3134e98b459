//! APIs, permissions, routes and roles: the pure core of deciding whether a
//! key may make a request to an API Latchkey guards.
//!
//! - `permission`: permission slugs (`invoices.read`, `customers:read`) and
//!   grants (a permission, `invoices.*`, or `*`), sets of grants.
//! - `expression`: what a route requires (`a and (b or c)`), parsed into a
//!   tree, evaluated against grants, naming what is missing.
//! - `route`: methods, path patterns (`/v1/invoices/{id}/**`), request
//!   paths, and the route table with its specificity order.
//! - `api`: API slugs, hosts, roles, the unmatched rule, `ApiDefinition`
//!   and `decide`: Allowed, InsufficientPermissions or NoRoute.
//! - `document`: the management API's JSON document of an API.
//! - `sample`: the built-in sample API over Latchkey's own resources.
//! - `owner`: a key's `owner_id` and `metadata`.
//! - `openapi`: routes and permissions from an OpenAPI 3 document.

pub mod api;
pub mod diff;
pub mod document;
pub mod expression;
pub mod names;
pub mod openapi;
pub mod owner;
pub mod permission;
pub mod route;
pub mod sample;

pub use api::{ApiDefinition, ApiParts, ApiSlug, Check, Decision, Host, KeyAccess, Role, RoleSlug, Unmatched};
pub use expression::Expression;
pub use openapi::OpenApiImport;
pub use owner::{Metadata, OwnerId};
pub use permission::{Grant, Grants, Permission, PermissionSlug};
pub use route::{Method, PathPattern, RequestPath, Route, RouteTable};
