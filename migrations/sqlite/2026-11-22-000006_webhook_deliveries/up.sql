-- Deliveries of outbox events to endpoints, and every attempt (SQLite flavour; keep in step with ../../postgres).
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    endpoint_id BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id BIGINT NOT NULL,
    endpoint_id BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    trigger TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    status_code BIGINT,
    latency_ms BIGINT NOT NULL,
    error_class TEXT,
    excerpt TEXT NOT NULL
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
