-- Revocation without a read per request (postgres flavour; keep in step with ../../sqlite).
-- Every change of the auth generation is announced on the channel latchkey_auth (payload: the
-- new generation), delivered at commit. Each `latchkey serve` listens, drops its cached keys,
-- and acknowledges the generation in api_instances; a request that revokes or deactivates a key
-- waits until every live instance (heartbeat in the last 5 s) has acknowledged its commit.
CREATE OR REPLACE FUNCTION bump_auth_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    generation BIGINT;
BEGIN
    UPDATE auth_generation SET n = n + 1 WHERE id = 1 RETURNING n INTO generation;
    PERFORM pg_notify('latchkey_auth', generation::text);
    RETURN NULL;
END;
$$;

CREATE TABLE api_instances (
    id TEXT PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL,
    acked_generation BIGINT NOT NULL
);
