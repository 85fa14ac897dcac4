-- 070: learning_memories partitioned by repo, online (issue 22, the owner query; docs/retrieval.md).
-- migrate:no-transaction
--
-- kodiai's retrieveMemoriesForOwner reads each of an owner's repos in a LATERAL (`m.repo = ar.repo`, a
-- value known only at run time): no per-repo partial index can serve it, and a large repo among the five
-- was scanned exactly (78 ms on-CPU p95). Partitioned by LIST (repo), the executor prunes the LATERAL's
-- scan to that repo's partition for each outer row, and the partition has its own HNSW index on its
-- live rows. A partition of its own for each repo with more than 3,000 live memories (with an embedding)
-- when this runs; every other repo in learning_memories_default, served exactly by 008's btree, and by
-- `indexes sync`'s per-repo partial HNSW indexes on that partition once it grows past 3,000 (the constant
-- `repo = $2` of retrieveMemories proves their predicate). Moving a repo out of the default partition later
-- is a maintenance-window step (docs/retrieval.md).
--
-- The same columns, defaults, CHECKs, comments, triggers and grants; `id` keeps its identity and sequence.
-- A unique key must hold the partition key: the primary key becomes (repo, id), with a btree on id for
-- lookups by id (the bot updates and deletes by id); the bot's ON CONFLICT target (repo, finding_id,
-- outcome) already holds it. No table references learning_memories(id).
--
-- Online, with the kit's copy technique (from-kodiai/online-kit.sql, "Added with 070"): the new table is
-- created empty with its primary key; the rows are copied in id batches; its other indexes are built then,
-- with plain CREATE INDEX (no one uses the new table yet; CREATE INDEX CONCURRENTLY is refused on a
-- partitioned table and cannot run from a function, and the partitions depend on the data; building an
-- HNSW graph costs a sixth of maintaining it row by row); then a mirror trigger on the old table keeps the
-- new one equal, two batched passes reconcile what the bot changed during the copy, every row is compared,
-- and the names are swapped in one transaction that waits at most 1.5 s for its locks (brief_ddl: retried).
-- Each step checks whether it is done: a run killed midway resumes with `migrate resolve 70 --rolled-back`
-- then `up` (nothing to undo by hand). The new table doubles the memories' disk space until the swap.
-- adopt: online-kit
SET lock_timeout = '1s';

-- The table's triggers, as 003 and 010 create them (their text, not pg_get_triggerdef's, which prints 010's
-- row comparison as an OR chain: created from it, the catalog would differ from a database that never ran 070).
CREATE OR REPLACE FUNCTION pg_temp.lm_triggers() RETURNS text[] LANGUAGE sql AS $fn$
  SELECT ARRAY[
    'CREATE TRIGGER learning_memories_search_tsv_trigger BEFORE INSERT OR UPDATE OF finding_text, search_tsv'
      || ' ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update()',
    'CREATE TRIGGER learning_memories_search_insert AFTER INSERT ON learning_memories'
      || ' FOR EACH ROW WHEN (NOT NEW.stale) EXECUTE FUNCTION learning_memories_search_sync()',
    'CREATE TRIGGER learning_memories_search_update AFTER UPDATE ON learning_memories'
      || ' FOR EACH ROW WHEN ((OLD.id, OLD.repo, OLD.stale, OLD.search_tsv) IS DISTINCT FROM'
      || ' (NEW.id, NEW.repo, NEW.stale, NEW.search_tsv) AND NOT (OLD.stale AND NEW.stale))'
      || ' EXECUTE FUNCTION learning_memories_search_sync()',
    'CREATE TRIGGER learning_memories_search_delete AFTER DELETE ON learning_memories'
      || ' FOR EACH ROW WHEN (NOT OLD.stale) EXECUTE FUNCTION learning_memories_search_sync()',
    'CREATE TRIGGER learning_memories_search_truncate AFTER TRUNCATE ON learning_memories'
      || ' FOR EACH STATEMENT EXECUTE FUNCTION learning_memories_search_sync()']
$fn$;

