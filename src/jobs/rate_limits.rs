//! Cluster-wide rate limits' sync (docs/operator-guide.md: Scale-out → Rate
//! limits across instances): once a second, the leases of the buckets asked
//! for move towards this instance's demand and idle ones go back — one
//! transaction, and none at all while no key is asked for.

use crate::app::state::AppState;
use std::sync::Arc;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(1);

/// Syncs every second until the process ends (nothing to do on one instance's limits).
pub async fn run_forever(state: Arc<AppState>) {
    if !state.limits.is_cluster() {
        return;
    }
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = state.limits.sync().await {
            tracing::warn!(error = %crate::db::chain(&e), "could not sync the cluster's rate limits; spending what is left of this instance's leases");
        }
    }
}
