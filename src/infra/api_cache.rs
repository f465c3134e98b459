//! The organisations' API definitions in memory, under the key cache's
//! stamp: an entry is used only while the database is unchanged since it
//! was read (docs/ARCHITECTURE.md: The key cache), so a role edited a moment
//! ago applies to the next request on every instance, while forward auth
//! decides most requests without a query.

use crate::domain::OrgId;
use crate::domain::access::ApiDefinition;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Organisations held before the cache starts afresh.
const CAPACITY: usize = 10_000;

/// An organisation's APIs, the sample first.
pub type Apis = Arc<Vec<Arc<ApiDefinition>>>;

/// Organisation → (stamp read under, its APIs).
#[derive(Default)]
pub struct DefinitionCache {
    entries: Mutex<HashMap<OrgId, (u64, Apis)>>,
}

impl DefinitionCache {
    pub fn get(&self, org_id: OrgId, stamp: u64) -> Option<Apis> {
        let entries = self.entries.lock().ok()?;
        entries.get(&org_id).filter(|(s, _)| *s == stamp).map(|(_, apis)| apis.clone())
    }

    pub fn put(&self, org_id: OrgId, stamp: u64, apis: Apis) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(org_id, (stamp, apis));
        }
    }
}
