-- 002: the half-precision copy of the embedding that becomes the column the bot orders by
-- (issue 22). 007 swaps it in under the name `embedding`; until then it is a shadow of the
-- float32 column, kept by a trigger.
-- migrate:no-transaction
-- migrate:replaces 383ad191a9e66f58b9868d74363f3d4c75f92e8a5dd6a2b061658129fecef56b
--
-- This file replaces the 002 that built a float32 HNSW index in one transaction (a SHARE lock:
-- every memory insert waited for the whole build). A database that applied that one keeps it
-- as applied; 007 drops its index with the float32 column. No index here: retrieval is served
-- by the per-repo HNSW indexes of `indexes@kodiai` on the halfvec column and by migration 008's
-- btree (docs/retrieval.md).
--
-- Online (docs/migrate.md, "Online migrations"): no statement holds a lock that blocks the
-- bot's reads or writes for more than a moment.
--   1. the column, its storage and the table's TOAST target: catalog changes only (no rewrite),
--      one short ACCESS EXCLUSIVE lock, waited for at most 1.5 s at a time;
--   2. the trigger that keeps it for every row written from then on (a short SHARE ROW
--      EXCLUSIVE lock);
--   3. the rows that exist, 2,000 per transaction (row locks of one batch at a time);
--   4. the comment marks the copy complete (007 reads it).
--
-- Stored PLAIN, inside the row (2,056 bytes, three rows to an 8 kB page): an exact scan of a
-- small repo reads one heap page per row, where the float32 vector (4,100 bytes, always out of
-- line) costs a TOAST probe and three chunk reads per row. With it a row is ~2.6 kB, above the
-- 2 kB at which PostgreSQL starts moving values out of line; a TOAST target of 4 kB keeps
-- finding_text and search_tsv inline (hybrid retrieval reads thousands of search_tsv).

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

-- pg_temp.in_batches(table, statement, batch): runs `statement` for consecutive id ranges
-- [$1, $2) of `table` up to its largest id, committing after each range, so no row lock is
-- held longer than one batch; a batch that meets a lock (lock_timeout 1 s) or a deadlock is
-- retried after a pause. COMMIT inside a procedure works only outside a transaction block:
-- hence `-- migrate:no-transaction` (the runner then sends each statement on its own).
CREATE PROCEDURE pg_temp.in_batches(tbl text, statement text, batch integer) LANGUAGE plpgsql AS $fn$
DECLARE
  lo bigint;
  top bigint;
  tries integer;
BEGIN
  EXECUTE pg_catalog.format('SELECT min(id), max(id) FROM %s', tbl) INTO lo, top;
  WHILE lo <= top LOOP
    tries := 0;
    LOOP
      BEGIN
        PERFORM pg_catalog.set_config('lock_timeout', '1s', true);
        EXECUTE statement USING lo, lo + batch;
        EXIT;
      EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
        tries := tries + 1;
        IF tries >= 600 THEN RAISE; END IF;
        PERFORM pg_catalog.pg_sleep(0.2);
      END;
    END LOOP;
    COMMIT;
    lo := lo + batch;
  END LOOP;
END
$fn$;

SELECT pg_temp.brief_ddl(ARRAY[
  'ALTER TABLE learning_memories ADD COLUMN IF NOT EXISTS embedding_half halfvec(1024)',
  'ALTER TABLE learning_memories ALTER COLUMN embedding_half SET STORAGE PLAIN',
  'ALTER TABLE learning_memories SET (toast_tuple_target = 4080)']);

-- Schema-qualified calls: the function must not change meaning with the writer's search_path.
CREATE OR REPLACE FUNCTION learning_memories_embedding_half_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.embedding_half := NEW.embedding::halfvec(1024);
  RETURN NEW;
END
$$;

-- BEFORE, so the row is written once with its copy; UPDATE OF embedding_half too, so that a
-- direct write to the copy is overwritten with the value derived from the embedding.
SELECT pg_temp.brief_ddl(ARRAY['CREATE OR REPLACE TRIGGER learning_memories_embedding_half_sync'
  || ' BEFORE INSERT OR UPDATE OF embedding, embedding_half ON learning_memories'
  || ' FOR EACH ROW EXECUTE FUNCTION learning_memories_embedding_half_sync()']);

CALL pg_temp.in_batches('learning_memories', 'UPDATE learning_memories SET embedding_half = embedding::halfvec(1024)'
  || ' WHERE id >= $1 AND id < $2 AND embedding IS NOT NULL AND embedding_half IS NULL', 2000);

COMMENT ON COLUMN learning_memories.embedding_half IS
  'embedding as halfvec(1024), stored inline (PLAIN), kept by trigger learning_memories_embedding_half_sync; complete (every row copied); 007 makes it the embedding column.';
