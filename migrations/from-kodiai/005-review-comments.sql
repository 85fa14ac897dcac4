-- from-kodiai 005 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's review_comments
-- and review_comment_sync_state as its runner leaves them at 24fba64a (its 005, with the indexes its 049 and
-- 050 add; its 013 points review_cluster_assignments.review_comment_id at review_comments.id, which keeps its
-- values and its type) become what our 021 creates, every row kept.
--
-- kodiai's tables against our 021 (columns, types, NOT NULLs and defaults not named here are the same):
--   review_comments.id           bigserial (a default from a sequence it owns)  -> bigint identity, continuing
--                                kodiai's sequence (same type: catalog only)
--   review_comments.embedding    vector(1024), float32                            -> halfvec(1024), STORAGE PLAIN
--   idx_review_comments_embedding_hnsw  hnsw vector_cosine_ops                   -> hnsw halfvec_cosine_ops
--                                (m 16, ef_construction 64, both)
--   idx_review_comments_null_embedding_repair (049), idx_review_comments_embedding_repair_voyage4 (050):
--                                the same definitions, on the halfvec column
--   idx_review_comments_thread   btree (thread_id)                               -> idx_review_comments_thread_hash,
--                                hash (thread_id)
--   idx_review_comments_repo, idx_review_comments_github_id, idx_review_comments_stale: not in ours (prefixes
--                                of the unique key; one value for every live row)
--   CHECKs                       none                                             -> review_comments_counts_check,
--                                review_comment_sync_state_total_comments_synced_check
--   full-text trigger            trg_review_comments_search_tsv, UPDATE OF chunk_text, COALESCE
--                                -> review_comments_search_tsv_trigger, UPDATE OF chunk_text, search_tsv
--                                (same values: chunk_text is NOT NULL); our function body
--   comment on search_tsv        none                                             -> ours
--   review_comment_sync_state.id serial (int4)                                    -> bigint identity, continuing
--                                kodiai's sequence
-- The same in both: review_comments_pkey, review_comments_repo_comment_github_id_chunk_index_key,
-- idx_review_comments_pr, idx_review_comments_author, idx_review_comments_search_tsv,
-- review_comment_sync_state_pkey, review_comment_sync_state_repo_key.
--
-- Online (review_comments grows with every review the bot syncs: about 40% of production's 5.3 GB), as
-- from-kodiai/001-002, each statement safe to run again (a run that stopped resumes with the next `up`):
--   1. read-only: a row our CHECKs refuse stops here, before anything changed (fix it, run `up` again);
--   2. kodiai's float32 HNSW index set aside and dropped CONCURRENTLY (the batches would otherwise insert
--      every row into it again); until step 6 has built ours, the bot's nearest-comment query reads the table;
--   3. embedding_adopt halfvec(1024) PLAIN, kept by trigger, filled in batches of 2,000 rows (each committed);
--   4. our CHECKs NOT VALID, then VALIDATE (SHARE UPDATE EXCLUSIVE: the bot's reads and writes go on);
--   5. every row checked (embedding_adopt = embedding::halfvec), then the swap (catalog changes, a transaction
--      that waits at most 1.5 s for its locks and retries); the key becomes an identity (catalog only);
--   6. the indexes of ours CONCURRENTLY, kodiai's others dropped CONCURRENTLY, our trigger and comment.
-- review_comment_sync_state holds one row per repository the bot syncs (some tens assumed): its int4 key
-- becomes bigint in one transaction (a rewrite of those rows, milliseconds) that waits at most 1.5 s for its lock.
-- migrate:no-transaction
-- adopt: online-kit

-- Outside pg_temp.brief_ddl: reads, batches, VALIDATE and concurrent index builds, which take no lock that
-- blocks the bot's reads or writes and may wait for older transactions.
SET lock_timeout = 0;

-- 1. Our CHECKs against kodiai's rows, read-only.
SELECT pg_temp.refuse_rows('review_comments', 'review_comments_counts_check',
  'pr_number >= 0 AND chunk_index >= 0 AND token_count >= 0 AND start_line >= 0 AND end_line >= 0');
SELECT pg_temp.refuse_rows('review_comment_sync_state', 'review_comment_sync_state_total_comments_synced_check',
  'total_comments_synced >= 0');

-- 2. kodiai's float32 HNSW index (ours has the same name: only a float32 one is set aside).
SELECT pg_temp.set_aside_float32('idx_review_comments_embedding_hnsw');
DROP INDEX CONCURRENTLY IF EXISTS idx_review_comments_embedding_hnsw_kodiai;

-- 3. The halfvec copy (nothing happens once swapped).
CALL pg_temp.prepare('review_comments', ARRAY['embedding'], ARRAY['halfvec(1024)'], ARRAY['$c::halfvec(1024)'],
  ARRAY[false], 2000);

-- 4. Our CHECKs; a row written since step 1 that breaks one stops the run here, nothing swapped.
SELECT pg_temp.add_check('review_comments', 'review_comments_counts_check',
  'pr_number >= 0 AND chunk_index >= 0 AND token_count >= 0 AND start_line >= 0 AND end_line >= 0');
SELECT pg_temp.add_check('review_comment_sync_state', 'review_comment_sync_state_total_comments_synced_check',
  'total_comments_synced >= 0');
-- VALIDATE of a validated constraint does nothing: safe to run again
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_comments VALIDATE CONSTRAINT review_comments_counts_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_comment_sync_state VALIDATE CONSTRAINT review_comment_sync_state_total_comments_synced_check;

-- 5. Check and swap (dropping the float32 column drops kodiai's two partial indexes on it: step 6 builds them
-- again on the halfvec column), then the identities.
CALL pg_temp.swap('review_comments', ARRAY['embedding'], ARRAY['$c::halfvec(1024)'], ARRAY[false]);
CALL pg_temp.bigserial_identity('review_comments');
CALL pg_temp.small_serial_identity('review_comment_sync_state');

-- 6. Our indexes (an interrupted build left INVALID is dropped first, then built again).
SELECT pg_temp.drop_invalid(ARRAY['idx_review_comments_embedding_hnsw', 'idx_review_comments_null_embedding_repair',
  'idx_review_comments_embedding_repair_voyage4', 'idx_review_comments_thread_hash']);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_comments_null_embedding_repair
  ON review_comments (repo, github_created_at, id) WHERE deleted = false AND embedding IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_comments_embedding_repair_voyage4 ON review_comments (id)
  WHERE deleted = false AND (embedding IS NULL OR stale = true OR embedding_model IS DISTINCT FROM 'voyage-4');
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_comments_thread_hash ON review_comments USING hash (thread_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_comments_embedding_hnsw ON review_comments
  USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);
DROP INDEX CONCURRENTLY IF EXISTS idx_review_comments_thread;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_comments_repo;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_comments_github_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_comments_stale;

-- Our full-text trigger in place of kodiai's (same values), in one brief transaction; the function is ours.
CREATE OR REPLACE FUNCTION review_comments_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.chunk_text);
  RETURN NEW;
END
$$;
SELECT pg_temp.brief_ddl(ARRAY['DROP TRIGGER IF EXISTS trg_review_comments_search_tsv ON review_comments',
  'CREATE TRIGGER review_comments_search_tsv_trigger BEFORE INSERT OR UPDATE OF chunk_text, search_tsv'
    || ' ON review_comments FOR EACH ROW EXECUTE FUNCTION review_comments_search_tsv_update()',
  'COMMENT ON COLUMN review_comments.search_tsv IS ''to_tsvector(''''english'''', chunk_text), kept by trigger'
    || ' review_comments_search_tsv_trigger.'''])
WHERE NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'review_comments'::regclass
  AND tgname = 'review_comments_search_tsv_trigger');
