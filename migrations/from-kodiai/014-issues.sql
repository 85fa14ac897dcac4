-- from-kodiai 014 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's issue corpus, issues
-- and issue_comments as its 014 made them (with the indexes of its 050 and 051, 24fba64a), becomes what our 053
-- creates, every row kept.
-- migrate:no-transaction
--
-- What differs, kodiai's tables against our 053 (the rest: columns, NOT NULLs, defaults, the primary and UNIQUE
-- keys, idx_issues_state/author/labels/search_tsv, idx_issue_comments_repo_issue/author/search_tsv are the same):
--   both: bigserial key -> bigint identity continuing kodiai's sequence (catalog only); embedding vector(1024)
--     with a float32 HNSW -> halfvec(1024) stored PLAIN with HNSW halfvec_cosine_ops (m=16, ef_construction=64),
--     under the same index name (the bot's `embedding <=> $1::vector` and `SET embedding = $1::vector` work
--     unchanged); the full-text functions schema-qualified (same vectors: 'english' either way) and their
--     triggers also fire on a write of search_tsv (ours derives it whatever the writer sends); kodiai 050's
--     repair indexes on the float32 column go with it (our 066 builds them again).
--   issues: assignees the bot double-encoded (its single-row upsert: a JSON string spelling the array) unwrapped
--     once, and trigger jsonb_unwrap_string (our 050) from now on; our CHECKs (state open/closed, issue_number > 0
--     and counts not negative, assignees an array); idx_issues_repo and idx_issues_repo_number dropped (the
--     UNIQUE (repo, issue_number) index serves both); our comments.
--   issue_comments: our comments. kodiai 051's idx_issue_comments_repo_issue_created is kept as it is (our 066
--     declares it, same definition).
--
-- Online: both tables grow with the bot's traffic (every issue and comment of the repos it syncs, each with a
-- 4 kB float32 vector). The kit's technique (from-kodiai/001-002): kodiai's float32 HNSW indexes dropped
-- CONCURRENTLY first (the batches would insert every row into them again); a column embedding_adopt halfvec(1024)
-- PLAIN, kept by trigger, filled in batches of 2,000 rows, each committed; every row checked, then swapped in one
-- short transaction per table; then our HNSW index built CONCURRENTLY; CHECKs NOT VALID, then VALIDATE. Locks that
-- block the bot are taken in pg_temp.brief_ddl only (it waits at most 1.5 s, retries). Until our HNSW index is
-- valid, the bot's nearest-issue query reads the table without one (exact, slower). Every statement is safe to
-- run again (a conversion killed midway resumes with the next `up`; an index build it left INVALID is dropped and
-- built again). A row our CHECKs refuse stops it at its VALIDATE, the constraint left NOT VALID (new writes are
-- checked): fix the row, run `up` again. Assignees stored as a JSON string that is not JSON stop it at the first
-- statement, read-only, before anything changed.

SET lock_timeout = 0;

-- pg_temp.brief_ddl, in_batches, has_column, prepare, swap, bigserial_identity, drop_invalid, add_check:
-- migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

-- Read-only: every double-encoded assignees value parses.
SELECT count((assignees #>> '{}')::jsonb) FROM issues WHERE jsonb_typeof(assignees) = 'string';

-- kodiai's float32 HNSW indexes go first: every row the batches rewrite would be inserted into them again.
-- (On a database where the swap already ran these names are ours, on halfvec: kept.)
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['issues', 'issue_comments'] LOOP
    IF pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('idx_' || t || '_embedding_hnsw')) LIKE '%vector_cosine_ops%'
    THEN
      PERFORM pg_temp.brief_ddl(ARRAY[pg_catalog.format('ALTER INDEX %I RENAME TO %I', 'idx_' || t || '_embedding_hnsw',
        'idx_' || t || '_embedding_hnsw_kodiai')]);
    END IF;
  END LOOP;
END
$$;
DROP INDEX CONCURRENTLY IF EXISTS idx_issues_embedding_hnsw_kodiai;
DROP INDEX CONCURRENTLY IF EXISTS idx_issue_comments_embedding_hnsw_kodiai;

-- Ours decodes what the bot double-encodes, from now on; then the rows it wrote so before, in batches.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid = 'issues'::regclass
                 AND tgname = 'issues_jsonb_unwrap') THEN
    PERFORM pg_temp.brief_ddl(ARRAY['CREATE TRIGGER issues_jsonb_unwrap BEFORE INSERT OR UPDATE OF assignees ON issues'
      || ' FOR EACH ROW EXECUTE FUNCTION jsonb_unwrap_string(''assignees'')']);
  END IF;
END
$$;
CALL pg_temp.in_batches('issues', 'UPDATE issues SET assignees = assignees WHERE id >= $1 AND id < $2'
  || ' AND jsonb_typeof(assignees) = ''string''', 2000);

-- The halfvec columns (stored inline, PLAIN), kept by trigger, filled in batches.
CALL pg_temp.prepare('issues', ARRAY['embedding'], ARRAY['halfvec(1024)'], ARRAY['$c::halfvec(1024)'], ARRAY[false],
  2000);
CALL pg_temp.prepare('issue_comments', ARRAY['embedding'], ARRAY['halfvec(1024)'], ARRAY['$c::halfvec(1024)'],
  ARRAY[false], 2000);

