ALTER TABLE api_request_log DROP COLUMN host;
ALTER TABLE api_request_log DROP COLUMN via;
