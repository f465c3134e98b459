-- A counter that changes, at commit, whenever a key or an organisation changes
-- (PostgreSQL flavour; keep in step with ../../sqlite). API servers cache
-- authenticated keys and re-read this one row, once per batch of waiting
-- requests, to know whether their cache is still valid (src/api/key_cache.rs).
-- The triggers are deferred constraint triggers: they run at commit, after
-- every other lock of the transaction was taken, so the row lock on the
-- counter cannot take part in a deadlock.
CREATE TABLE auth_generation (
    id INTEGER PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO auth_generation (id, n) VALUES (1, 0);

CREATE FUNCTION bump_auth_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_generation SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER api_keys_bump_auth_generation
    AFTER INSERT OR UPDATE OR DELETE ON api_keys
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_auth_generation();

CREATE CONSTRAINT TRIGGER orgs_bump_auth_generation
    AFTER INSERT OR UPDATE OR DELETE ON orgs
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_auth_generation();