-- The new table and its partitions, empty, with the primary key the copy's ON CONFLICT needs.
CREATE OR REPLACE PROCEDURE pg_temp.lm_prepare() LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  p text;
BEGIN
  IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass('learning_memories')) = 'p'
     OR pg_catalog.to_regclass('learning_memories_part') IS NOT NULL THEN
    RETURN;
  END IF;
  CREATE TABLE learning_memories_part (LIKE learning_memories INCLUDING DEFAULTS INCLUDING CONSTRAINTS
    INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION INCLUDING STATISTICS) PARTITION BY LIST (repo);
  EXECUTE pg_catalog.format('COMMENT ON TABLE learning_memories_part IS %L',
    pg_catalog.obj_description('learning_memories'::regclass, 'pg_class'));
  FOR r IN SELECT repo FROM learning_memories WHERE NOT stale AND embedding IS NOT NULL
           GROUP BY repo HAVING count(*) > 3000 ORDER BY repo LOOP
    p := 'learning_memories_repo_' || pg_catalog.left(pg_catalog.md5(r.repo), 16);
    EXECUTE pg_catalog.format('CREATE TABLE %I PARTITION OF learning_memories_part FOR VALUES IN (%L)'
      || ' WITH (toast_tuple_target = 4080, autovacuum_enabled = false)', p, r.repo);
    EXECUTE pg_catalog.format('COMMENT ON TABLE %I IS %L', p, 'learning_memories of repo ' || r.repo
      || ' (migration 070: a partition per repo over 3,000 live memories)');
  END LOOP;
  -- No autovacuum of the copy until the swap: the swap must get the copy's lock at once while it holds the
  -- table's (an autovacuum is cancelled only after deadlock_timeout, and the bot would wait meanwhile).
  CREATE TABLE learning_memories_default PARTITION OF learning_memories_part DEFAULT
    WITH (toast_tuple_target = 4080, autovacuum_enabled = false);
  COMMENT ON TABLE learning_memories_default IS
    'learning_memories of every repo without a partition of its own (migration 070)';
  ALTER TABLE learning_memories_part ADD CONSTRAINT learning_memories_part_pkey PRIMARY KEY (repo, id);
  COMMIT;
END
$fn$;

-- The rows, then the other indexes (no one uses the new table yet: plain builds, nothing waits), then the mirror.
CREATE OR REPLACE PROCEDURE pg_temp.lm_fill() LANGUAGE plpgsql AS $fn$
DECLARE
  p text;
BEGIN
  IF pg_catalog.to_regclass('learning_memories_part') IS NULL OR pg_temp.has_mirror('learning_memories') THEN
    RETURN;
  END IF;
  CALL pg_temp.copy_rows('learning_memories', 'learning_memories_part', 5000);
  -- A finding the bot deleted and wrote again during the copy may be there twice: both go (the reconcile
  -- copies the one that is in learning_memories back).
  DELETE FROM learning_memories_part m USING (SELECT repo, finding_id, outcome FROM learning_memories_part
    WHERE finding_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d
  WHERE m.repo = d.repo AND m.finding_id = d.finding_id AND m.outcome = d.outcome;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conname = 'learning_memories_part_rfo_key') THEN
    ALTER TABLE learning_memories_part ADD CONSTRAINT learning_memories_part_rfo_key
      UNIQUE (repo, finding_id, outcome);
  END IF;
  CREATE INDEX IF NOT EXISTS idx_learning_memories_id ON learning_memories_part (id);
  CREATE INDEX IF NOT EXISTS idx_learning_memories_owner_part ON learning_memories_part (owner);
  -- 011's index with repo as a key column: each partition yields its rows grouped (a GroupAggregate per
  -- partition under enable_partitionwise_aggregate, below), the owner query's counts in 4-5 ms instead of 7-8.
  CREATE INDEX IF NOT EXISTS idx_learning_memories_owner_live_part ON learning_memories_part (owner, repo)
    WHERE NOT stale;
  CREATE INDEX IF NOT EXISTS idx_learning_memories_repo_live_part ON learning_memories_part (repo)
    WHERE NOT stale;
  CREATE INDEX IF NOT EXISTS idx_learning_memories_stale_part ON learning_memories_part (stale);
  CREATE INDEX IF NOT EXISTS idx_learning_memories_search_tsv_part ON learning_memories_part USING gin (search_tsv);
  CREATE INDEX IF NOT EXISTS idx_memories_language_part ON learning_memories_part (language);
  CREATE INDEX IF NOT EXISTS idx_learning_memories_embedding_repair_voyage4_part ON learning_memories_part (id)
    WHERE embedding IS NULL OR stale OR embedding_model IS DISTINCT FROM 'voyage-4';
  CREATE INDEX IF NOT EXISTS idx_learning_memories_cluster_training_sample_part
    ON learning_memories_part (repo, outcome, created_at DESC, id DESC)
    WHERE NOT stale AND embedding IS NOT NULL
      AND outcome = ANY (ARRAY['accepted', 'thumbs_up', 'suppressed', 'thumbs_down']);
  FOR p IN SELECT c.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'learning_memories_part'::regclass AND c.relname <> 'learning_memories_default' LOOP
    EXECUTE pg_catalog.format('CREATE INDEX IF NOT EXISTS %I ON %I USING hnsw (embedding halfvec_cosine_ops)'
      || ' WITH (m = 16, ef_construction = 64) WHERE NOT stale', p || '_hnsw', p);
  END LOOP;
  ANALYZE learning_memories_part;
  COMMIT;
  PERFORM pg_temp.brief_ddl(pg_temp.grants_of('learning_memories', 'learning_memories_part')
    || pg_temp.mirror('learning_memories', 'learning_memories_part', '{repo,id}', '{"repo, finding_id, outcome"}'));
  COMMIT;
