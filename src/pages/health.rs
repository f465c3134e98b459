//! Liveness and readiness probes.

use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::connection::SimpleConnection;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.run(|conn| conn.batch_execute("SELECT 1")).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable")
        }
    }
}

/// `/metrics`: Prometheus/OpenMetrics text. Queue depths are read now, so
/// any instance reports the shared queues. With `LATCHKEY_METRICS_TOKEN`
/// set, the scraper must send it as a bearer token.
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Some(expected) = &state.config.metrics_token {
        let sent = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = sent.and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
        if !bool::from(subtle::ConstantTimeEq::ct_eq(token.as_bytes(), expected.as_bytes())) {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain")
                .body("metrics need the token in LATCHKEY_METRICS_TOKEN");
        }
    }
    let stats = state
        .db
        .run(|conn| {
            crate::db::Queue::ALL
                .into_iter()
                .map(|queue| crate::db::queue_stats(conn, queue).map(|stats| (queue, stats)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await;
    match stats {
        Ok(stats) => {
            let now = crate::db::now();
            for (queue, stats) in stats {
                let waited = stats.oldest_due.map_or(0.0, |due| (now - due).num_milliseconds().max(0) as f64 / 1000.0);
                state.metrics.set_queue(queue.table(), stats.depth, waited);
            }
        }
        // The counters are still worth scraping; the queue gauges keep their last values.
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the queue depths"),
    }
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.encode())
}
