-- 007: learning_memories.embedding becomes halfvec(1024), stored inline: the column the bot
-- orders by (`ORDER BY embedding <=> $1::vector`) is the compact one (issue 22).
-- migrate:no-transaction
-- migrate:replaces b812d388e925dace0d5709e6a9f2380a1b8f685b0fb1dad08821a20893ed6400
--
-- pgvector declares the cast vector -> halfvec implicit, so the bot's unchanged queries resolve
-- to halfvec <=> halfvec and the planner serves them with the per-repo HNSW indexes of
-- `indexes@kodiai` (halfvec_cosine_ops) or migration 008's btree; its writes (`$1::vector`) are
-- assignment-cast. The float32 vector goes: nothing reads it, and at 5.2 kB of TOAST a row it
-- was two thirds of the table. Measured in docs/retrieval.md.
--
-- This file replaces the 007 that added a generated halfvec copy (a table rewrite) and built
-- its HNSW index in one transaction under ACCESS EXCLUSIVE: 375 s at 100,000 memories, every
-- read and write of the table waiting. A database that applied that one keeps it as applied,
-- and migration 011 brings its layout to this one (the same swap, without a rewrite).
--
-- Online: migration 002 filled the copy `embedding_half` in batches and keeps it by trigger;
-- a database that applied the earlier 002 (a float32 index, no copy) gets the copy here first,
-- the same way. Then one short transaction swaps it in, catalog changes only (waited for at most
-- 1.5 s at a time): the trigger goes, the float32 column goes (with its CHECK and any float32
-- index; its TOAST values are left in place and freed as rows are rewritten), the copy takes
-- the name `embedding`. Indexes on the copy (per-repo ones) follow the rename. The CHECK comes
-- back NOT VALID and is validated after, under a lock that blocks no read or write.

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

-- The earlier 002's float32 index goes first (the swap would drop it with its column anyway):
-- the copy's batches below would otherwise update it row by row. CONCURRENTLY.
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_embedding_hnsw;

-- The copy, where the earlier 002 left none (each statement is a no-op where 002 ran).
-- Only where it is missing: each of these waits for a lock on the table.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'learning_memories'::regclass AND attname = 'embedding_half'
                 AND NOT attisdropped) THEN
    PERFORM pg_temp.brief_ddl(ARRAY[
      'ALTER TABLE learning_memories ADD COLUMN IF NOT EXISTS embedding_half halfvec(1024)',
      'ALTER TABLE learning_memories ALTER COLUMN embedding_half SET STORAGE PLAIN',
      'ALTER TABLE learning_memories SET (toast_tuple_target = 4080)']);
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION learning_memories_embedding_half_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.embedding_half := NEW.embedding::halfvec(1024);
  RETURN NEW;
END
$$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'learning_memories'::regclass
                 AND tgname = 'learning_memories_embedding_half_sync') THEN
    PERFORM pg_temp.brief_ddl(ARRAY['CREATE TRIGGER learning_memories_embedding_half_sync'
      || ' BEFORE INSERT OR UPDATE OF embedding, embedding_half ON learning_memories'
      || ' FOR EACH ROW EXECUTE FUNCTION learning_memories_embedding_half_sync()']);
  END IF;
END
$$;

-- 002's comment says the copy is complete; without it, fill it (a pass over every row).
DO $$
BEGIN
  IF pg_catalog.col_description('learning_memories'::regclass,
       (SELECT attnum FROM pg_attribute WHERE attrelid = 'learning_memories'::regclass AND attname = 'embedding_half'))
     IS DISTINCT FROM 'embedding as halfvec(1024), stored inline (PLAIN), kept by trigger learning_memories_embedding_half_sync; complete (every row copied); 007 makes it the embedding column.' THEN
    CALL pg_temp.in_batches('learning_memories', 'UPDATE learning_memories SET embedding_half = embedding::halfvec(1024)'
      || ' WHERE id >= $1 AND id < $2 AND embedding IS NOT NULL AND embedding_half IS NULL', 2000);
  END IF;
END
$$;

-- The swap.
SELECT pg_temp.brief_ddl(ARRAY[
  'DROP TRIGGER learning_memories_embedding_half_sync ON learning_memories',
  'DROP FUNCTION learning_memories_embedding_half_sync()',
  'ALTER TABLE learning_memories DROP COLUMN embedding',
  'ALTER TABLE learning_memories RENAME COLUMN embedding_half TO embedding',
  'ALTER TABLE learning_memories ADD CONSTRAINT learning_memories_embedding_dim_check'
    || ' CHECK (embedding IS NULL OR vector_dims(embedding) = embedding_dim) NOT VALID']);

-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE learning_memories VALIDATE CONSTRAINT learning_memories_embedding_dim_check;

COMMENT ON COLUMN learning_memories.embedding IS
  'Voyage embedding as halfvec(1024), stored inline (PLAIN); the bot writes $1::vector (assignment cast) and orders by embedding <=> $1::vector (implicit cast): per-repo HNSW indexes (indexes@kodiai) and the exact plan serve it.';