END
$fn$;

-- What the bot changed during the copy, then every row compared and the names swapped.
CREATE OR REPLACE PROCEDURE pg_temp.lm_swap() LANGUAGE plpgsql AS $fn$
DECLARE
  renames text[] := '{}';
  ix text;
BEGIN
  IF pg_catalog.to_regclass('learning_memories_part') IS NULL THEN
    RETURN;
  END IF;
  CALL pg_temp.reconcile('learning_memories', 'learning_memories_part', 5000);
  PERFORM pg_temp.check_copy('learning_memories', 'learning_memories_part', '{repo,id}');
  COMMIT;
  FOREACH ix IN ARRAY ARRAY['idx_learning_memories_owner', 'idx_learning_memories_owner_live',
      'idx_learning_memories_repo_live', 'idx_learning_memories_stale', 'idx_learning_memories_search_tsv',
      'idx_memories_language', 'idx_learning_memories_embedding_repair_voyage4',
      'idx_learning_memories_cluster_training_sample'] LOOP
    renames := renames || pg_catalog.format('ALTER INDEX %I RENAME TO %I', ix || '_part', ix);
  END LOOP;
  FOR ix IN SELECT c.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'learning_memories_part'::regclass LOOP
    renames := renames || pg_catalog.format('ALTER TABLE %I RESET (autovacuum_enabled)', ix);
  END LOOP;
  PERFORM pg_temp.brief_ddl(
    -- the table, then the copy: the bot's writes reach the copy through the mirror, so no transaction of the bot
    -- holds a lock on it once the table's is held, and no autovacuum runs on it (lm_prepare): it comes at once
    ARRAY['LOCK TABLE learning_memories IN ACCESS EXCLUSIVE MODE',
          'LOCK TABLE learning_memories_part IN ACCESS EXCLUSIVE MODE']
    || pg_temp.move_identity('learning_memories', 'learning_memories_part')
    || ARRAY['DROP TABLE learning_memories', 'DROP FUNCTION learning_memories_mirror()',
             'ALTER TABLE learning_memories_part RENAME TO learning_memories',
             'ALTER TABLE learning_memories RENAME CONSTRAINT learning_memories_part_pkey TO learning_memories_pkey',
             'ALTER TABLE learning_memories RENAME CONSTRAINT learning_memories_part_rfo_key'
             || ' TO learning_memories_repo_finding_id_outcome_key']
    || renames || pg_temp.index_comments('learning_memories', 'learning_memories_part', '_part')
    || pg_temp.lm_triggers());
  COMMIT;
END
$fn$;

SET maintenance_work_mem = '512MB';
CALL pg_temp.lm_prepare();
CALL pg_temp.lm_fill();
CALL pg_temp.lm_swap();

-- The owner query's counts are aggregated per partition instead of passing every live row through the
-- Append (a database default, as 006's: the bot sends no setting).
DO $$
BEGIN
  EXECUTE pg_catalog.format('ALTER DATABASE %I SET enable_partitionwise_aggregate = on',
    pg_catalog.current_database());
END
$$;
