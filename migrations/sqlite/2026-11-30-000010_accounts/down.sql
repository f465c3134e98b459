ALTER TABLE mail_outbox DROP COLUMN sealed;
DROP TABLE password_reset_requests;
DROP TABLE password_resets;
DROP TABLE invitations;
