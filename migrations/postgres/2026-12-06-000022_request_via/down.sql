ALTER TABLE api_request_log DROP COLUMN via;
