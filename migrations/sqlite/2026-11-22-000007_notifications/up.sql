-- Outgoing mail and the claims that make each notification happen once (SQLite flavour; keep in step with ../../postgres).
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
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
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);

CREATE TABLE key_expiry_notices (
    id INTEGER PRIMARY KEY,
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    threshold TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (api_key_id, expires_at, threshold)
);
