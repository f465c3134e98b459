DROP TABLE audit_chain_heads;
DROP TABLE audit_events;
