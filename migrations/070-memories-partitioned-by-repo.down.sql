-- Inverse of 070: learning_memories a plain table again, online the same way (a plain copy kept equal by
-- the kit's mirror, the rows copied in batches, compared, the names swapped in one brief transaction).
-- migrate:no-transaction
--
-- The primary key is (id) again. Every repo with more than 3,000 live memories (with an embedding) gets
-- the per-repo partial HNSW index `indexes sync` keeps (idx_lm_repo_hnsw_<16 hex of md5(repo)>, commented
-- with its repo), built empty and filled by the batches, so retrieveMemories stays served through the swap
-- and no `indexes sync` is needed after. The partitions and their indexes go with the partitioned table.
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

CREATE OR REPLACE PROCEDURE pg_temp.lm_prepare_plain() LANGUAGE plpgsql AS $fn$
BEGIN
  IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass('learning_memories')) = 'r'
     OR pg_catalog.to_regclass('learning_memories_plain') IS NOT NULL THEN
    RETURN;
  END IF;
  CREATE TABLE learning_memories_plain (LIKE learning_memories INCLUDING DEFAULTS INCLUDING CONSTRAINTS
    INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION INCLUDING STATISTICS)
    WITH (toast_tuple_target = 4080, autovacuum_enabled = false); -- until the swap, as in 070
  EXECUTE pg_catalog.format('COMMENT ON TABLE learning_memories_plain IS %L',
    pg_catalog.obj_description('learning_memories'::regclass, 'pg_class'));
  ALTER TABLE learning_memories_plain ADD CONSTRAINT learning_memories_plain_pkey PRIMARY KEY (id);
  COMMIT;
END
$fn$;

CREATE OR REPLACE PROCEDURE pg_temp.lm_fill_plain() LANGUAGE plpgsql AS $fn$
DECLARE
  one text;
  ix text;
BEGIN
  IF pg_catalog.to_regclass('learning_memories_plain') IS NULL OR pg_temp.has_mirror('learning_memories') THEN
    RETURN;
  END IF;
  CALL pg_temp.copy_rows('learning_memories', 'learning_memories_plain', 5000);
  -- as in 070: a finding written twice during the copy goes, the reconcile copies the right one back
  DELETE FROM learning_memories_plain m USING (SELECT repo, finding_id, outcome FROM learning_memories_plain
    WHERE finding_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d
  WHERE m.repo = d.repo AND m.finding_id = d.finding_id AND m.outcome = d.outcome;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conname = 'learning_memories_plain_rfo_key') THEN
    ALTER TABLE learning_memories_plain ADD CONSTRAINT learning_memories_plain_rfo_key
      UNIQUE (repo, finding_id, outcome);
  END IF;
  CREATE INDEX IF NOT EXISTS idx_learning_memories_owner_plain ON learning_memories_plain (owner);
  CREATE INDEX IF NOT EXISTS idx_learning_memories_owner_live_plain ON learning_memories_plain (owner)
    INCLUDE (repo) WHERE NOT stale;
  CREATE INDEX IF NOT EXISTS idx_learning_memories_repo_live_plain ON learning_memories_plain (repo)
    WHERE NOT stale;
  CREATE INDEX IF NOT EXISTS idx_learning_memories_stale_plain ON learning_memories_plain (stale);
  CREATE INDEX IF NOT EXISTS idx_learning_memories_search_tsv_plain ON learning_memories_plain
    USING gin (search_tsv);
  CREATE INDEX IF NOT EXISTS idx_memories_language_plain ON learning_memories_plain (language);
  CREATE INDEX IF NOT EXISTS idx_learning_memories_embedding_repair_voyage4_plain ON learning_memories_plain (id)
    WHERE embedding IS NULL OR stale OR embedding_model IS DISTINCT FROM 'voyage-4';
  CREATE INDEX IF NOT EXISTS idx_learning_memories_cluster_training_sample_plain
    ON learning_memories_plain (repo, outcome, created_at DESC, id DESC)
    WHERE NOT stale AND embedding IS NOT NULL
      AND outcome = ANY (ARRAY['accepted', 'thumbs_up', 'suppressed', 'thumbs_down']);
  -- the repos first (a loop over a query of the table would keep it open: no index could be built on it)
  FOREACH one IN ARRAY (SELECT COALESCE(pg_catalog.array_agg(x.repo ORDER BY x.repo), '{}') FROM (SELECT l.repo
      FROM learning_memories_plain l WHERE NOT l.stale AND l.embedding IS NOT NULL GROUP BY l.repo
      HAVING count(*) > 3000) x) LOOP
    ix := 'idx_lm_repo_hnsw_' || pg_catalog.left(pg_catalog.md5(one), 16) || '_plain';
    EXECUTE pg_catalog.format('CREATE INDEX IF NOT EXISTS %I ON learning_memories_plain'
      || ' USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)'
      || ' WHERE repo = %L AND NOT stale', ix, one);
    EXECUTE pg_catalog.format('COMMENT ON INDEX %I IS %L', ix,
      'kodiai-db per-repo HNSW index (indexes@kodiai) for repo: ' || one);
  END LOOP;
  ANALYZE learning_memories_plain;
  COMMIT;
  PERFORM pg_temp.brief_ddl(pg_temp.grants_of('learning_memories', 'learning_memories_plain')
    || pg_temp.mirror('learning_memories', 'learning_memories_plain', '{id}', '{"repo, finding_id, outcome"}'));
  COMMIT;
