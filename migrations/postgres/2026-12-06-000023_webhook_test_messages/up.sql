-- Send test and Send example leave a trace (postgres flavour; keep in step with ../../sqlite):
-- each is a message of the endpoint's delivery log, marked test, with its
-- one attempt (trigger `test`). A test message is never retried, resent
-- or recovered, and does not count towards the endpoint's health.
ALTER TABLE webhook_deliveries ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;
