-- Accounts a team can run on (sqlite flavour; keep in step with ../../postgres):
-- invitations, password resets and their request throttle. Tokens are kept
-- only as their SHA-256; mail that carries one is stored sealed.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
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
CREATE INDEX invitations_org_email ON invitations (org_id, email);

CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_user ON password_resets (user_id);

CREATE TABLE password_reset_requests (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX password_reset_requests_email ON password_reset_requests (email, created_at);
CREATE INDEX password_reset_requests_ip ON password_reset_requests (ip, created_at);

ALTER TABLE mail_outbox ADD COLUMN sealed BOOLEAN NOT NULL DEFAULT 0;
