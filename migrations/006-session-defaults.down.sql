-- Inverse of 006: the database's session defaults go back to the server's (RESET removes
-- exactly the six settings 006 set; settings of roles and other databases are untouched).
-- As in 006, pgvector's library is loaded first so that its hnsw.* settings are known.

SELECT '[0]'::vector;

DO $$
DECLARE
  db text := current_database();
  setting text;
BEGIN
  FOREACH setting IN ARRAY ARRAY['statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout',
                                 'plan_cache_mode', 'hnsw.ef_search', 'hnsw.iterative_scan'] LOOP
    EXECUTE format('ALTER DATABASE %I RESET %s', db, setting);
  END LOOP;
END
$$;
