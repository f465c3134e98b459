//! Liveness and readiness probes.

use crate::app::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.database_ready().await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable")
        }
    }
}

/// `/metrics`: the Prometheus text format, or OpenMetrics when `Accept`
/// asks for it (as Prometheus does). Queue depths are read now, so any
/// instance reports the shared queues. With `LATCHKEY_METRICS_TOKEN` set,
/// the scraper must send it as a bearer token.
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
    // The counters are still worth scraping; the queue gauges keep their last values.
    if let Err(e) = state.measure_queues().await {
        tracing::warn!(error = %e, "metrics: cannot read the queue depths");
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (content_type, body) = if wants_openmetrics(accept) {
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", state.metrics.encode())
    } else {
        ("text/plain; version=0.0.4; charset=utf-8", state.metrics.encode_text())
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept"))
        .body(body)
}

/// Whether `Accept` asks for OpenMetrics: listed with a quality above 0 and
/// at least that of the text format (`text/plain`, `text/*` or `*/*`). Tools
/// that send no `Accept`, or anything else, get the text format, which every
/// Prometheus-compatible reader takes.
fn wants_openmetrics(accept: &str) -> bool {
    let (mut openmetrics, mut text) = (0.0_f32, 0.0_f32);
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, q)| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "application/openmetrics-text" => openmetrics = openmetrics.max(quality),
            "text/plain" | "text/*" | "*/*" => text = text.max(quality),
            _ => {}
        }
    }
    openmetrics > 0.0 && openmetrics >= text
}

#[cfg(test)]
mod tests {
    use super::wants_openmetrics;

    #[test]
    fn openmetrics_only_when_asked_for_before_the_text_format() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics(prometheus));
        assert!(wants_openmetrics("application/openmetrics-text"));
        assert!(wants_openmetrics("Application/OpenMetrics-Text; version=1.0.0"));
        for text in [
            "",
            "*/*",
            "text/plain;version=0.0.4",
            "application/openmetrics-text;q=0, text/plain",
            "text/plain, application/openmetrics-text;q=0.5",
            "application/openmetrics-text;q=0.5, */*",
            "application/json",
        ] {
            assert!(!wants_openmetrics(text), "{text}");
        }
    }
}
