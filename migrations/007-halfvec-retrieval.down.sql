-- Inverse of 007: the float32 column `embedding` again, with the halfvec one beside it as the
-- copy 002 keeps (`embedding_half`, its trigger), exactly as after 006. Online, like 007:
--   1. a float32 column `embedding_f32` (catalog only), kept from the halfvec by a trigger;
--   2. filled in batches; the float32 values are the halfvec ones widened (exactly: every half
--      is a float), the original float32 precision is gone since 007;
--   3. one short transaction swaps the names and the trigger's direction (catalog only);
--   4. the CHECK on the float32 column, validated under a lock that blocks no read or write.
-- The per-repo HNSW indexes of `indexes@kodiai` stay: they are on the halfvec column, which
-- keeps its data and takes the name `embedding_half` (its indexes follow the rename).
-- migrate:no-transaction

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

SELECT pg_temp.brief_ddl(ARRAY['ALTER TABLE learning_memories ADD COLUMN IF NOT EXISTS embedding_f32 vector(1024)']);

CREATE OR REPLACE FUNCTION learning_memories_embedding_f32_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.embedding_f32 := NEW.embedding::vector(1024);
  RETURN NEW;
END
$$;

SELECT pg_temp.brief_ddl(ARRAY['CREATE OR REPLACE TRIGGER learning_memories_embedding_f32_sync'
  || ' BEFORE INSERT OR UPDATE OF embedding, embedding_f32 ON learning_memories'
  || ' FOR EACH ROW EXECUTE FUNCTION learning_memories_embedding_f32_sync()']);

CALL pg_temp.in_batches('learning_memories', 'UPDATE learning_memories SET embedding_f32 = embedding::vector(1024)'
  || ' WHERE id >= $1 AND id < $2 AND embedding IS NOT NULL AND embedding_f32 IS NULL', 2000);

-- 002's trigger function, as 002 creates it (the swap attaches it again).
CREATE OR REPLACE FUNCTION learning_memories_embedding_half_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.embedding_half := NEW.embedding::halfvec(1024);
  RETURN NEW;
END
$$;

SELECT pg_temp.brief_ddl(ARRAY[
  'DROP TRIGGER learning_memories_embedding_f32_sync ON learning_memories',
  'DROP FUNCTION learning_memories_embedding_f32_sync()',
  'ALTER TABLE learning_memories DROP CONSTRAINT learning_memories_embedding_dim_check',
  'ALTER TABLE learning_memories RENAME COLUMN embedding TO embedding_half',
  'ALTER TABLE learning_memories RENAME COLUMN embedding_f32 TO embedding',
  'CREATE TRIGGER learning_memories_embedding_half_sync'
    || ' BEFORE INSERT OR UPDATE OF embedding, embedding_half ON learning_memories'
    || ' FOR EACH ROW EXECUTE FUNCTION learning_memories_embedding_half_sync()',
  'ALTER TABLE learning_memories ADD CONSTRAINT learning_memories_embedding_dim_check'
    || ' CHECK (embedding IS NULL OR vector_dims(embedding) = embedding_dim) NOT VALID']);

-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE learning_memories VALIDATE CONSTRAINT learning_memories_embedding_dim_check;

COMMENT ON COLUMN learning_memories.embedding IS 'Voyage AI embedding, 1024 dims, compared by cosine distance (<=>); HNSW index in 002.';
COMMENT ON COLUMN learning_memories.embedding_half IS
  'embedding as halfvec(1024), stored inline (PLAIN), kept by trigger learning_memories_embedding_half_sync; complete (every row copied); 007 makes it the embedding column.';
