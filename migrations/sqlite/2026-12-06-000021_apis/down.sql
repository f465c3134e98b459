UPDATE api_keys SET scopes = trim(CASE WHEN permissions = '*' THEN '' ELSE permissions END || ',' || scopes, ',');
DROP INDEX api_keys_api;
DROP INDEX api_keys_owner;
ALTER TABLE api_keys DROP COLUMN metadata;
ALTER TABLE api_keys DROP COLUMN owner_id;
ALTER TABLE api_keys DROP COLUMN roles;
ALTER TABLE api_keys DROP COLUMN permissions;
ALTER TABLE api_keys DROP COLUMN api;
DROP TABLE apis;
