-- Ids are never reused (SQLite flavour; keep in step with ../../postgres).
--
-- SQLite gives a plain `INTEGER PRIMARY KEY` row the largest id in use plus
-- one, so deleting the newest row hands its id to the next insert, and
-- anything still keyed by the old id (an endpoint's attempts and queued
-- deliveries, a key's request log) then looks like the new row's. With
-- AUTOINCREMENT an id is never handed out twice, like PostgreSQL's identity
-- columns. SQLite cannot add AUTOINCREMENT to a table, so every table with
-- an id is rebuilt the way SQLite documents it (new table, copy, drop,
-- rename, indexes again) with foreign keys off, which cannot be switched
-- inside a transaction: hence metadata.toml runs this file outside
-- diesel's transaction and it opens its own.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

-- Rows left behind by deletions that kept their dependants: attempts and
-- deliveries of deleted webhook endpoints, and per-key rows of deleted keys.
-- An id reused later would have made them look like the new row's.
DELETE FROM webhook_attempts WHERE endpoint_id NOT IN (SELECT id FROM webhook_endpoints)
    OR delivery_id NOT IN (SELECT id FROM webhook_deliveries);
DELETE FROM webhook_deliveries WHERE endpoint_id NOT IN (SELECT id FROM webhook_endpoints);
DELETE FROM api_request_log WHERE api_key_id NOT IN (SELECT id FROM api_keys);
DELETE FROM key_networks WHERE api_key_id NOT IN (SELECT id FROM api_keys);
DELETE FROM key_usage_daily WHERE api_key_id NOT IN (SELECT id FROM api_keys);

-- users
CREATE TABLE users_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_staff BOOLEAN NOT NULL DEFAULT 0,
    session_epoch BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO users_rebuilt SELECT * FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;

-- orgs
CREATE TABLE orgs_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    plan TEXT NOT NULL CHECK (plan IN ('free', 'trial', 'paid')),
    created_at TIMESTAMP NOT NULL
, require_two_factor BOOLEAN NOT NULL DEFAULT 0, max_key_lifetime_days BIGINT, require_key_expiry BOOLEAN NOT NULL DEFAULT 0, forbid_full_access BOOLEAN NOT NULL DEFAULT 0, require_ip_allowlist BOOLEAN NOT NULL DEFAULT 0);
INSERT INTO orgs_rebuilt SELECT * FROM orgs;
DROP TABLE orgs;
ALTER TABLE orgs_rebuilt RENAME TO orgs;

-- memberships
CREATE TABLE memberships_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'read_only')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, user_id)
);
INSERT INTO memberships_rebuilt SELECT * FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_rebuilt RENAME TO memberships;
CREATE INDEX memberships_user_id ON memberships (user_id);

-- login_failures
CREATE TABLE login_failures_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO login_failures_rebuilt SELECT * FROM login_failures;
DROP TABLE login_failures;
ALTER TABLE login_failures_rebuilt RENAME TO login_failures;
CREATE INDEX login_failures_email ON login_failures (email, created_at);
CREATE INDEX login_failures_ip ON login_failures (ip, created_at);

-- audit_events
CREATE TABLE audit_events_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id BIGINT,
    actor_email TEXT,
    actor_name TEXT,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    target_label TEXT,
    ip TEXT,
    user_agent TEXT,
    request_id TEXT,
    trace_id TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (org_id, seq)
);
INSERT INTO audit_events_rebuilt SELECT * FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_events_org_id ON audit_events (org_id, id);
CREATE INDEX audit_events_org_action ON audit_events (org_id, action, id);
CREATE INDEX audit_events_org_actor ON audit_events (org_id, actor_email, id);
CREATE INDEX audit_events_org_target ON audit_events (org_id, target_id, id);
CREATE INDEX audit_events_org_target_label ON audit_events (org_id, target_label, id);
CREATE INDEX audit_events_org_time ON audit_events (org_id, occurred_at);

-- api_keys
CREATE TABLE api_keys_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
, created_by_email TEXT, created_by_key TEXT, exposed_at TIMESTAMP);
INSERT INTO api_keys_rebuilt SELECT * FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_rebuilt RENAME TO api_keys;
CREATE INDEX api_keys_org_created ON api_keys (org_id, created_at);
CREATE INDEX api_keys_org_label ON api_keys (org_id, label);
CREATE INDEX api_keys_grace ON api_keys (grace_until);

-- api_records
CREATE TABLE api_records_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    public_id TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
, created_by_key TEXT);
INSERT INTO api_records_rebuilt SELECT * FROM api_records;
DROP TABLE api_records;
ALTER TABLE api_records_rebuilt RENAME TO api_records;
CREATE INDEX api_records_list ON api_records (org_id, kind, id);

-- outbox_events
CREATE TABLE outbox_events_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO outbox_events_rebuilt SELECT * FROM outbox_events;
DROP TABLE outbox_events;
ALTER TABLE outbox_events_rebuilt RENAME TO outbox_events;
CREATE INDEX outbox_events_org ON outbox_events (org_id, id);

