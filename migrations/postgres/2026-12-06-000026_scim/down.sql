ALTER TABLE api_keys DROP COLUMN creator_deprovisioned_at;
DROP TABLE scim_users;
DROP TABLE scim_tokens;
