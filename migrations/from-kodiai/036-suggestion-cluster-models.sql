-- from-kodiai 013 + 036 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's review
-- clusters (013, with the indexes of its 051 and 053) and suggestion cluster models (036) as its runner leaves them
-- at 24fba64a become what our 052 creates, every row kept.
-- migrate:no-transaction
--
-- What differs, kodiai's tables against our 052 (the rest: columns, NOT NULLs, defaults, primary and UNIQUE keys,
-- foreign keys, kodiai's id_check and count CHECKs of 036 are the same):
--   review_clusters: bigserial key -> bigint identity continuing kodiai's sequence (catalog only); centroid
--     vector(1024) -> halfvec(1024) stored PLAIN (what the bot's `centroid <=> $1::vector` is served by); our
--     counts CHECK; idx_review_clusters_active `WHERE retired = false` -> ours `WHERE NOT retired` (same rows);
--     idx_review_clusters_repo dropped (the UNIQUE key's index serves it); kodiai 051's float32 HNSW
--     idx_review_clusters_active_centroid_hnsw and 053's idx_review_clusters_active_repo_member_count (`WHERE
--     retired = false`) dropped: our 066 builds both (halfvec_cosine_ops; `WHERE NOT retired`).
--   review_cluster_assignments: bigserial key -> identity; probability real -> double precision (every real is
--     exactly a double: values unchanged); our probability CHECK [0, 1]; idx_cluster_assignments_cluster dropped
--     (prefix of the UNIQUE key); kodiai 053's (cluster_id, probability DESC) goes with the real column, our 066
--     builds it on the double; the foreign key to review_comments added (NOT VALID, then VALIDATE) where kodiai's
--     is missing.
--   cluster_run_state: our counts and status CHECKs.
--   suggestion_cluster_models: bigserial key -> identity; centroid arrays the bot double-encoded (a JSON string
--     spelling the array) unwrapped once, our array CHECKs and trigger jsonb_unwrap_string (our 050);
--     idx_suggestion_cluster_models_repo dropped (the UNIQUE key's index).
--   our comments on the four tables and on review_clusters.centroid.
--
-- Online (the kit's technique, as from-kodiai/001-002): review_cluster_assignments grows with the review comments
-- the clusterer assigns; its probability and review_clusters' centroid get a `_adopt` column kept by trigger,
-- filled in batches, checked row by row and swapped in one short transaction each; the CHECKs are added NOT VALID
-- and VALIDATEd. Locks that block the bot are taken in pg_temp.brief_ddl only (waits at most 1.5 s, retries).
-- Bounded, rewritten under a brief lock: review_clusters' active index (clusters: some hundreds of rows per repo
-- assumed), suggestion_cluster_models' double-encoded rows (one row per repo) and cluster_run_state (one row).
-- Every statement is safe to run again (a conversion killed midway resumes with the next `up`). A row our CHECKs
-- refuse stops it at its VALIDATE, the constraint left NOT VALID (new writes are checked): fix the row, run `up`
-- again. A centroid array stored as a JSON string that is not JSON stops it at the first statements, read-only.

SET lock_timeout = 0;

-- pg_temp.brief_ddl, in_batches, has_column, prepare, swap, bigserial_identity, add_check:
-- migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

-- Read-only: every double-encoded centroid array parses (one that does not stops here, nothing changed).
SELECT count((positive_centroids #>> '{}')::jsonb) + count((negative_centroids #>> '{}')::jsonb)
  FROM suggestion_cluster_models
  WHERE jsonb_typeof(positive_centroids) = 'string' OR jsonb_typeof(negative_centroids) = 'string';

-- kodiai's float32 HNSW index (051) goes first: the batches would insert every row into it again.
DROP INDEX CONCURRENTLY IF EXISTS idx_review_clusters_active_centroid_hnsw;

-- The new columns (the halfvec one stored inline, PLAIN), kept by trigger, filled in batches.
CALL pg_temp.prepare('review_clusters', ARRAY['centroid'], ARRAY['halfvec(1024)'], ARRAY['$c::halfvec(1024)'],
  ARRAY[false], 2000);
CALL pg_temp.prepare('review_cluster_assignments', ARRAY['probability'], ARRAY['double precision'],
  ARRAY['$c::double precision'], ARRAY[true], 5000);

-- Checked row by row, then swapped (kodiai 053's index on the real probability goes with it).
CALL pg_temp.swap('review_clusters', ARRAY['centroid'], ARRAY['$c::halfvec(1024)'], ARRAY[false]);
CALL pg_temp.swap('review_cluster_assignments', ARRAY['probability'], ARRAY['$c::double precision'], ARRAY[true]);
CALL pg_temp.bigserial_identity('review_clusters');
CALL pg_temp.bigserial_identity('review_cluster_assignments');
CALL pg_temp.bigserial_identity('suggestion_cluster_models');

-- Ours decodes what the bot double-encodes, from now on; then the rows it wrote so before (one per repo).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid = 'suggestion_cluster_models'::regclass
                 AND tgname = 'suggestion_cluster_models_jsonb_unwrap') THEN
    PERFORM pg_temp.brief_ddl(ARRAY['CREATE TRIGGER suggestion_cluster_models_jsonb_unwrap BEFORE INSERT OR UPDATE OF'
      || ' positive_centroids, negative_centroids ON suggestion_cluster_models FOR EACH ROW EXECUTE FUNCTION'
      || ' jsonb_unwrap_string(''positive_centroids'', ''negative_centroids'')']);
  END IF;
END
$$;
CALL pg_temp.in_batches('suggestion_cluster_models', 'UPDATE suggestion_cluster_models'
  || ' SET positive_centroids = positive_centroids, negative_centroids = negative_centroids'
  || ' WHERE id >= $1 AND id < $2'
  || ' AND (jsonb_typeof(positive_centroids) = ''string'' OR jsonb_typeof(negative_centroids) = ''string'')', 100);

-- kodiai's active-clusters index (`retired = false`) becomes ours (`NOT retired`): the table is small (some hundreds
-- of clusters), the new index is built under the brief lock, beside kodiai's, which it then replaces.
DO $$
BEGIN
  IF pg_catalog.pg_get_indexdef('idx_review_clusters_active'::regclass) LIKE '%retired = false%' THEN
    PERFORM pg_temp.brief_ddl(ARRAY['DROP INDEX idx_review_clusters_active',
      'CREATE INDEX idx_review_clusters_active ON review_clusters (repo) WHERE NOT retired']);
  END IF;
END
$$;

-- kodiai's indexes that our 052 does without: prefixes of a UNIQUE key's index, and 053's index in kodiai's
-- `retired = false` form (our 066 builds it `WHERE NOT retired`; its IF NOT EXISTS would keep kodiai's).
DROP INDEX CONCURRENTLY IF EXISTS idx_review_clusters_repo;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_clusters_active_repo_member_count;
DROP INDEX CONCURRENTLY IF EXISTS idx_cluster_assignments_cluster;
DROP INDEX CONCURRENTLY IF EXISTS idx_suggestion_cluster_models_repo;

-- kodiai's 013 references review_comments: where that key is missing, ours (NOT VALID, then VALIDATE).
DO $$
BEGIN
  IF pg_catalog.to_regclass('review_comments') IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
      WHERE conrelid = 'review_cluster_assignments'::regclass
        AND conname = 'review_cluster_assignments_review_comment_id_fkey') THEN
    PERFORM pg_temp.brief_ddl(ARRAY['ALTER TABLE review_cluster_assignments ADD CONSTRAINT'
      || ' review_cluster_assignments_review_comment_id_fkey FOREIGN KEY (review_comment_id)'
      || ' REFERENCES review_comments (id) ON DELETE CASCADE NOT VALID']);
  END IF;
END
$$;
DO $$
BEGIN
  IF pg_catalog.to_regclass('review_comments') IS NOT NULL THEN
    ALTER TABLE review_cluster_assignments VALIDATE CONSTRAINT review_cluster_assignments_review_comment_id_fkey;
  END IF;
END
$$;

-- Our CHECKs: NOT VALID where missing, then VALIDATE (SHARE UPDATE EXCLUSIVE: the bot reads and writes on).
SELECT pg_temp.add_check('review_clusters', 'review_clusters_counts_check',
  'member_count >= 0 AND member_count_at_label >= 0');
SELECT pg_temp.add_check('review_cluster_assignments', 'review_cluster_assignments_probability_check',
  'probability >= 0 AND probability <= 1');
SELECT pg_temp.add_check('cluster_run_state', 'cluster_run_state_counts_check',
  'clusters_discovered >= 0 AND comments_processed >= 0 AND labels_generated >= 0');
SELECT pg_temp.add_check('cluster_run_state', 'cluster_run_state_status_check',
  'status IN (''pending'', ''running'', ''completed'', ''failed'')');
SELECT pg_temp.add_check('suggestion_cluster_models', 'suggestion_cluster_models_positive_centroids_check',
  'jsonb_typeof(positive_centroids) = ''array''');
SELECT pg_temp.add_check('suggestion_cluster_models', 'suggestion_cluster_models_negative_centroids_check',
  'jsonb_typeof(negative_centroids) = ''array''');
-- VALIDATE of a valid constraint does nothing: re-runnable.
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_clusters VALIDATE CONSTRAINT review_clusters_counts_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_cluster_assignments VALIDATE CONSTRAINT review_cluster_assignments_probability_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE cluster_run_state VALIDATE CONSTRAINT cluster_run_state_counts_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE cluster_run_state VALIDATE CONSTRAINT cluster_run_state_status_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE suggestion_cluster_models VALIDATE CONSTRAINT suggestion_cluster_models_positive_centroids_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE suggestion_cluster_models VALIDATE CONSTRAINT suggestion_cluster_models_negative_centroids_check;

-- Our 052's comments (a comment takes SHARE UPDATE EXCLUSIVE: the bot's reads and writes go on).
COMMENT ON TABLE review_clusters IS 'Review pattern clusters per repo with their centroid (kodiai 013).';
COMMENT ON TABLE review_cluster_assignments IS 'Which review comments belong to which cluster, with HDBSCAN probability (kodiai 013).';
COMMENT ON TABLE cluster_run_state IS 'Singleton (id = 1): the clustering pipeline''s last run (kodiai 013).';
COMMENT ON TABLE suggestion_cluster_models IS 'Per-repo positive/negative centroid arrays for suggestion filtering, refreshed with a TTL (kodiai 036).';
COMMENT ON COLUMN review_clusters.centroid IS 'Mean member embedding as halfvec(1024), stored inline (PLAIN); the bot orders by centroid <=> $1::vector.';
