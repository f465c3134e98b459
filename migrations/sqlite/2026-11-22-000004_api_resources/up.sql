-- The API's resources, its event outbox and per-key daily usage
-- (SQLite flavour; keep in step with ../../postgres).

-- customers, orders, products and categories share one table: their fields
-- are validated at the API edge and stored as a JSON object in `data`.
CREATE TABLE api_records (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    public_id TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX api_records_list ON api_records (org_id, kind, id);

-- Events written in the same transaction as the change that caused them;
-- the webhook worker delivers them.
CREATE TABLE outbox_events (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_events_org ON outbox_events (org_id, id);

-- Requests per key per UTC day, by status class; written by the scheduler's flush.
CREATE TABLE key_usage_daily (
    api_key_id BIGINT NOT NULL, -- no foreign key: a flush may race a deletion; delete removes the rows
    day DATE NOT NULL,
    org_id BIGINT NOT NULL,
    ok BIGINT NOT NULL,
    client_errors BIGINT NOT NULL,
    server_errors BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, day)
);
CREATE INDEX key_usage_daily_org ON key_usage_daily (org_id, day);
