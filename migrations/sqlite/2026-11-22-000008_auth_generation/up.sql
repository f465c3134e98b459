-- PostgreSQL keeps a counter bumped by triggers on api_keys and orgs, which
-- API servers read to validate their key cache (see ../../postgres). SQLite
-- needs none: its WAL index changes on every commit (src/api/key_cache.rs).
-- This version exists so both backends have the same migration list.
SELECT 1;
