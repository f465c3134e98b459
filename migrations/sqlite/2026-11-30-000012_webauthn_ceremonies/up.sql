-- Passkey ceremonies in progress (sqlite flavour; keep in step with ../../postgres): the
-- challenge state stays on the server (a cookie could replay an old one), named by the
-- SHA-256 of a random handle the session carries; each is used once, within 5 minutes.
CREATE TABLE webauthn_ceremonies (
    id INTEGER PRIMARY KEY,
    handle_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
