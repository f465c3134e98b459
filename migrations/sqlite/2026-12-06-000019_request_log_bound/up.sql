-- The per-key request log's bound (sqlite flavour; keep in step with ../../postgres).
-- A row may stand for more than one request: the first refused request of its kind (key, status,
-- error code) past the few kept each minute, or any past the key's hourly budget, with the count of
-- the others like it in that minute. 0 for a row that is one request.
ALTER TABLE api_request_log ADD COLUMN repeats BIGINT NOT NULL DEFAULT 0;
