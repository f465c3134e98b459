//! `api.updated`: an API's definition was created, changed, imported into
//! or deleted (docs/api-guide.md: Event types). One function builds the
//! event's data, for real events and for the catalog's example, so the two
//! cannot drift.

use crate::app::audit::Actor;
use crate::domain::OrgId;
use crate::domain::access::ApiDefinition;
use crate::domain::event_type::EventType;
use serde_json::{Value, json};

/// What happened to the definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiChange {
    Created,
    Updated,
    Imported,
    Deleted,
}

impl ApiChange {
    pub const ALL: [ApiChange; 4] = [Self::Created, Self::Updated, Self::Imported, Self::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Imported => "imported",
            Self::Deleted => "deleted",
        }
    }
}

/// The event's `data`: the API's slug and name, what happened, what changed, who did it.
pub fn data(api: &ApiDefinition, change: ApiChange, summary: Value, actor: &Actor) -> Value {
    json!({
        "api": api.slug().as_str(),
        "name": api.name(),
        "change": change.as_str(),
        "changes": summary,
        "actor": actor.to_json(),
    })
}

/// Queues `api.updated` in the caller's transaction, numbered by the audit seq of the change.
pub fn enqueue(conn: &mut crate::db::DbConn, org_id: OrgId, seq: i64, data: Value) -> crate::db::QueryResult<()> {
    crate::db::outbox::enqueue(conn, org_id, EventType::ApiUpdated, seq, data).map(|_| ())
}

/// (schema of `data`, example of `data`) for the catalog.
pub fn catalog_data(actor_schema: Value) -> (Value, Value) {
    let changes: Vec<&str> = ApiChange::ALL.iter().map(|c| c.as_str()).collect();
    let schema = json!({
        "type": "object",
        "required": ["api", "name", "change", "changes", "actor"],
        "properties": {
            "api": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
            "name": {"type": "string"},
            "change": {"type": "string", "enum": changes},
            "changes": {
                "type": "object",
                "description": "What changed, by part (name, unmatched, hosts, permissions, roles, routes): added, removed and changed slugs (routes as `METHOD path`); only the parts that changed",
            },
            "actor": actor_schema,
        },
        "additionalProperties": false,
    });
    let before = ApiDefinition::from_json(&json!({"slug": "billing", "name": "Billing",
        "permissions": [{"slug": "invoices.read"}, {"slug": "invoices.write"}],
        "roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read"]}]}));
    let after = ApiDefinition::from_json(&json!({"slug": "billing", "name": "Billing",
        "permissions": [{"slug": "invoices.read"}, {"slug": "invoices.write"}],
        "roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read", "invoices.write"]}]}));
    let example = match (before, after) {
        (Ok(before), Ok(after)) => {
            let summary = crate::domain::access::diff::summary(&before, &after);
            let actor = Actor::ApiKey {
                key_id: "key_3fJ9qLm2Xv8RtB4n".into(),
                prefix: "lk_live_8Hq2".into(),
                label: "Deploy".into(),
            };
            data(&after, ApiChange::Updated, summary, &actor)
        }
        _ => json!({}),
    };
    (schema, example)
}
