-- API keys (SQLite flavour; keep in step with ../../postgres). The token itself is never stored:
-- token_hash is its SHA-256, display_prefix its first characters.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    key_id TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at TIMESTAMP,
    allowed_ips TEXT NOT NULL,
    rate_limit_per_minute BIGINT,
    enabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by_id BIGINT,
    created_by_name TEXT NOT NULL,
    last_used_at TIMESTAMP,
    last_used_ip TEXT,
    revoked_at TIMESTAMP,
    revoked_by_name TEXT,
    rotated_from TEXT,
    replaced_by TEXT,
    grace_until TIMESTAMP,
    -- When api_key.expired was recorded for the current expiry (reset when the expiry changes).
    expired_event_at TIMESTAMP
);
CREATE INDEX api_keys_org_created ON api_keys (org_id, created_at);
CREATE INDEX api_keys_org_label ON api_keys (org_id, label);
CREATE INDEX api_keys_grace ON api_keys (grace_until);

-- One-time form ids of create/rotate forms: a replayed POST creates nothing.
CREATE TABLE used_form_ids (
    form_id TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    used_at TIMESTAMP NOT NULL
);