-- webhook_endpoints
CREATE TABLE webhook_endpoints_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
, created_by_key TEXT);
INSERT INTO webhook_endpoints_rebuilt SELECT * FROM webhook_endpoints;
DROP TABLE webhook_endpoints;
ALTER TABLE webhook_endpoints_rebuilt RENAME TO webhook_endpoints;
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, id);

-- webhook_deliveries
CREATE TABLE webhook_deliveries_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO webhook_deliveries_rebuilt SELECT * FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_rebuilt RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, event_type, state, id);

-- webhook_attempts
CREATE TABLE webhook_attempts_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL,
    endpoint_id BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    trigger TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    status_code BIGINT,
    latency_ms BIGINT NOT NULL,
    error_class TEXT,
    excerpt TEXT NOT NULL
, request_url TEXT NOT NULL DEFAULT '', request_headers TEXT NOT NULL DEFAULT '[]', request_body TEXT NOT NULL DEFAULT '', response_headers TEXT NOT NULL DEFAULT '[]');
INSERT INTO webhook_attempts_rebuilt SELECT * FROM webhook_attempts;
DROP TABLE webhook_attempts;
ALTER TABLE webhook_attempts_rebuilt RENAME TO webhook_attempts;
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (attempted_at);

-- mail_outbox
CREATE TABLE mail_outbox_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
, sealed BOOLEAN NOT NULL DEFAULT 0);
INSERT INTO mail_outbox_rebuilt SELECT * FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_rebuilt RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);

-- key_expiry_notices
CREATE TABLE key_expiry_notices_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    threshold TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (api_key_id, expires_at, threshold)
);
INSERT INTO key_expiry_notices_rebuilt SELECT * FROM key_expiry_notices;
DROP TABLE key_expiry_notices;
ALTER TABLE key_expiry_notices_rebuilt RENAME TO key_expiry_notices;

-- sessions
CREATE TABLE sessions_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ip TEXT,
    user_agent TEXT
);
INSERT INTO sessions_rebuilt SELECT * FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_rebuilt RENAME TO sessions;
CREATE INDEX sessions_user_id ON sessions (user_id);

-- invitations
CREATE TABLE invitations_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    invited_by_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    revoked_at TIMESTAMP
);
INSERT INTO invitations_rebuilt SELECT * FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_rebuilt RENAME TO invitations;
CREATE INDEX invitations_org_email ON invitations (org_id, email);

-- password_resets
CREATE TABLE password_resets_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
INSERT INTO password_resets_rebuilt SELECT * FROM password_resets;
DROP TABLE password_resets;
ALTER TABLE password_resets_rebuilt RENAME TO password_resets;
CREATE INDEX password_resets_user ON password_resets (user_id);

-- password_reset_requests
CREATE TABLE password_reset_requests_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO password_reset_requests_rebuilt SELECT * FROM password_reset_requests;
DROP TABLE password_reset_requests;
ALTER TABLE password_reset_requests_rebuilt RENAME TO password_reset_requests;
CREATE INDEX password_reset_requests_email ON password_reset_requests (email, created_at);
CREATE INDEX password_reset_requests_ip ON password_reset_requests (ip, created_at);

-- totp_factors
CREATE TABLE totp_factors_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO totp_factors_rebuilt SELECT * FROM totp_factors;
DROP TABLE totp_factors;
ALTER TABLE totp_factors_rebuilt RENAME TO totp_factors;

-- recovery_codes
CREATE TABLE recovery_codes_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
INSERT INTO recovery_codes_rebuilt SELECT * FROM recovery_codes;
DROP TABLE recovery_codes;
ALTER TABLE recovery_codes_rebuilt RENAME TO recovery_codes;
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- passkeys
CREATE TABLE passkeys_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    credential TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
INSERT INTO passkeys_rebuilt SELECT * FROM passkeys;
DROP TABLE passkeys;
ALTER TABLE passkeys_rebuilt RENAME TO passkeys;
CREATE INDEX passkeys_user ON passkeys (user_id);

-- webauthn_ceremonies
CREATE TABLE webauthn_ceremonies_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handle_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO webauthn_ceremonies_rebuilt SELECT * FROM webauthn_ceremonies;
DROP TABLE webauthn_ceremonies;
ALTER TABLE webauthn_ceremonies_rebuilt RENAME TO webauthn_ceremonies;

-- api_request_log
CREATE TABLE api_request_log_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO api_request_log_rebuilt SELECT * FROM api_request_log;
DROP TABLE api_request_log;
ALTER TABLE api_request_log_rebuilt RENAME TO api_request_log;
CREATE INDEX api_request_log_key ON api_request_log (api_key_id, id);
CREATE INDEX api_request_log_at ON api_request_log (at);

-- audit_checkpoints
CREATE TABLE audit_checkpoints_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    signature TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO audit_checkpoints_rebuilt SELECT * FROM audit_checkpoints;
DROP TABLE audit_checkpoints;
ALTER TABLE audit_checkpoints_rebuilt RENAME TO audit_checkpoints;
CREATE INDEX audit_checkpoints_org ON audit_checkpoints (org_id, seq);
COMMIT;
PRAGMA foreign_keys = ON;
