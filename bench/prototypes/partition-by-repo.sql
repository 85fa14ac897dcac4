-- A prototype, not a migration (`bench retrieval --setup-sql bench/prototypes/partition-by-repo.sql`):
-- learning_memories as a table LIST-partitioned by repo, to measure whether run-time partition
-- pruning serves kodiai's owner query (docs/retrieval.md, "The owner query"). Each repo over
-- 3,000 live rows gets a partition of its own with one HNSW index on its live rows (no repo in
-- the predicate: the partition is the repo); every other repo goes to the DEFAULT partition,
-- served exactly by 008's btree as today. The LATERAL's `m.repo = ar.repo` is a parameter: the
-- executor prunes the Append to the one partition of that repo for each outer row, and
-- retrieveMemories' `m.repo = $2` (a constant under 006's custom plans) is pruned when planned.
-- Built offline on the bench's scratch copy (a copy, a swap of names, the old table dropped):
-- the online conversion of a live table is migration 070 (which ships this layout, with the counts'
-- index under 011's name); `bench retrieval` now measures 070's result, and this file stays for the
-- comparison in docs/retrieval.md. The bench runs VACUUM ANALYZE after it.
SET maintenance_work_mem = '512MB';
SET max_parallel_maintenance_workers = 0;

CREATE TABLE learning_memories_part (LIKE learning_memories INCLUDING DEFAULTS INCLUDING STORAGE
  INCLUDING CONSTRAINTS) PARTITION BY LIST (repo);

DO $$
DECLARE
  r record;
  n int := 0;
BEGIN
  FOR r IN SELECT repo FROM learning_memories WHERE NOT stale AND embedding IS NOT NULL
           GROUP BY repo HAVING count(*) > 3000 ORDER BY repo LOOP
    n := n + 1;
    EXECUTE format('CREATE TABLE learning_memories_p%s PARTITION OF learning_memories_part FOR VALUES IN (%L)'
      || ' WITH (toast_tuple_target = 4080)', n, r.repo);
  END LOOP;
END
$$;
CREATE TABLE learning_memories_pdefault PARTITION OF learning_memories_part DEFAULT
  WITH (toast_tuple_target = 4080);

INSERT INTO learning_memories_part SELECT * FROM learning_memories;

-- The unique keys must hold the partition key: (id) becomes (repo, id); the bot's ON CONFLICT
-- target (repo, finding_id, outcome) already does.
ALTER TABLE learning_memories_part ADD PRIMARY KEY (repo, id);
ALTER TABLE learning_memories_part ADD UNIQUE (repo, finding_id, outcome);
CREATE INDEX ON learning_memories_part (id);
CREATE INDEX ON learning_memories_part (repo) WHERE NOT stale;
-- The owner query's counts: (owner, repo) instead of 011's (owner) INCLUDE (repo), so that each
-- repo's partition yields its rows already grouped (a GroupAggregate, no hashing; with
-- enable_partitionwise_aggregate, below, one per partition).
CREATE INDEX ON learning_memories_part (owner, repo) WHERE NOT stale;

DO $$
DECLARE
  p text;
BEGIN
  FOR p IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'learning_memories_part'::regclass AND c.relname <> 'learning_memories_pdefault' LOOP
    EXECUTE format('CREATE INDEX %I ON %I USING hnsw (embedding halfvec_cosine_ops)'
      || ' WITH (m = 16, ef_construction = 64) WHERE NOT stale', p || '_hnsw', p);
  END LOOP;
END
$$;

-- A default of the database (not a setting the bot sends; 006 sets its others the same way): the
-- counts are aggregated per partition instead of passing every row through the Append. SET too:
-- the bench's session opened before this ran.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET enable_partitionwise_aggregate = on', current_database()); END $$;
SET enable_partitionwise_aggregate = on;

DROP TABLE learning_memories CASCADE;
ALTER TABLE learning_memories_part RENAME TO learning_memories;

