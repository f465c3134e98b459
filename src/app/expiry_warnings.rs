//! Expiry warnings (docs/user-guide.md: Expiry warnings): for each key expiring within 30 days (or that
//! expired in the last week), the most urgent warning due is claimed once per
//! key and expiry date (`key_expiry_notices`), then mailed to every owner and
//! admin and, before expiry, raised as an `api_key.expiring` webhook event —
//! all in one transaction, so a crash loses nothing and a rerun repeats nothing.

use crate::app::audit::Actor;
use crate::app::state::AppState;
use crate::db::{expiry_notices, now};
use crate::domain::OrgId;
use crate::domain::event_type::EventType;
use crate::domain::expiry::{EXPIRED_NOTICE_WINDOW, ExpiryWarning};
use chrono::Duration;
use std::collections::HashSet;

/// Keys looked at per run; the rest wait for the next run.
const BATCH: i64 = 1000;

/// Returns how many warnings were claimed by this run.
pub async fn warn_expiring(state: &AppState) -> Result<usize, crate::db::Error> {
    let public_url = state.config.public_url.origin().to_owned();
    state
        .db
        .run(move |conn| {
            let at = now();
            let keys = expiry_notices::candidates(conn, at - EXPIRED_NOTICE_WINDOW, at + Duration::days(30), BATCH)?;
            if keys.is_empty() {
                return Ok(0);
            }
            let ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
            let done: HashSet<(i64, chrono::NaiveDateTime, String)> =
                expiry_notices::existing(conn, &ids)?.into_iter().collect();
            let mut claimed = 0;
            for key in keys {
                let Some(expires_at) = key.expires_at else { continue };
                let Some(warning) = ExpiryWarning::due(expires_at, at) else { continue };
                if done.contains(&(key.id, expires_at, warning.as_str().to_owned())) {
                    continue;
                }
                crate::db::transaction(conn, |conn| {
                    // Another scheduler may have claimed it since: only the claimant sends.
                    if !expiry_notices::claim(conn, key.id, expires_at, warning.as_str())? {
                        return Ok::<_, crate::db::QueryError>(());
                    }
                    crate::app::notify::key_expiring(conn, &public_url, &key, expires_at, warning, at)?;
                    if warning.is_advance_warning() {
                        // No change causes it: numbered as of the latest one, with the key as of then.
                        let org_id = OrgId::new(key.org_id);
                        let seq = crate::app::audit::latest_seq(conn, org_id)?;
                        if let Some(key) = crate::db::api_keys::find(conn, org_id, &key.key_id)? {
                            let mut extra = serde_json::Map::new();
                            extra.insert("warning".into(), warning.as_str().into());
                            extra.insert("days_left".into(), crate::domain::expiry::days_left(expires_at, at).into());
                            let scheduler = Actor::System { label: "scheduler" };
                            crate::app::webhooks::events::key_event_with(
                                conn,
                                EventType::ApiKeyExpiring,
                                &key,
                                &scheduler,
                                seq,
                                extra,
                            )?;
                        }
                    }
                    claimed += 1;
                    Ok(())
                })?;
            }
            Ok::<_, crate::db::QueryError>(claimed)
        })
        .await
}
