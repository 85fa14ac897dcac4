-- 010: a narrow copy of the live memories' search vectors, for the text side of hybrid
-- retrieval (issue 11 item 4; measured in docs/retrieval.md, "Hybrid").
-- migrate:no-transaction
-- migrate:replaces ab8b0fa8b3270b187d2ce20e491359d34eb0f46187ba7fd08f2776f5c9e273e9
-- migrate:replaces 7c65f57eb4af912afba11543df33613260857bfc554a5654be2ec19e75e3d1bf
-- migrate:replaces fc684c2ca76c24c3536713eafb60b045641bd70a587abbe97cf892350c70e27d
--
-- learning_memories_text_top (009) ranks a large repo's candidate rows, found through the GIN
-- index, by the words in their search_tsv. Each candidate costs a visit to its heap row, and a
-- learning_memories row is ~2.6 kB (the inline halfvec, 002/007): 3 rows to a page, so a
-- candidate set of 3,000-9,000 rows (the GIN index does not know the repo) is as many pages.
-- On a B1ms server (shared_buffers 256 MB, smaller than the table plus its HNSW index) those
-- pages come from the page cache, and that copy was what kept the query over its 25 ms
-- target there. learning_memories_search holds only what the ranking reads, for live rows:
-- ~0.25 kB a row, ~35 to a page (21 MB and a 2.5 MB GIN index for 90,000 live memories of
-- the bench), so it stays in shared buffers.
--
-- It is kept by AFTER ROW triggers on learning_memories (so INSERT ... ON CONFLICT, COPY and
-- UPDATE ... RETURNING all keep it right; a row-level AFTER trigger sees only rows really
-- written). Invariant: learning_memories_search = (id, repo, search_tsv) of every row of
-- learning_memories with NOT stale. Nothing else writes it. The GIN index of
-- learning_memories.search_tsv stays: every other text query uses it.
--
-- The trigger function names the table with the schema the migration runs in (format %I
-- below), not through search_path: a writer's search_path cannot send the copy elsewhere, and
-- it costs nothing per row (SET search_path on a function would cost a GUC save and restore
-- on every call, i.e. every memory an import writes).

-- Online (issue 22; the file this replaces held LOCK TABLE ... SHARE ROW EXCLUSIVE while it
-- copied every live row: memory writes waited 2.2 s at 100,000 memories). The table and its
-- index are new (nobody waits for them); the triggers are created in one short transaction
-- (waited for at most 1.5 s at a time), so every write from then on keeps the copy; then the
-- rows that exist are copied 5,000 ids per transaction. Each batch reads its source rows FOR
-- SHARE: a concurrent UPDATE of such a row (stale = true) either committed before (the batch
-- then sees the new version, and skips a stale row) or waits until the batch commits (its
-- trigger then deletes the row the batch copied); ON CONFLICT skips rows a trigger copied first.

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

