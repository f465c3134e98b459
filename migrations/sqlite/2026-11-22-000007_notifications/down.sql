DROP TABLE key_expiry_notices;
DROP TABLE mail_outbox;
