-- 011: the owner query's repo counts from an index; and a database that applied the earlier
-- 007 (a generated halfvec copy and a global HNSW index on it) takes the layout of today's
-- 007 (issue 22).
-- migrate:no-transaction
--
-- kodiai's retrieveMemoriesForOwner first counts the live memories of each repo of an owner
-- (`WHERE owner = $2 AND repo != $3 AND stale = false GROUP BY repo`), then takes a top-k per
-- repo. The count read every row of the owner from the heap, and the planner took a sequential
-- scan of the whole table for a large owner (113 ms warm at 100,000 memories); this index
-- answers it from the index alone (1.5-7.6 ms), and its INCLUDE column cannot be picked for the
-- per-repo scans, which 008's btree serves.
--
-- The earlier 007's layout: `embedding_half` generated from the float32 `embedding`, its HNSW
-- index, and the per-repo indexes of `indexes@kodiai` on it. One short transaction (catalog
-- changes only, no rewrite; waited for at most 1.5 s at a time) makes the copy a plain column,
-- drops the float32 column and renames the copy `embedding`; the per-repo indexes follow the
-- rename. The global HNSW index goes CONCURRENTLY: the per-repo indexes and the exact plan serve
-- every repo (docs/retrieval.md measures why a global index hurts: the planner takes it for a
-- repo of 600-3,000 rows and for the owner query's per-repo scans, where the repo filter
-- discards most of what it yields). Where 007 ran as it is today, only the index is new.
-- The float32 values' TOAST stays on disk until rows are rewritten (VACUUM FULL or pg_repack
-- return it; docs/migrate.md).

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot's reads or writes
-- (function definitions, comments, VALIDATE, concurrent index builds and drops: SHARE UPDATE
-- EXCLUSIVE at most) and may wait for older transactions: no lock timeout for them.
SET lock_timeout = 0;

-- pg_temp.brief_ddl(statements): runs the statements in one transaction that waits at most
-- 1.5 s for its locks; on a lock timeout it lets go, sleeps 0.5 s and tries again (up to
-- 40 minutes). A DDL statement waiting for a lock blocks every later reader and writer of the
-- table behind it, so it must never wait long; the bot's own queries wait at most that long.
-- Longer than deadlock_timeout (1 s): a waiter that long makes PostgreSQL cancel an autovacuum
-- holding the table (a 500 ms wait never did: measured at 1,000,000 memories, 10 minutes of
-- retries behind a VACUUM of the TOAST table).
-- (A temporary function: it vanishes with this session and is called schema-qualified.)
CREATE FUNCTION pg_temp.brief_ddl(statements text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  s text;
BEGIN
  FOR attempt IN 1..1200 LOOP
    BEGIN
      PERFORM pg_catalog.set_config('lock_timeout', '1500ms', true);
      FOREACH s IN ARRAY statements LOOP EXECUTE s; END LOOP;
      RETURN;
    EXCEPTION WHEN lock_not_available THEN
      IF attempt = 1200 THEN RAISE; END IF;
      PERFORM pg_catalog.pg_sleep(0.5);
    END;
  END LOOP;
END
$fn$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'learning_memories'::regclass AND attname = 'embedding_half'
             AND attgenerated = 's' AND NOT attisdropped) THEN
    PERFORM pg_temp.brief_ddl(ARRAY[
      'ALTER TABLE learning_memories ALTER COLUMN embedding_half DROP EXPRESSION',
      'ALTER TABLE learning_memories DROP COLUMN embedding',
      'ALTER TABLE learning_memories RENAME COLUMN embedding_half TO embedding',
      'ALTER TABLE learning_memories ADD CONSTRAINT learning_memories_embedding_dim_check'
        || ' CHECK (embedding IS NULL OR vector_dims(embedding) = embedding_dim) NOT VALID']);
  END IF;
END
$$;

-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE learning_memories VALIDATE CONSTRAINT learning_memories_embedding_dim_check;

COMMENT ON COLUMN learning_memories.embedding IS
  'Voyage embedding as halfvec(1024), stored inline (PLAIN); the bot writes $1::vector (assignment cast) and orders by embedding <=> $1::vector (implicit cast): per-repo HNSW indexes (indexes@kodiai) and the exact plan serve it.';

DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_embedding_half_hnsw;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_owner_live
  ON learning_memories (owner) INCLUDE (repo) WHERE NOT stale;
COMMENT ON INDEX idx_learning_memories_owner_live IS
  'The live memories of an owner with their repo: the repo counts of the owner query (kodiai retrieveMemoriesForOwner) from the index alone.';
