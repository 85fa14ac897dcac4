-- 006: the session settings every client of this database relies on, as defaults of the
-- database itself (ALTER DATABASE ... SET). Every new server connection starts with them,
-- whoever opens it: DbClient (pgjdbc), the bot (postgres.js), a connection pooler such as
-- PgBouncer or Azure's built-in one, in transaction or session mode. That is why they are not
-- sent by the clients: PgBouncer refuses settings in the startup packet (`options`), or drops
-- them when told to ignore it, and a session SET does not follow a client from transaction to
-- transaction through a transaction pooler (docs/pooler.md).
--
--   statement_timeout 5min, lock_timeout 10s, idle_in_transaction_session_timeout 2min:
--     the limits DbClient used to send; migrate sets its own (no statement timeout).
--   plan_cache_mode force_custom_plan, hnsw.ef_search 100, hnsw.iterative_scan relaxed_order:
--     the retrieval settings measured in docs/retrieval.md.
--
-- They apply to sessions that start after this commits; a pooler's open server connections keep
-- the old values until they reconnect (PgBouncer: server_lifetime, or RECONNECT on its console).
-- A role-level setting (ALTER ROLE ... SET) or a client's own SET still wins over these.
--
-- Runs as the database owner or a member of the owning role (Azure: the server admin that
-- created the database); no superuser needed. Measured on PostgreSQL 15 and 17: a non-superuser
-- owner may set all six, but pgvector's hnsw.* only once pgvector's library is loaded in the
-- session ("permission denied to set parameter" before that): the cast below loads it.

SELECT '[0]'::vector;

DO $$
DECLARE
  db text := current_database();
BEGIN
  IF NOT pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = db), 'MEMBER') THEN
    RAISE EXCEPTION 'migration 006 sets defaults of database %, which only its owner may do; % is not the owner', db, current_user
      USING HINT = format('run the migrations as the owner of %I, or make %I its owner: ALTER DATABASE %I OWNER TO %I',
                          db, current_user, db, current_user);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'hnsw.iterative_scan') THEN
    RAISE EXCEPTION 'pgvector % has no iterative index scans (hnsw.iterative_scan); 0.8.0 or newer is needed',
      (SELECT extversion FROM pg_extension WHERE extname = 'vector')
      USING HINT = 'install pgvector >= 0.8 on the server, then: ALTER EXTENSION vector UPDATE';
  END IF;
  EXECUTE format('ALTER DATABASE %I SET statement_timeout = %L', db, '5min');
  EXECUTE format('ALTER DATABASE %I SET lock_timeout = %L', db, '10s');
  EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = %L', db, '2min');
  EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = %L', db, 'force_custom_plan');
  EXECUTE format('ALTER DATABASE %I SET hnsw.ef_search = %L', db, '100');
  EXECUTE format('ALTER DATABASE %I SET hnsw.iterative_scan = %L', db, 'relaxed_order');
END
$$;
