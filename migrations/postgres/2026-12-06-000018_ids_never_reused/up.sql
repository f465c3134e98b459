-- Ids are never reused (postgres flavour; keep in step with ../../sqlite).
-- PostgreSQL's identity columns never hand out an id twice; SQLite's tables
-- are rebuilt with AUTOINCREMENT in this version. Both drop what deletions
-- used to leave behind.
-- Rows left behind by deletions that kept their dependants: attempts and
-- deliveries of deleted webhook endpoints, and per-key rows of deleted keys.
-- An id reused later would have made them look like the new row's.
DELETE FROM webhook_attempts WHERE endpoint_id NOT IN (SELECT id FROM webhook_endpoints)
    OR delivery_id NOT IN (SELECT id FROM webhook_deliveries);
DELETE FROM webhook_deliveries WHERE endpoint_id NOT IN (SELECT id FROM webhook_endpoints);
DELETE FROM api_request_log WHERE api_key_id NOT IN (SELECT id FROM api_keys);
DELETE FROM key_networks WHERE api_key_id NOT IN (SELECT id FROM api_keys);
DELETE FROM key_usage_daily WHERE api_key_id NOT IN (SELECT id FROM api_keys);
