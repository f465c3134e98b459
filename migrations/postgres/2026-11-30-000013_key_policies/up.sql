-- An organisation's key policy (postgres flavour; keep in step with ../../sqlite): rules every
-- new, edited or rotated key must meet. NULL lifetime = no limit.
ALTER TABLE orgs ADD COLUMN max_key_lifetime_days BIGINT;
ALTER TABLE orgs ADD COLUMN require_key_expiry BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orgs ADD COLUMN forbid_full_access BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orgs ADD COLUMN require_ip_allowlist BOOLEAN NOT NULL DEFAULT FALSE;
