ALTER TABLE orgs DROP COLUMN require_ip_allowlist;
ALTER TABLE orgs DROP COLUMN forbid_full_access;
ALTER TABLE orgs DROP COLUMN require_key_expiry;
ALTER TABLE orgs DROP COLUMN max_key_lifetime_days;
