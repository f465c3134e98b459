-- Compliance (sqlite flavour; keep in step with ../../postgres).
-- Signed audit checkpoints: the head of an organisation's chain (seq, hash) signed with the
-- server's Ed25519 key, which never lives in the database. signed_at is the exact RFC 3339 text
-- that was signed; public_key is the base64 key that signed it (so keys can be replaced).
CREATE TABLE audit_checkpoints (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    signature TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_checkpoints_org ON audit_checkpoints (org_id, seq);

-- Each webhook attempt keeps the request exactly as sent and the answer's headers, for the
-- attempt detail page. Headers are JSON arrays of [name, value] pairs. Pruned after
-- LATCHKEY_DELIVERY_LOG_DAYS.
ALTER TABLE webhook_attempts ADD COLUMN request_url TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_attempts ADD COLUMN request_headers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE webhook_attempts ADD COLUMN request_body TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_attempts ADD COLUMN response_headers TEXT NOT NULL DEFAULT '[]';
CREATE INDEX webhook_attempts_at ON webhook_attempts (attempted_at);
-- Streamed audit events are sent in chain order per endpoint: the next one waits for the ones before.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, event_type, state, id);