END
$fn$;

CREATE OR REPLACE PROCEDURE pg_temp.lm_swap_plain() LANGUAGE plpgsql AS $fn$
DECLARE
  renames text[] := '{}';
  ix text;
BEGIN
  IF pg_catalog.to_regclass('learning_memories_plain') IS NULL THEN
    RETURN;
  END IF;
  CALL pg_temp.reconcile('learning_memories', 'learning_memories_plain', 5000);
  PERFORM pg_temp.check_copy('learning_memories', 'learning_memories_plain', '{id}');
  COMMIT;
  FOR ix IN SELECT pg_catalog.left(c.relname, -6) FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'learning_memories_plain'::regclass AND NOT i.indisunique LOOP
    renames := renames || pg_catalog.format('ALTER INDEX %I RENAME TO %I', ix || '_plain', ix);
  END LOOP;
  PERFORM pg_temp.brief_ddl(
    -- the table, then the copy (as in 070: no autovacuum on it, no transaction of the bot left holding it)
    ARRAY['LOCK TABLE learning_memories IN ACCESS EXCLUSIVE MODE',
          'LOCK TABLE learning_memories_plain IN ACCESS EXCLUSIVE MODE',
          'ALTER TABLE learning_memories_plain RESET (autovacuum_enabled)']
    || pg_temp.move_identity('learning_memories', 'learning_memories_plain')
    || ARRAY['DROP TABLE learning_memories', 'DROP FUNCTION learning_memories_mirror()',
             'ALTER TABLE learning_memories_plain RENAME TO learning_memories',
             'ALTER TABLE learning_memories RENAME CONSTRAINT learning_memories_plain_pkey TO learning_memories_pkey',
             'ALTER TABLE learning_memories RENAME CONSTRAINT learning_memories_plain_rfo_key'
             || ' TO learning_memories_repo_finding_id_outcome_key']
    || renames || pg_temp.index_comments('learning_memories', 'learning_memories_plain', '_plain')
    || pg_temp.lm_triggers());
  COMMIT;
END
$fn$;

SET maintenance_work_mem = '512MB';
CALL pg_temp.lm_prepare_plain();
CALL pg_temp.lm_fill_plain();
CALL pg_temp.lm_swap_plain();

DO $$
BEGIN
  EXECUTE pg_catalog.format('ALTER DATABASE %I RESET enable_partitionwise_aggregate',
    pg_catalog.current_database());
END
$$;
