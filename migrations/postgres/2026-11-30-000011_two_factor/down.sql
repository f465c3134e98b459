ALTER TABLE orgs DROP COLUMN require_two_factor;
DROP TABLE passkeys;
DROP TABLE recovery_codes;
DROP TABLE totp_factors;
