DROP TABLE key_usage_daily;
DROP TABLE outbox_events;
DROP TABLE api_records;
