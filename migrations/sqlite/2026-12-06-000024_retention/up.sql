-- Retention (docs/operator-guide.md: Retention): the scheduler deletes outbox
-- events no delivery refers to any more, and daily usage older than the kept
-- days; these indexes keep both from reading whole tables.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX outbox_events_created ON outbox_events (created_at);
CREATE INDEX key_usage_daily_day ON key_usage_daily (day);
