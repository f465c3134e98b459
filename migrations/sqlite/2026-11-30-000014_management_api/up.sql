-- Who made a key or an endpoint through the management API (sqlite flavour; keep in step with
-- ../../postgres): the creating key's id, and the creating user's email for the API's
-- created_by object (filled in for existing keys from their users).
ALTER TABLE api_keys ADD COLUMN created_by_email TEXT;
ALTER TABLE api_keys ADD COLUMN created_by_key TEXT;
UPDATE api_keys SET created_by_email = (SELECT email FROM users WHERE users.id = api_keys.created_by_id);
ALTER TABLE webhook_endpoints ADD COLUMN created_by_key TEXT;
