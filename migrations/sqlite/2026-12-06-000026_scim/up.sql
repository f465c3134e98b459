-- SCIM provisioning (docs/user-guide.md: SCIM provisioning; sqlite flavour,
-- keep in step with ../../postgres).
--
-- One bearer token per organisation, stored as its SHA-256. A SCIM User is
-- an account seen from one organisation: its row keeps what SCIM says of it
-- (userName, displayName, emails, externalId, active) apart from the
-- account, so a user set inactive stays a SCIM resource until deleted.
CREATE TABLE scim_tokens (
    org_id BIGINT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE scim_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    display_name TEXT,
    emails TEXT NOT NULL,
    external_id TEXT,
    active BOOLEAN,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, user_id)
);

-- Keys whose creator was deprovisioned: shown so, until someone decides.
ALTER TABLE api_keys ADD COLUMN creator_deprovisioned_at TIMESTAMP;