CREATE TABLE IF NOT EXISTS learning_memories_search (
  repo       text NOT NULL,
  id         bigint NOT NULL,   -- learning_memories.id (no FK: the triggers keep it, at no per-row check)
  search_tsv tsvector,
  -- (repo, id): one btree for the triggers' deletes (they know both) and for a repo's rows
  -- (counting them, ranking a small repo's); id alone is unique in learning_memories.
  CONSTRAINT learning_memories_search_pkey PRIMARY KEY (repo, id)
);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_search_search_tsv ON learning_memories_search USING gin (search_tsv);

DO $migration$
BEGIN
  EXECUTE pg_catalog.format($fn$
    CREATE OR REPLACE FUNCTION learning_memories_search_sync() RETURNS trigger
    LANGUAGE plpgsql AS $body$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE %1$I.learning_memories_search;
        RETURN NULL;
      END IF;
      IF TG_OP <> 'INSERT' AND NOT OLD.stale THEN
        DELETE FROM %1$I.learning_memories_search WHERE repo = OLD.repo AND id = OLD.id;
      END IF;
      IF TG_OP <> 'DELETE' AND NOT NEW.stale THEN
        INSERT INTO %1$I.learning_memories_search (repo, id, search_tsv) VALUES (NEW.repo, NEW.id, NEW.search_tsv);
      END IF;
      RETURN NULL;
    END
    $body$;$fn$, pg_catalog.current_schema());
END
$migration$;

-- WHEN clauses: an update that leaves the copied columns alone (or touches only stale rows)
-- queues no trigger event at all.
SELECT pg_temp.brief_ddl(ARRAY[
  'CREATE OR REPLACE TRIGGER learning_memories_search_insert AFTER INSERT ON learning_memories'
    || ' FOR EACH ROW WHEN (NOT NEW.stale) EXECUTE FUNCTION learning_memories_search_sync()',
  'CREATE OR REPLACE TRIGGER learning_memories_search_update AFTER UPDATE ON learning_memories'
    || ' FOR EACH ROW WHEN ((OLD.id, OLD.repo, OLD.stale, OLD.search_tsv) IS DISTINCT FROM'
    || ' (NEW.id, NEW.repo, NEW.stale, NEW.search_tsv) AND NOT (OLD.stale AND NEW.stale))'
    || ' EXECUTE FUNCTION learning_memories_search_sync()',
  'CREATE OR REPLACE TRIGGER learning_memories_search_delete AFTER DELETE ON learning_memories'
    || ' FOR EACH ROW WHEN (NOT OLD.stale) EXECUTE FUNCTION learning_memories_search_sync()',
  'CREATE OR REPLACE TRIGGER learning_memories_search_truncate AFTER TRUNCATE ON learning_memories'
    || ' FOR EACH STATEMENT EXECUTE FUNCTION learning_memories_search_sync()']);

CALL pg_temp.in_batches('learning_memories', 'INSERT INTO learning_memories_search (repo, id, search_tsv)'
  || ' SELECT repo, id, search_tsv FROM learning_memories WHERE id >= $1 AND id < $2 AND NOT stale FOR SHARE'
  || ' ON CONFLICT DO NOTHING', 5000);

-- learning_memories_text_top as in 009, but reading learning_memories_search instead of
-- learning_memories: its narrow rows (live ones only) and their GIN index for a large repo, the
-- repo's rows through the primary key for repos of up to 3,000 live rows (009 counted stale
-- rows too). Counting a repo's rows had cost 10-22 ms on B1ms for a large repo: the planner
-- read its wide rows (a sequential scan or 008's index and the heap) to count 3,001 of them.
CREATE OR REPLACE FUNCTION learning_memories_text_top(config regconfig, words text, repos text[], n integer)
RETURNS TABLE (id bigint, rnk bigint)
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
DECLARE
  singles tsquery[];   -- one tsquery per distinct word
  occurrences text;    -- SQL: how often the words occur in m.search_tsv
  small boolean;
  k integer;
  tier tsquery;
  ids bigint[];
  total bigint;
BEGIN
  SELECT pg_catalog.array_agg(('''' || pg_catalog.replace(pg_catalog.replace(t.lexeme, '\', '\\'), '''', '''''') || '''')::pg_catalog.tsquery)
    INTO singles FROM pg_catalog.unnest(pg_catalog.to_tsvector(config, words)) AS t;
  IF singles IS NULL THEN RETURN; END IF;  -- no word (only stop words): no row matches
  SELECT pg_catalog.string_agg(pg_catalog.format('pg_catalog.round(10 * pg_catalog.ts_rank_cd(m.search_tsv, $4[%s]))', i), ' + ')
    INTO occurrences FROM pg_catalog.generate_series(1, pg_catalog.cardinality(singles)) AS i;
  SELECT pg_catalog.count(*) <= 3000 INTO small FROM (SELECT FROM learning_memories_search s WHERE s.repo = ANY (repos) LIMIT 3001) AS x;
  k := CASE WHEN small THEN 1 ELSE LEAST(8, pg_catalog.cardinality(singles)) END;
  LOOP
    tier := tsquery_at_least(config, words, k);  -- a value: the bitmap heap scan never re-runs the function
    -- OFFSET 0 keeps the other conditions out of the subquery, so it is scanned by that one index
    EXECUTE pg_catalog.format(
      'SELECT pg_catalog.array_agg(x.id ORDER BY x.occ DESC, x.id), pg_catalog.max(x.total) FROM ('
      || 'SELECT m.id, %s AS occ, pg_catalog.count(*) OVER () AS total FROM ('
      || 'SELECT l.id, l.repo, l.search_tsv FROM learning_memories_search l WHERE %s OFFSET 0) AS m'
      || ' WHERE %s ORDER BY occ DESC, m.id LIMIT $3) AS x', occurrences,
      CASE WHEN small THEN 'l.repo = ANY ($1)' ELSE 'l.search_tsv @@ $2' END,
      CASE WHEN small THEN 'm.search_tsv @@ $2' ELSE 'm.repo = ANY ($1)' END)
      INTO ids, total USING repos, tier, n, singles;
    EXIT WHEN k <= 1 OR total >= 4 * n;
    -- a set far smaller than needed: the next one is too (sizes grow ~10x a step); skip it, unless that
    -- would reach any-word (k = 1), the largest
    k := CASE WHEN coalesce(total, 0) * 10 < 4 * n AND k > 3 THEN k - 2 ELSE k - 1 END;
  END LOOP;
  RETURN QUERY SELECT u.id, u.rnk FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u (id, rnk);
END
$$;
