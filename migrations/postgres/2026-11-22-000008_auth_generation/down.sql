DROP TRIGGER orgs_bump_auth_generation ON orgs;
DROP TRIGGER api_keys_bump_auth_generation ON api_keys;
DROP FUNCTION bump_auth_generation();
DROP TABLE auth_generation;
