//! Operational metrics, served at `/metrics` in the Prometheus text format,
//! or OpenMetrics to scrapers that ask for it (prometheus-client): requests
//! by route and status with latency histograms, key verifications and
//! webhook attempts by outcome, queue depths and scheduler lag. Counters live in memory per instance;
//! queue depths are read from the database at scrape time, so every
//! instance reports the shared queue.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

/// Latency buckets, in seconds: 0.5 ms … 5 s.
const LATENCY_BUCKETS: [f64; 13] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// One of the standard methods, or `OTHER`: clients may send any token as a method.
    method: &'static str,
    /// The matched route pattern (`/api/v1/{kind}`), never the raw path: bounded cardinality.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    key_verifications: Family<OutcomeLabels, Counter>,
    webhook_attempts: Family<OutcomeLabels, Counter>,
    queue_depth: Family<QueueLabels, Gauge>,
    oldest_due: Family<QueueLabels, FloatGauge>,
    scheduler_lag: FloatGauge,
    scheduler_last_run: FloatGauge,
    request_log_dropped: Counter,
    cache: CacheMetrics,
}

/// The key cache (docs/operator-guide.md: Scale-out): how often it served, and on
/// PostgreSQL how its notification channel is doing.
struct CacheMetrics {
    hits: Counter,
    misses: Counter,
    invalidations: Counter,
    acknowledgements: Counter,
    channel_lost: Counter,
    confirm_timeouts: Counter,
    confirm_wait: Histogram,
    trusted: Gauge,
    silent: Gauge,
    live: Gauge,
}

impl CacheMetrics {
    fn register(registry: &mut Registry) -> Self {
        let cache = Self {
            hits: Counter::default(),
            misses: Counter::default(),
            invalidations: Counter::default(),
            acknowledgements: Counter::default(),
            channel_lost: Counter::default(),
            confirm_timeouts: Counter::default(),
            confirm_wait: Histogram::new(CONFIRM_BUCKETS),
            trusted: Gauge::default(),
            silent: Gauge::default(),
            live: Gauge::default(),
        };
        registry.register(
            "instances_live",
            "Instances with a heartbeat in the last 5 s, this one included, at its last heartbeat (PostgreSQL)",
            cache.live.clone(),
        );
        registry.register(
            "key_cache_channel_silent",
            "1 while the notification channel connects but does not deliver (a pooler in transaction mode?): requests read per batch",
            cache.silent.clone(),
        );
        registry.register(
            "key_cache_trusted",
            "1 while the cache is used without a read per request (PostgreSQL: the channel is heard); 0 while requests read",
            cache.trusted.clone(),
        );
        let counters = [
            ("key_cache_hits", "API requests authenticated from the key cache", &cache.hits),
            ("key_cache_misses", "API requests that read their key from the database", &cache.misses),
            (
                "key_cache_invalidations",
                "Key or organisation changes announced to this instance (PostgreSQL)",
                &cache.invalidations,
            ),
            (
                "key_cache_acknowledgements",
                "Changes this instance acknowledged to the others (PostgreSQL)",
                &cache.acknowledgements,
            ),
            (
                "key_cache_channel_lost",
                "Times the notification channel failed and the cache was distrusted (PostgreSQL)",
                &cache.channel_lost,
            ),
            (
                "revocation_confirm_timeouts",
                "Revocations answered after 5 s without every live instance's acknowledgement",
                &cache.confirm_timeouts,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        registry.register_with_unit(
            "revocation_confirm_wait",
            "How long a revoking or deactivating request waited for every live instance to acknowledge it",
            Unit::Seconds,
            cache.confirm_wait.clone(),
        );
        cache
    }
}

const CONFIRM_BUCKETS: [f64; 8] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("latchkey");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by method, route and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method and route",
            Unit::Seconds,
            latency.clone(),
        );
        let key_verifications = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "api_key_verifications",
            "API key checks, by outcome (ok or the error code answered)",
            key_verifications.clone(),
        );
        let webhook_attempts = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts, by outcome (success, http_error or the error class)",
            webhook_attempts.clone(),
        );
        let queue_depth = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "outbox_depth",
            "Messages waiting to be sent (all instances), by queue: webhook_deliveries, mail_outbox",
            queue_depth.clone(),
        );
        let oldest_due = Family::<QueueLabels, FloatGauge>::default();
        registry.register_with_unit(
            "outbox_oldest_due_age",
            "How long the oldest due message of each queue has been waiting (0 when none)",
            Unit::Seconds,
            oldest_due.clone(),
        );
        let scheduler_lag = FloatGauge::default();
        registry.register_with_unit(
            "scheduler_lag",
            "How late the last run of the scheduled jobs started, after it was due",
            Unit::Seconds,
            scheduler_lag.clone(),
        );
        let scheduler_last_run = FloatGauge::default();
        registry.register_with_unit(
            "scheduler_last_run_timestamp",
            "When the scheduled jobs last finished a run (Unix time)",
            Unit::Seconds,
            scheduler_last_run.clone(),
        );
        let request_log_dropped = Counter::default();
        registry.register(
            "request_log_dropped",
            "Requests the per-key request log did not keep (its queue was full, or a batch failed to write)",
            request_log_dropped.clone(),
        );
        let cache = CacheMetrics::register(&mut registry);
        Self {
            request_log_dropped,
            cache,
            registry,
            requests,
            latency,
            key_verifications,
            webhook_attempts,
            queue_depth,
            oldest_due,
            scheduler_lag,
            scheduler_last_run,
        }
    }
}

