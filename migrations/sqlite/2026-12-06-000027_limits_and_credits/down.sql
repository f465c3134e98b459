DROP TABLE rate_bucket_shares;
DROP TABLE rate_buckets;
DROP TABLE owner_limits;
DROP TABLE key_credits;
ALTER TABLE api_keys DROP COLUMN limits;
