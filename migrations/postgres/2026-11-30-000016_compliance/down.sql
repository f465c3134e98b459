DROP INDEX webhook_deliveries_endpoint;
DROP INDEX webhook_attempts_at;
ALTER TABLE webhook_attempts DROP COLUMN response_headers;
ALTER TABLE webhook_attempts DROP COLUMN request_body;
ALTER TABLE webhook_attempts DROP COLUMN request_headers;
ALTER TABLE webhook_attempts DROP COLUMN request_url;
DROP TABLE audit_checkpoints;