/// A request method as a label. Any token is a valid HTTP method, so labelling
/// by the raw method would let a client grow the label set (and memory)
/// without bound; the standard methods keep their names, the rest are `OTHER`.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("OTHER")
}

impl Metrics {
    pub fn cache_hit(&self, hit: bool) {
        if hit {
            self.cache.hits.inc()
        } else {
            self.cache.misses.inc()
        };
    }

    pub fn invalidated(&self) {
        self.cache.invalidations.inc();
    }

    pub fn acknowledged(&self) {
        self.cache.acknowledgements.inc();
    }

    pub fn channel_lost(&self) {
        self.cache.channel_lost.inc();
        self.cache.trusted.set(0);
    }

    pub fn channel_heard(&self) {
        self.cache.trusted.set(1);
        self.cache.silent.set(0);
    }

    /// Live instances at the last heartbeat.
    pub fn instances_live(&self, n: u32) {
        self.cache.live.set(i64::from(n));
    }

    /// The channel connects but its own probe never came back.
    pub fn channel_silent(&self) {
        self.cache.silent.set(1);
        self.cache.trusted.set(0);
    }

    /// A revocation's wait for the other instances; `complete: false` = it gave up after 5 s.
    pub fn confirmed(&self, seconds: f64, complete: bool) {
        self.cache.confirm_wait.observe(seconds);
        if !complete {
            self.cache.confirm_timeouts.inc();
        }
    }

    pub fn request_log_dropped(&self, n: u64) {
        self.request_log_dropped.inc_by(n);
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method_label(method), route.to_owned());
        self.latency.get_or_create(&RouteLabels { method, route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    pub fn key_verified(&self, outcome: &'static str) {
        self.key_verifications.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn webhook_attempted(&self, outcome: &'static str) {
        self.webhook_attempts.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn scheduler_ran(&self, lag_seconds: f64) {
        self.scheduler_lag.set(lag_seconds);
        self.scheduler_last_run.set(chrono::Utc::now().timestamp_millis() as f64 / 1000.0);
    }

    pub fn set_queue(&self, queue: &'static str, depth: i64, oldest_due_seconds: f64) {
        self.queue_depth.get_or_create(&QueueLabels { queue }).set(depth);
        self.oldest_due.get_or_create(&QueueLabels { queue }).set(oldest_due_seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The Prometheus text format 0.0.4, for scrapers that do not ask for
    /// OpenMetrics (promtool among them).
    pub fn encode_text(&self) -> String {
        openmetrics_to_text(&self.encode())
    }
}

/// Rewrites an OpenMetrics exposition (as prometheus-client writes it) in
/// the Prometheus text format. For the types registered here (counters,
/// gauges, histograms) the samples are the same and only metadata differs:
/// a text-format counter's HELP and TYPE name its samples, `_total`
/// included, and `# UNIT` and `# EOF` do not exist there (parsers would
/// take them for comments, but linters flag the counters).
fn openmetrics_to_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len() + counters.len() * 12);
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].into_iter().find_map(|keyword| {
            let (name, rest) = line.strip_prefix(keyword)?.split_once(' ')?;
            counters.contains(name).then(|| format!("{keyword}{name}_total {rest}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn exposition_has_every_family_with_its_labels() {
        let m = Metrics::default();
        m.observe_request("GET", "/api/v1/{kind}", 200, 0.002);
        m.key_verified("malformed_key");
        m.webhook_attempted("timeout");
        m.set_queue("mail", 3, 12.5);
        m.scheduler_ran(0.25);
        let text = m.encode();
        for needle in [
            r#"latchkey_http_requests_total{method="GET",route="/api/v1/{kind}",status="200"} 1"#,
            r#"latchkey_http_request_duration_seconds_bucket{le="0.0025",method="GET",route="/api/v1/{kind}"} 1"#,
            r#"latchkey_api_key_verifications_total{outcome="malformed_key"} 1"#,
            r#"latchkey_webhook_attempts_total{outcome="timeout"} 1"#,
            r#"latchkey_outbox_depth{queue="mail"} 3"#,
            r#"latchkey_outbox_oldest_due_age_seconds{queue="mail"} 12.5"#,
            "latchkey_scheduler_lag_seconds 0.25",
            "# EOF",
        ] {
            assert!(text.contains(needle), "missing {needle} in:\n{text}");
        }
    }

    #[test]
    fn the_text_format_names_counters_by_their_samples_and_has_no_openmetrics_lines() {
        let m = Metrics::default();
        m.observe_request("GET", "/healthz", 200, 0.001);
        m.key_verified("ok");
        m.scheduler_ran(0.25);
        let text = m.encode_text();
        for needle in [
            "# HELP latchkey_api_key_verifications_total ",
            "# TYPE latchkey_api_key_verifications_total counter\n",
            r#"latchkey_api_key_verifications_total{outcome="ok"} 1"#,
            "# TYPE latchkey_http_request_duration_seconds histogram\n",
            "# TYPE latchkey_scheduler_lag_seconds gauge\n",
        ] {
            assert!(text.contains(needle), "missing {needle} in:\n{text}");
        }
        assert!(!text.contains("# EOF") && !text.contains("# UNIT"), "{text}");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let m = Metrics::default();
        for i in 0..500 {
            m.observe_request(&format!("FUZZ{i}"), "unmatched", 400, 0.001);
        }
        m.observe_request("GET", "/healthz", 200, 0.001);
        let text = m.encode();
        assert!(text.contains(r#"method="OTHER",route="unmatched",status="400"} 500"#), "{text}");
        assert!(!text.contains("FUZZ"), "raw methods never become labels");
        assert!(text.len() < 20_000, "the exposition stays small: {} bytes", text.len());
    }
}
