ALTER TABLE webhook_endpoints DROP COLUMN created_by_key;
ALTER TABLE api_keys DROP COLUMN created_by_key;
ALTER TABLE api_keys DROP COLUMN created_by_email;
