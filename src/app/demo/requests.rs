//! The demo's per-key request log: the last day of calls by the busy keys —
//! mostly served, some refused — from the office network and, for one key,
//! a network it never used before (the leak signal the key page shows).

use crate::db::QueryResult;
use crate::db::api_keys::ApiKey;
use crate::db::request_log::{NewRequest, insert_batch};
use crate::db::{DbConn, now};
use crate::domain::OrgId;
use chrono::Duration;

/// (method, path, status, error code) of the calls the demo shows, in turn.
const CALLS: [(&str, &str, i64, Option<&str>); 6] = [
    ("GET", "/api/v1/orders", 200, None),
    ("POST", "/api/v1/orders", 201, None),
    ("GET", "/api/v1/customers", 200, None),
    ("GET", "/api/v1/orders/ord_8kQ2mW5xZ1nB7cV3", 404, Some("not_found")),
    ("DELETE", "/api/v1/customers/cus_3fJ9qLm2Xv8RtB4n", 403, Some("insufficient_scope")),
    ("GET", "/api/v1/ping", 200, None),
];

pub(super) fn seed(conn: &mut DbConn, org_id: OrgId, busy: &[(ApiKey, i64)]) -> QueryResult<()> {
    let at = now();
    for (n, (key, _)) in busy.iter().enumerate() {
        // Oldest first, as a live log fills: the page lists the newest (highest id) first.
        let rows: Vec<NewRequest> = (0..60_i64)
            .rev()
            .map(|i| {
                let (method, path, status, code) = CALLS[(i as usize + n) % CALLS.len()];
                let stranger = n == 0 && i < 3;
                NewRequest {
                    org_id,
                    api_key_id: key.id,
                    at: at - Duration::minutes(i * 23 + n as i64 * 7),
                    method: method.into(),
                    path: path.into(),
                    status,
                    error_code: code.map(str::to_owned),
                    latency_ms: 3 + (i * 7 + n as i64) % 40,
                    ip: Some(if stranger { "198.51.100.23".into() } else { format!("203.0.113.{}", 10 + n) }),
                    user_agent: Some(if stranger {
                        "curl/8.5.0".into()
                    } else {
                        "warehouse-sync/2.3 (+python-requests)".into()
                    }),
                    request_id: format!("demo{n:02}{i:04}"),
                    via: "api",
                    host: None,
                }
            })
            .collect();
        insert_batch(conn, &rows)?;
    }
    Ok(())
}
