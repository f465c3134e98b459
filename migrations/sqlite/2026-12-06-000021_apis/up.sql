-- APIs an organisation defines, and what a key holds in one (sqlite flavour;
-- keep in step with ../../postgres).
--
-- An API's permissions, roles and routes are one JSON document (the
-- management API's), checked by the domain before it is stored and read
-- back whole: nothing queries inside it. The sample API over Latchkey's own
-- resources is built in and has no row.
CREATE TABLE apis (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, slug)
);

-- A key belongs to one API and holds grants (comma-separated, like
-- "invoices.read,customers.*" or "*") and roles of that API; the column
-- scopes keeps only management scopes from now on.
ALTER TABLE api_keys ADD COLUMN api TEXT NOT NULL DEFAULT 'sample';
ALTER TABLE api_keys ADD COLUMN permissions TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN roles TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN owner_id TEXT;
ALTER TABLE api_keys ADD COLUMN metadata TEXT;

CREATE INDEX api_keys_owner ON api_keys (org_id, owner_id);
CREATE INDEX api_keys_api ON api_keys (org_id, api);

-- Every existing key moves into the sample API: its resource scopes become
-- its permissions, no scope at all (full access) becomes "*", and a key
-- with only management scopes keeps no permission, as it reached no
-- resource before. Each stored name appears once, so removing ",name,"
-- from ",list," leaves the others.
UPDATE api_keys SET permissions = CASE WHEN scopes = '' THEN '*' ELSE trim(replace(replace(replace(replace(replace(replace(',' || scopes || ',', ',keys:read,', ','), ',keys:write,', ','), ',keys:self_rotate,', ','), ',webhooks:read,', ','), ',webhooks:write,', ','), ',audit:read,', ','), ',') END;
UPDATE api_keys SET scopes = trim(replace(replace(replace(replace(replace(replace(replace(replace(',' || scopes || ',', ',customers:read,', ','), ',customers:write,', ','), ',orders:read,', ','), ',orders:write,', ','), ',products:read,', ','), ',products:write,', ','), ',categories:read,', ','), ',categories:write,', ','), ',');

