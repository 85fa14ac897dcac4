-- 003: full-text search on findings.title and learning_memories.finding_text,
-- for hybrid retrieval (ts_rank_cd fused with vector distance).
-- migrate:no-transaction
-- migrate:replaces ddc434a7f0e3e47faab7ad6a022b1638dd06063f622ea046e08460c145394740
--
-- A stored tsvector column kept by a trigger (rather than an expression
-- index): queries and ts_rank_cd read the column instead of re-parsing the
-- text of every candidate row.
-- The text search configuration is named explicitly ('english': titles and
-- finding texts are English prose), never taken from default_text_search_config,
-- so the stored vectors do not depend on a server or session setting.
-- Queries must use the same configuration:
--   WHERE search_tsv @@ websearch_to_tsquery('english', $1)
--
-- Online (issue 22; this file replaces one that filled and indexed both tables in one
-- transaction under ACCESS EXCLUSIVE locks). Per table: add the column (catalog only, a short
-- lock waited for at most 1.5 s at a time), the trigger (new rows get their vector), fill the
-- rows that exist 5,000 per transaction, then build the GIN index CONCURRENTLY. A database
-- that applied the earlier file has the same objects.

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


-- ------------------------------------------------------------------- findings
SELECT pg_temp.brief_ddl(ARRAY['ALTER TABLE findings ADD COLUMN IF NOT EXISTS search_tsv tsvector']);

-- Schema-qualified calls: the function must not change meaning with the
-- caller's search_path.
CREATE OR REPLACE FUNCTION findings_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.title);
  RETURN NEW;
END
$$;

-- BEFORE, so the row is written once with its vector. UPDATE OF title fires
-- only when title is assigned (other updates, e.g. suppressed = true, skip the
-- re-parse); search_tsv is listed too, so a direct write to the column is
-- overwritten with the value derived from the title instead of drifting.
SELECT pg_temp.brief_ddl(ARRAY['CREATE OR REPLACE TRIGGER findings_search_tsv_trigger'
  || ' BEFORE INSERT OR UPDATE OF title, search_tsv ON findings'
  || ' FOR EACH ROW EXECUTE FUNCTION findings_search_tsv_update()']);

-- The trigger computes the value (search_tsv is assigned).
CALL pg_temp.in_batches('findings',
  'UPDATE findings SET search_tsv = NULL WHERE id >= $1 AND id < $2 AND search_tsv IS NULL', 5000);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_findings_search_tsv ON findings USING gin (search_tsv);

COMMENT ON COLUMN findings.search_tsv IS
  'to_tsvector(''english'', title), kept by trigger findings_search_tsv_trigger; query with websearch_to_tsquery(''english'', ...).';

-- ---------------------------------------------------------- learning_memories
SELECT pg_temp.brief_ddl(ARRAY['ALTER TABLE learning_memories ADD COLUMN IF NOT EXISTS search_tsv tsvector']);

CREATE OR REPLACE FUNCTION learning_memories_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.finding_text);
  RETURN NEW;
END
$$;

SELECT pg_temp.brief_ddl(ARRAY['CREATE OR REPLACE TRIGGER learning_memories_search_tsv_trigger'
  || ' BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories'
  || ' FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update()']);

CALL pg_temp.in_batches('learning_memories',
  'UPDATE learning_memories SET search_tsv = NULL WHERE id >= $1 AND id < $2 AND search_tsv IS NULL', 2000);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_search_tsv ON learning_memories USING gin (search_tsv);

COMMENT ON COLUMN learning_memories.search_tsv IS
  'to_tsvector(''english'', finding_text), kept by trigger learning_memories_search_tsv_trigger; query with websearch_to_tsquery(''english'', ...).';
