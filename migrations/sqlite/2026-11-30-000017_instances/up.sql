-- The instance registry (sqlite flavour; keep in step with ../../postgres). SQLite needs no
-- notification channel: every process sees every commit in the WAL index at once
-- (src/key_cache.rs), so the table stays empty here; it exists so both schemas match.
CREATE TABLE api_instances (
    id TEXT PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL,
    acked_generation BIGINT NOT NULL
);
