ALTER TABLE api_records DROP COLUMN created_by_key;
ALTER TABLE api_keys DROP COLUMN exposed_at;
DROP TABLE key_networks;
DROP TABLE api_request_log;
