-- Data for measuring `indexes move` (docs/retrieval.md, "A repo's own partition"), not a migration: on a
-- database migrated empty (every repo then lands in learning_memories_default), :rows memories with
-- 1024-dimension embeddings, of which :mover rows belong to repo acme/mover and the rest are spread over
-- repos of 2,500 rows (under 3,000: they stay in the default partition); 10 % of each repo stale.
--   psql -v rows=100000 -v mover=5000 -f bench/prototypes/partition-move-fill.sql "$URL"
-- The vectors are 5,000 random unit-free vectors reused in turn (distinct within the mover's rows).
\set ON_ERROR_STOP on
SET maintenance_work_mem = '512MB';
CREATE TEMP TABLE vecs AS
  SELECT v, (SELECT array_agg(random() - 0.5)::vector(1024) FROM generate_series(1, 1024) WHERE v > 0) AS e
  FROM generate_series(0, 4999) v;
INSERT INTO learning_memories (repo, owner, source_repo, finding_id, finding_text, severity, category, file_path,
  outcome, embedding_model, embedding_dim, embedding, stale)
SELECT r, 'acme', r, g, 'finding ' || g || ': ' || repeat('a reviewer would say this ', 8), 'minor', 'style',
  'src/a.ts', 'accepted', 'voyage-code-3', 1024, vecs.e, g % 10 = 0
FROM generate_series(1, :rows) g
CROSS JOIN LATERAL (SELECT CASE WHEN g <= :mover THEN 'acme/mover' ELSE 'acme/r' || (g / 2500) END AS r) x
JOIN vecs ON vecs.v = g % 5000;
ANALYZE learning_memories;
SELECT count(*) AS memories, count(*) FILTER (WHERE repo = 'acme/mover') AS mover,
  pg_size_pretty(pg_total_relation_size('learning_memories_default')) AS default_partition
FROM learning_memories_default;
