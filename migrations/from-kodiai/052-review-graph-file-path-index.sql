-- from-kodiai 034 + 052 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's review graph
-- (review_graph_builds, _files, _nodes, _edges as its 034 made them, with 045's and 052's indexes; 24fba64a)
-- becomes what our 058 creates, every row kept.
-- migrate:no-transaction
--
-- What differs (kodiai against our 058):
--   * keys: kodiai's bigserial becomes our bigint identity (same type: catalog only), continuing its sequence.
--   * nodes' and edges' confidence: real becomes double precision (the value, exactly: every float4 is a float8).
--   * CHECKs: kodiai's `x IS NULL OR ...` forms of the confidence and span checks become ours (the same rows pass:
--     a CHECK passes on NULL); ours adds attributes_check (a JSON object) on nodes and edges.
--   * edges' UNIQUE key: kodiai's default name (review_graph_edges_repo_workspace_key_edge_kind_source_node_key)
--     becomes review_graph_edges_edge_key.
--   * indexes: kodiai's idx_review_graph_builds_repo, idx_review_graph_files_repo_workspace (prefixes of UNIQUE
--     keys), 052's idx_review_graph_files_repo_workspace_path (the UNIQUE key's own) and
--     idx_review_graph_nodes_symbol_name / _qualified_name (btrees on free-form symbol names no query filters by)
--     are dropped; ours adds idx_review_graph_nodes_build_id and idx_review_graph_edges_build_id (foreign key
--     columns). kodiai 045's idx_review_graph_nodes_workspace_file_id and _edges_workspace_file_id are kept for our
--     066 (same definitions).
--   * the tables' comments.
--   Columns, NOT NULLs, defaults, the other constraints (same names) and indexes are the same.
--
-- Online: the graph grows with every indexed workspace (nodes and edges: a row per symbol and per reference of
-- every file; bound assumed: tens of millions of rows). The keys, constraints, renames and drops are catalog
-- changes, each in a transaction that waits at most 1.5 s for its lock and retries (pg_temp.brief_ddl); the
-- confidence columns are converted as from-kodiai/001-002 convert the foundation's: a `confidence_adopt` column
-- kept by a trigger, the rows in batches of 5,000 ids, each committed, then every row checked and the columns
-- swapped in one short transaction; CHECKs NOT VALID, then VALIDATE (SHARE UPDATE EXCLUSIVE: the bot's reads and
-- writes go on); indexes built and dropped CONCURRENTLY. Every statement is safe to run again (a run that stopped
-- resumes). A row our CHECKs refuse (attributes that are not an object) stops the run at its VALIDATE with the
-- constraint left NOT VALID: fix the row, run `up` again.

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot's reads or writes and may wait for older
-- transactions: no lock timeout for them.
SET lock_timeout = 0;

-- pg_temp.brief_ddl, prepare, swap, bigserial_identity, add_check, drop_invalid: migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

CALL pg_temp.bigserial_identity('review_graph_builds');
CALL pg_temp.bigserial_identity('review_graph_files');
CALL pg_temp.bigserial_identity('review_graph_nodes');
CALL pg_temp.bigserial_identity('review_graph_edges');

CALL pg_temp.prepare('review_graph_nodes', ARRAY['confidence'], ARRAY['double precision'],
  ARRAY['$c::double precision'], ARRAY[false], 5000);
CALL pg_temp.prepare('review_graph_edges', ARRAY['confidence'], ARRAY['double precision'],
  ARRAY['$c::double precision'], ARRAY[false], 5000);
-- the swap drops the old columns, and kodiai's confidence checks with them
CALL pg_temp.swap('review_graph_nodes', ARRAY['confidence'], ARRAY['$c::double precision'], ARRAY[false]);
CALL pg_temp.swap('review_graph_edges', ARRAY['confidence'], ARRAY['$c::double precision'], ARRAY[false]);

-- kodiai's span checks (same names, `IS NULL OR` forms) give way to ours, and the edges' key takes our name, each
-- where still kodiai's.
DO $$
BEGIN
  IF pg_catalog.strpos((SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint
      WHERE conrelid = 'review_graph_nodes'::regclass AND conname = 'review_graph_nodes_span_start_line_check'),
      'IS NULL') > 0 THEN
    PERFORM pg_temp.brief_ddl(ARRAY['ALTER TABLE review_graph_nodes'
      || ' DROP CONSTRAINT review_graph_nodes_span_start_line_check,'
      || ' DROP CONSTRAINT review_graph_nodes_span_end_line_check,'
      || ' ADD CONSTRAINT review_graph_nodes_span_start_line_check CHECK (span_start_line >= 1) NOT VALID,'
      || ' ADD CONSTRAINT review_graph_nodes_span_end_line_check CHECK (span_end_line >= 1) NOT VALID']);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = 'review_graph_edges'::regclass
                 AND conname = 'review_graph_edges_edge_key') THEN
    PERFORM pg_temp.brief_ddl(ARRAY[pg_catalog.format('ALTER TABLE review_graph_edges RENAME CONSTRAINT %I TO'
      || ' review_graph_edges_edge_key', (SELECT conname FROM pg_catalog.pg_constraint
        WHERE conrelid = 'review_graph_edges'::regclass AND contype = 'u'))]);
  END IF;
END
$$;

SELECT pg_temp.add_check('review_graph_nodes', 'review_graph_nodes_confidence_check',
  'confidence >= 0 AND confidence <= 1');
SELECT pg_temp.add_check('review_graph_nodes', 'review_graph_nodes_attributes_check',
  'jsonb_typeof(attributes) = ''object''');
SELECT pg_temp.add_check('review_graph_edges', 'review_graph_edges_confidence_check',
  'confidence >= 0 AND confidence <= 1');
SELECT pg_temp.add_check('review_graph_edges', 'review_graph_edges_attributes_check',
  'jsonb_typeof(attributes) = ''object''');

-- VALIDATE of a validated constraint does nothing: safe to run again
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_graph_nodes VALIDATE CONSTRAINT review_graph_nodes_span_start_line_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_graph_nodes VALIDATE CONSTRAINT review_graph_nodes_span_end_line_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_graph_nodes VALIDATE CONSTRAINT review_graph_nodes_confidence_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_graph_nodes VALIDATE CONSTRAINT review_graph_nodes_attributes_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_graph_edges VALIDATE CONSTRAINT review_graph_edges_confidence_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_graph_edges VALIDATE CONSTRAINT review_graph_edges_attributes_check;

-- Indexes: ours where missing (one an interrupted build left INVALID is built again), kodiai's extra ones dropped.
SELECT pg_temp.drop_invalid(ARRAY['idx_review_graph_nodes_build_id', 'idx_review_graph_edges_build_id']);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_graph_nodes_build_id ON review_graph_nodes (build_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_graph_edges_build_id ON review_graph_edges (build_id);
DROP INDEX CONCURRENTLY IF EXISTS idx_review_graph_builds_repo;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_graph_files_repo_workspace;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_graph_files_repo_workspace_path;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_graph_nodes_symbol_name;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_graph_nodes_qualified_name;

COMMENT ON TABLE review_graph_builds IS
  'One structural index build per (repo, workspace_key) with its counters (kodiai 034).';
COMMENT ON TABLE review_graph_files IS
  'Files indexed in a workspace; replacing a file cascades to its nodes and edges (kodiai 034).';
COMMENT ON TABLE review_graph_nodes IS
  'Graph nodes (file, symbol, import, callsite, test) of an indexed file (kodiai 034).';
COMMENT ON TABLE review_graph_edges IS 'Graph edges between nodes of a workspace (kodiai 034).';
