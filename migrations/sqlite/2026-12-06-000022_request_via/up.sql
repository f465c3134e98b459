-- How a request reached Latchkey (sqlite flavour; keep in step with ../../postgres):
-- `api` (a request to the REST API with the key), `verify` (a team's
-- service verified the key) or `authz` (a proxy asked through forward
-- auth). Older rows were all API requests.
ALTER TABLE api_request_log ADD COLUMN via TEXT NOT NULL DEFAULT 'api';
-- The host a verified or forwarded request was for (the team's API), as the
-- proxy or service gave it; none for a request to Latchkey's own API.
ALTER TABLE api_request_log ADD COLUMN host TEXT;
