-- The append-only, hash-chained audit log (SQLite flavour; keep in step with ../../postgres).
-- org_id 0 is the platform log (failed logins for unknown emails, staff sessions).
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id BIGINT,
    actor_email TEXT,
    actor_name TEXT,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    target_label TEXT,
    ip TEXT,
    user_agent TEXT,
    request_id TEXT,
    trace_id TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (org_id, seq)
);
CREATE INDEX audit_events_org_id ON audit_events (org_id, id);
CREATE INDEX audit_events_org_action ON audit_events (org_id, action, id);
CREATE INDEX audit_events_org_actor ON audit_events (org_id, actor_email, id);
CREATE INDEX audit_events_org_target ON audit_events (org_id, target_id, id);
CREATE INDEX audit_events_org_target_label ON audit_events (org_id, target_label, id);
CREATE INDEX audit_events_org_time ON audit_events (org_id, occurred_at);

-- The newest event of each chain. Writers lock this row first, so a chain never forks.
CREATE TABLE audit_chain_heads (
    org_id BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain_heads (org_id, last_seq, last_hash)
    SELECT id, 0, '0000000000000000000000000000000000000000000000000000000000000000' FROM orgs;
INSERT INTO audit_chain_heads (org_id, last_seq, last_hash)
    VALUES (0, 0, '0000000000000000000000000000000000000000000000000000000000000000');
