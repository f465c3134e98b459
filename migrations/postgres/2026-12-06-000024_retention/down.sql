DROP INDEX key_usage_daily_day;
DROP INDEX outbox_events_created;
DROP INDEX webhook_deliveries_event;
