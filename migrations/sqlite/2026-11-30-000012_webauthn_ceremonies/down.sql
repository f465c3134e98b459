DROP TABLE webauthn_ceremonies;
