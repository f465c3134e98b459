-- Single sign-on (docs/user-guide.md: Single sign-on; sqlite flavour, keep in
-- step with ../../postgres).
--
-- One OpenID Connect connection per organisation. Its client secret is
-- sealed with LATCHKEY_ENCRYPTION_KEY, like webhook secrets; the domains it
-- serves are a comma-separated list, and group_roles holds "group=role"
-- lines. A domain routes logins only once its TXT record was found.
CREATE TABLE sso_connections (
    org_id BIGINT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    domains TEXT NOT NULL,
    default_role TEXT NOT NULL,
    group_claim TEXT,
    group_roles TEXT NOT NULL,
    require_sso BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sso_domains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    token TEXT NOT NULL,
    verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, domain)
);
CREATE INDEX sso_domains_domain ON sso_domains (domain);
-- One organisation at a time may have proven a domain, however two verifications race.
CREATE UNIQUE INDEX sso_domains_verified ON sso_domains (domain) WHERE verified_at IS NOT NULL;
