-- Data for measuring migration 070 at production size (docs/migrate.md, "070 at 1,000,000 memories"), not a
-- migration: on a database at version 069 (`./jbang migrate@kodiai up --to 69`), :rows memories in 20 repos
-- whose shares fall from 30 % to 0.2 % (as bench retrieval's), 10 % of them stale. Repos 1-10 belong to owner
-- `big`, repos 11-20 (2 % to 0.2 %) to owner `small`. Run it as :parts sessions at once, each with its :part
-- (0 .. :parts-1), then VACUUM ANALYZE:
--   for p in 0 1; do psql -q -v rows=1000000 -v parts=2 -v part=$p -f bench/prototypes/memories-1m-fill.sql \
--     "$URL" & done; wait; psql -c "VACUUM ANALYZE learning_memories" "$URL"
-- Every embedding is distinct and cheap: one of 2,000 random vectors plus one of 500 small random offsets
-- (a random() per dimension for each of 1,000,000 rows would take longer than the insert itself).
\set ON_ERROR_STOP on
CREATE TEMP TABLE share (i int, pct numeric);
INSERT INTO share VALUES (1, 30), (2, 17.5), (3, 12), (4, 8), (5, 6), (6, 5), (7, 4), (8, 3.5), (9, 3), (10, 2.5),
  (11, 2), (12, 1.5), (13, 1.2), (14, 1), (15, 0.8), (16, 0.6), (17, 0.5), (18, 0.4), (19, 0.3), (20, 0.2);
-- each repo's range of row numbers, 0-based: g belongs to repo i when lo <= g % 1000 < hi (per mille)
CREATE TEMP TABLE repos AS
  SELECT i, CASE WHEN i <= 10 THEN 'big' ELSE 'small' END || '/r' || i AS repo,
    CASE WHEN i <= 10 THEN 'big' ELSE 'small' END AS owner,
    (sum(pct) OVER (ORDER BY i) - pct) * 10 AS lo, sum(pct) OVER (ORDER BY i) * 10 AS hi
  FROM share;
CREATE TEMP TABLE va AS
  SELECT v, (SELECT array_agg(random() - 0.5)::vector(1024) FROM generate_series(1, 1024) WHERE v >= 0) AS e
  FROM generate_series(0, 1999) v;
CREATE TEMP TABLE vb AS
  SELECT v, (SELECT array_agg((random() - 0.5) / 10)::vector(1024) FROM generate_series(1, 1024) WHERE v >= 0) AS e
  FROM generate_series(0, 499) v;
INSERT INTO learning_memories (repo, owner, source_repo, finding_id, finding_text, severity, category, file_path,
  outcome, embedding_model, embedding_dim, embedding, stale, language)
SELECT r.repo, r.owner, r.repo, g, 'finding ' || g || ': ' || repeat('a reviewer would say this ', 8), 'minor',
  'style', 'src/a.ts', 'accepted', 'voyage-4', 1024, (va.e + vb.e)::halfvec(1024), (g / 1000) % 10 = 0,
  'TypeScript'
FROM generate_series(:part, :rows - 1, :parts) g
JOIN repos r ON g % 1000 >= r.lo AND g % 1000 < r.hi
JOIN va ON va.v = g % 2000
JOIN vb ON vb.v = (g / 2000) % 500;
