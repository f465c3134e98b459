-- Webhook endpoints (SQLite flavour; keep in step with ../../postgres).
-- Signing secrets are stored encrypted (ChaCha20-Poly1305 with LATCHKEY_ENCRYPTION_KEY).
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    public_id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    events TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    secret_sealed TEXT NOT NULL,
    -- After a rotation the previous secret also signs until previous_until.
    previous_secret_sealed TEXT,
    previous_until TIMESTAMP,
    disabled_reason TEXT,
    -- First failure of the current run of failures; 5 days of failing disables the endpoint.
    failing_since TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    created_by_name TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, id);