-- Checked row by row, then swapped (kodiai 050's repair indexes on the float32 column go with it).
CALL pg_temp.swap('issues', ARRAY['embedding'], ARRAY['$c::halfvec(1024)'], ARRAY[false]);
CALL pg_temp.swap('issue_comments', ARRAY['embedding'], ARRAY['$c::halfvec(1024)'], ARRAY[false]);
CALL pg_temp.bigserial_identity('issues');
CALL pg_temp.bigserial_identity('issue_comments');

-- Our HNSW indexes on the halfvec columns, CONCURRENTLY (the bot's reads and writes go on; until it is valid its
-- nearest-issue query reads the table, as since kodiai's went above). Built after the swap: the batches do not
-- insert into it, and a second run finds the name taken. One an interrupted build left INVALID is built again.
SELECT pg_temp.drop_invalid(ARRAY['idx_issues_embedding_hnsw', 'idx_issue_comments_embedding_hnsw']);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issues_embedding_hnsw ON issues USING hnsw (embedding halfvec_cosine_ops)
  WITH (m = 16, ef_construction = 64);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issue_comments_embedding_hnsw
  ON issue_comments USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);

-- Our full-text functions (the same vectors as kodiai's) and triggers (also on a write of search_tsv).
CREATE OR REPLACE FUNCTION issues_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv :=
    pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
      COALESCE(NEW.title, '')), 'A')
    OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
      COALESCE(NEW.body, '')), 'B')
    OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
      COALESCE(pg_catalog.array_to_string(NEW.label_names, ' '), '')), 'C');
  RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION issue_comments_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, COALESCE(NEW.body, ''));
  RETURN NEW;
END
$$;
DO $$
BEGIN
  IF pg_catalog.pg_get_triggerdef((SELECT oid FROM pg_catalog.pg_trigger WHERE tgrelid = 'issues'::regclass
      AND tgname = 'trg_issues_search_tsv')) NOT LIKE '%label_names, search_tsv ON%' THEN
    PERFORM pg_temp.brief_ddl(ARRAY['DROP TRIGGER trg_issues_search_tsv ON issues',
      'CREATE TRIGGER trg_issues_search_tsv BEFORE INSERT OR UPDATE OF title, body, label_names, search_tsv'
        || ' ON issues FOR EACH ROW EXECUTE FUNCTION issues_search_tsv_update()']);
  END IF;
  IF pg_catalog.pg_get_triggerdef((SELECT oid FROM pg_catalog.pg_trigger WHERE tgrelid = 'issue_comments'::regclass
      AND tgname = 'trg_issue_comments_search_tsv')) NOT LIKE '%body, search_tsv ON%' THEN
    PERFORM pg_temp.brief_ddl(ARRAY['DROP TRIGGER trg_issue_comments_search_tsv ON issue_comments',
      'CREATE TRIGGER trg_issue_comments_search_tsv BEFORE INSERT OR UPDATE OF body, search_tsv'
        || ' ON issue_comments FOR EACH ROW EXECUTE FUNCTION issue_comments_search_tsv_update()']);
  END IF;
END
$$;

-- kodiai's indexes that our 053 does without (the UNIQUE (repo, issue_number) index serves their lookups).
DROP INDEX CONCURRENTLY IF EXISTS idx_issues_repo;
DROP INDEX CONCURRENTLY IF EXISTS idx_issues_repo_number;

-- Our CHECKs: NOT VALID where missing, then VALIDATE (SHARE UPDATE EXCLUSIVE: the bot reads and writes on).
SELECT pg_temp.add_check('issues', 'issues_state_check', 'state IN (''open'', ''closed'')');
SELECT pg_temp.add_check('issues', 'issues_counts_check',
  'issue_number > 0 AND comment_count >= 0 AND reaction_count >= 0');
SELECT pg_temp.add_check('issues', 'issues_assignees_check', 'jsonb_typeof(assignees) = ''array''');
-- VALIDATE of a valid constraint does nothing: re-runnable.
-- squawk-ignore prefer-robust-stmts
ALTER TABLE issues VALIDATE CONSTRAINT issues_state_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE issues VALIDATE CONSTRAINT issues_counts_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE issues VALIDATE CONSTRAINT issues_assignees_check;

-- Our 053's comments (a comment takes SHARE UPDATE EXCLUSIVE: the bot's reads and writes go on).
COMMENT ON TABLE issues IS 'GitHub issues of a repo with embedding and weighted full-text vector, for duplicate detection and retrieval (kodiai 014).';
COMMENT ON TABLE issue_comments IS 'Comments of GitHub issues with embedding and full-text vector (kodiai 014).';
COMMENT ON COLUMN issues.embedding IS 'Voyage embedding as halfvec(1024), stored inline (PLAIN); the bot writes $1::vector and orders by embedding <=> $1::vector (HNSW).';
COMMENT ON COLUMN issue_comments.embedding IS 'Voyage embedding as halfvec(1024), stored inline (PLAIN); the bot writes $1::vector and orders by embedding <=> $1::vector (HNSW).';
COMMENT ON COLUMN issues.search_tsv IS 'title (A), body (B), labels (C) in ''english'', kept by trigger trg_issues_search_tsv.';
COMMENT ON COLUMN issue_comments.search_tsv IS 'to_tsvector(''english'', body), kept by trigger trg_issue_comments_search_tsv.';
