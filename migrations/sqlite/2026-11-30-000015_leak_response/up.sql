-- Leak response and forensics (sqlite flavour; keep in step with ../../postgres).
-- Every API request naming a known key, served or refused (written in batches, pruned after
-- LATCHKEY_REQUEST_LOG_DAYS). No token, no query string, no body: only what identifies the request.
CREATE TABLE api_request_log (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    api_key_id BIGINT NOT NULL,
    at TIMESTAMP NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    error_code TEXT,
    latency_ms BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    request_id TEXT NOT NULL
);
CREATE INDEX api_request_log_key ON api_request_log (api_key_id, id);
CREATE INDEX api_request_log_at ON api_request_log (at);

-- The networks (/24 of IPv4, /48 of IPv6) each key was used from, and when last: a use from one
-- not seen in 30 days is recorded as api_key.new_network.
CREATE TABLE key_networks (
    api_key_id BIGINT NOT NULL,
    network TEXT NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, network)
);

-- When a key was last reported exposed (the dashboard's banner counts recent ones).
ALTER TABLE api_keys ADD COLUMN exposed_at TIMESTAMP;
-- The key that created a customer, order, product or category.
ALTER TABLE api_records ADD COLUMN created_by_key TEXT;
