//! The demo organisation's own API, "Billing API": invoices and refunds
//! with a viewer and an accountant role, routes for each, and two keys of
//! it — a customer's (role viewer, with an owner and metadata) and a
//! worker's (every `invoices.` permission).

use super::seed::{Sample, Timeline, make_key, office};
use crate::app::audit::{Actor, Entry};
use crate::db::{DbConn, apis, backdate, users::User};
use crate::domain::OrgId;
use crate::domain::access::{ApiDefinition, ApiSlug, Grants, Metadata, OwnerId, RoleSlug};
use crate::domain::scopes::Scopes;
use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

fn billing() -> anyhow::Result<ApiDefinition> {
    let document = json!({
        "slug": "billing", "name": "Billing API", "hosts": ["billing.demo.example"], "unmatched": "deny",
        "permissions": [
            {"slug": "invoices.read", "description": "List and read invoices"},
            {"slug": "invoices.write", "description": "Create, change and void invoices"},
            {"slug": "refunds.read", "description": "Read refunds"},
            {"slug": "refunds.write", "description": "Issue refunds"},
        ],
        "roles": [
            {"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read", "refunds.read"]},
            {"slug": "accountant", "name": "Accountant", "permissions": ["invoices.*", "refunds.*"]},
        ],
        "routes": [
            {"method": "GET", "path": "/v1/invoices/**", "requires": "invoices.read"},
            {"method": "POST", "path": "/v1/invoices", "requires": "invoices.write"},
            {"method": "POST", "path": "/v1/invoices/{id}/void", "requires": "invoices.write"},
            {"method": "GET", "path": "/v1/refunds/**", "requires": "refunds.read or invoices.read"},
            {"method": "POST", "path": "/v1/refunds", "requires": "refunds.write and invoices.read"},
        ],
    });
    ApiDefinition::from_json(&document)
        .map_err(|e| anyhow::anyhow!("{}", crate::domain::access::document::describe(&e)))
}

pub(super) fn seed_apis(
    conn: &mut DbConn,
    org_id: OrgId,
    owner: &User,
    t: &mut Timeline,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let api = billing()?;
    let defined = now - Duration::days(40);
    let row = apis::insert(conn, org_id, "billing", api.name(), &serde_json::to_string(&api)?)?;
    backdate::api_created(conn, row.id, defined)?;
    t.add(defined, &Actor::user(owner), &office(), Entry::api_created(org_id, &api));
    let slug = ApiSlug::parse("billing").map_err(anyhow::Error::msg)?;
    let viewer = RoleSlug::parse("viewer").map_err(anyhow::Error::msg)?;
    let mut customer = Sample::new("Acme Corp – customer portal", &[], now - Duration::days(30));
    customer.description = "Issued to the customer for their own invoices.";
    let metadata = Metadata::parse(json!({"plan": "pro", "region": "eu"})).map_err(anyhow::Error::msg)?;
    let owner_id = OwnerId::parse("cus_1042").map_err(anyhow::Error::msg)?;
    let reach = Scopes::new(slug.clone(), Grants::default(), vec![viewer], Default::default());
    customer.reach = Some((reach, Some(owner_id), Some(metadata)));
    make_key(conn, org_id, owner, customer, t).context("the customer's key")?;
    let mut worker = Sample::new("Invoice worker", &[], now - Duration::days(20));
    let grants = Grants::parse(&["invoices.*"]).map_err(anyhow::Error::msg)?;
    worker.reach = Some((Scopes::new(slug, grants, Vec::new(), Default::default()), None, None));
    make_key(conn, org_id, owner, worker, t).context("the worker's key")?;
    Ok(())
}
