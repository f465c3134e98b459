-- Owner limits, credits and cluster-wide rate limits (postgres flavour; keep in
-- step with ../../sqlite; docs/api-guide.md: Rate limits and credits).
--
-- A key's credits and its owner's limit, as a JSON object in one column
-- (NULL = neither): {"metered": true, "refill": {"amount": 100, "interval":
-- "day"}, "owner_rate_limit_per_minute": 60}. They are read with the key, so
-- every instance's key cache knows them; the owner's limit (owner_limits) is
-- copied onto each of its keys when either changes. The count of credits
-- itself lives in key_credits, so spending one does not change the key row
-- (which would bump the auth generation and empty every key cache).
ALTER TABLE api_keys ADD COLUMN limits TEXT;

CREATE TABLE key_credits (
    key_row_id BIGINT PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    remaining BIGINT NOT NULL,
    -- The start of the refill period the count belongs to.
    refilled_at TIMESTAMP NOT NULL
);

CREATE TABLE owner_limits (
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL,
    rate_limit_per_minute BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, owner_id)
);

-- Cluster-wide rate limits: one token bucket per key or owner (capacity =
-- the limit a minute, refilled continuously), to which every instance
-- reports what it spent, at most once a second; times are Unix seconds from
-- the database's clock, so instances' clocks do not matter.
CREATE TABLE rate_buckets (
    bucket TEXT PRIMARY KEY,
    capacity BIGINT NOT NULL,
    tokens DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
-- Which instances spent from a bucket lately: the bucket is shared among them.
CREATE TABLE rate_bucket_shares (
    bucket TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    synced_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (bucket, instance_id)
);
CREATE INDEX rate_buckets_updated ON rate_buckets (updated_at);
CREATE INDEX rate_bucket_shares_synced ON rate_bucket_shares (synced_at);
