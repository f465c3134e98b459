-- Webhook events carry a seq (sqlite flavour; keep in step with ../../postgres).
-- Events caused by a change take the audit seq of that change; resource events
-- (order.created …), which have no audit entry, take the next number of their
-- organisation's own counter, kept here. A row per organisation, made on first use.
CREATE TABLE event_sequences (
    org_id BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
