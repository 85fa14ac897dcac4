-- from-kodiai 002 (adopting a database built by kodiai's own runner, docs/adopt.md): checks every row
-- that from-kodiai/001 converted, swaps the new columns in, gives the 14 tables the keys, constraints
-- and index names of our 001, then does what our 002 does (the halfvec copy of the embedding).
-- migrate:no-transaction
--
-- Per table (per group tied by foreign keys: reviews, findings, suppression_log, feedback_reactions),
-- one DO block = one transaction:
--   a. the check: a row whose new column differs from the conversion of its old column (the trigger
--      or a batch went wrong) raises, and the transaction (with the swap) rolls back: nothing changes;
--   b. the swap, catalog changes only, in pg_temp.brief_ddl (its locks waited for at most 1.5 s at a
--      time): the trigger goes, the old columns go (their indexes and constraints with them), the new
--      ones take their names, NOT NULL (proved by from-kodiai/001's validated checks, no scan), the
--      primary and unique keys from 001's concurrent indexes, the foreign keys NOT VALID (ON DELETE
--      CASCADE, as our 001), and each serial key becomes an identity that continues its sequence.
-- The check reads the table without blocking anyone; rows the bot writes between the check and the
-- swap pass through the same trigger. Then VALIDATE, the CHECKs of our 001 (NOT VALID, then VALIDATE),
-- kodiai's index names replaced by ours (a rename takes SHARE UPDATE EXCLUSIVE), kodiai's indexes that
-- our 001 does not have dropped CONCURRENTLY, the BRIN indexes of our 001 built CONCURRENTLY.
--
-- Re-runnable from any point: each block does nothing where its table is swapped already (no `_adopt`
-- column); every other statement is IF [NOT] EXISTS, guarded, or a no-op the second time.
--
-- Kept as kodiai has them, for the migrations that carry kodiai's later files to convert:
-- learning_memories.language (kodiai 007), resilience_events' columns of kodiai 041/044, kodiai's
-- 045-054 indexes (idx_feedback_reactions_repo_title_id_desc rebuilt on the new id by 001).

SET lock_timeout = 0;

-- pg_temp.check_rows, swap_columns, swap, bigserial_identity, add_check, brief_ddl, in_batches:
-- migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

-- The group tied by foreign keys, in one transaction: kodiai's foreign keys (on int4 columns, without
-- ON DELETE) go first, ours come back NOT VALID on the new columns.
DO $$
BEGIN
  IF pg_temp.has_column('reviews', 'id_adopt') THEN
    PERFORM pg_temp.check_rows('reviews', ARRAY['id', 'config_snapshot'], ARRAY['$c', 'kodiai_adopt_json($c)']);
    PERFORM pg_temp.check_rows('findings', ARRAY['id', 'review_id'], ARRAY['$c', '$c']);
    PERFORM pg_temp.check_rows('suppression_log', ARRAY['id', 'review_id', 'finding_ids'],
      ARRAY['$c', '$c', 'kodiai_adopt_json($c)']);
    PERFORM pg_temp.check_rows('feedback_reactions', ARRAY['id', 'review_id', 'finding_id', 'reaction_id'],
      ARRAY['$c', '$c', '$c', '$c']);
    PERFORM pg_temp.brief_ddl(ARRAY[
        'ALTER TABLE findings DROP CONSTRAINT IF EXISTS findings_review_id_fkey',
        'ALTER TABLE suppression_log DROP CONSTRAINT IF EXISTS suppression_log_review_id_fkey',
        'ALTER TABLE feedback_reactions DROP CONSTRAINT IF EXISTS feedback_reactions_review_id_fkey',
        'ALTER TABLE feedback_reactions DROP CONSTRAINT IF EXISTS feedback_reactions_finding_id_fkey']
      || pg_temp.swap_columns('reviews', ARRAY['id', 'config_snapshot'], ARRAY[true, false])
      || pg_temp.swap_columns('findings', ARRAY['id', 'review_id'], ARRAY[true, true])
      || pg_temp.swap_columns('suppression_log', ARRAY['id', 'review_id', 'finding_ids'], ARRAY[true, true, false])
      || pg_temp.swap_columns('feedback_reactions', ARRAY['id', 'review_id', 'finding_id', 'reaction_id'],
                              ARRAY[true, true, true, true])
      || ARRAY[
        'ALTER TABLE feedback_reactions ADD CONSTRAINT feedback_reactions_reaction_key'
          || ' UNIQUE USING INDEX feedback_reactions_reaction_key',
        'ALTER INDEX idx_feedback_reactions_repo_title_id_desc_adopt'
          || ' RENAME TO idx_feedback_reactions_repo_title_id_desc',
        'ALTER TABLE findings ADD CONSTRAINT findings_review_id_fkey FOREIGN KEY (review_id)'
          || ' REFERENCES reviews (id) ON DELETE CASCADE NOT VALID',
        'ALTER TABLE suppression_log ADD CONSTRAINT suppression_log_review_id_fkey FOREIGN KEY (review_id)'
          || ' REFERENCES reviews (id) ON DELETE CASCADE NOT VALID',
        'ALTER TABLE feedback_reactions ADD CONSTRAINT feedback_reactions_review_id_fkey FOREIGN KEY (review_id)'
          || ' REFERENCES reviews (id) ON DELETE CASCADE NOT VALID',
        'ALTER TABLE feedback_reactions ADD CONSTRAINT feedback_reactions_finding_id_fkey FOREIGN KEY (finding_id)'
          || ' REFERENCES findings (id) ON DELETE CASCADE NOT VALID']);
  END IF;
END
$$;

CALL pg_temp.swap('global_patterns', ARRAY['id'], ARRAY['$c'], ARRAY[true]);
CALL pg_temp.swap('run_state', ARRAY['id'], ARRAY['$c'], ARRAY[true]);
CALL pg_temp.swap('author_cache', ARRAY['id'], ARRAY['$c'], ARRAY[true]);
CALL pg_temp.swap('dep_bump_merge_history', ARRAY['id', 'signals_json', 'merge_confidence_rationale_json'],
  ARRAY['$c', 'kodiai_adopt_json($c)', 'kodiai_adopt_json($c)'], ARRAY[true, false, false]);
CALL pg_temp.swap('review_checkpoints', ARRAY['id', 'checkpoint_data'], ARRAY['$c', 'kodiai_adopt_json($c)'],
  ARRAY[true, true]);
CALL pg_temp.swap('telemetry_events', ARRAY['cost_usd'], ARRAY['$c::numeric(18,10)'], ARRAY[true]);
CALL pg_temp.swap('rate_limit_events', ARRAY['cache_hit_rate'], ARRAY['$c::double precision'], ARRAY[true]);
CALL pg_temp.swap('retrieval_quality_events', ARRAY['distance_threshold', 'avg_distance', 'language_match_ratio'],
  ARRAY['$c::double precision', '$c::double precision', '$c::double precision'], ARRAY[false, false, false]);
CALL pg_temp.swap('resilience_events', ARRAY['retry_scope_ratio'], ARRAY['$c::double precision'], ARRAY[false]);
CALL pg_temp.swap('learning_memories', ARRAY['review_id'], ARRAY['$c'], ARRAY[false]);
CALL pg_temp.bigserial_identity('telemetry_events');
CALL pg_temp.bigserial_identity('rate_limit_events');
CALL pg_temp.bigserial_identity('retrieval_quality_events');
CALL pg_temp.bigserial_identity('resilience_events');
CALL pg_temp.bigserial_identity('learning_memories');

-- The trigger's helper is no longer used by any trigger.
DROP FUNCTION IF EXISTS kodiai_adopt_json(text);

-- Scans under SHARE UPDATE EXCLUSIVE (reads and writes go on); no-ops when valid already.
-- squawk-ignore prefer-robust-stmts
ALTER TABLE findings VALIDATE CONSTRAINT findings_review_id_fkey;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE suppression_log VALIDATE CONSTRAINT suppression_log_review_id_fkey;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE feedback_reactions VALIDATE CONSTRAINT feedback_reactions_review_id_fkey;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE feedback_reactions VALIDATE CONSTRAINT feedback_reactions_finding_id_fkey;

-- The CHECKs of our 001 (kodiai has none): NOT VALID where missing, then VALIDATE. A row that breaks
-- one stops the file here, the constraint NOT VALID (new writes checked); fix the row, run `up` again.

SELECT pg_temp.add_check('reviews', 'reviews_counts_check', 'files_analyzed >= 0 AND lines_changed >= 0'
  || ' AND findings_critical >= 0 AND findings_major >= 0 AND findings_medium >= 0 AND findings_minor >= 0'
  || ' AND findings_total >= 0 AND suppressions_applied >= 0');
SELECT pg_temp.add_check('reviews', 'reviews_duration_ms_check', 'duration_ms >= 0');
SELECT pg_temp.add_check('findings', 'findings_severity_check',
  'severity IN (''critical'', ''major'', ''medium'', ''minor'')');
SELECT pg_temp.add_check('findings', 'findings_category_check',
  'category IN (''security'', ''correctness'', ''performance'', ''style'', ''documentation'')');
SELECT pg_temp.add_check('suppression_log', 'suppression_log_matched_count_check', 'matched_count >= 0');
SELECT pg_temp.add_check('suppression_log', 'suppression_log_finding_ids_check',
  'jsonb_typeof(finding_ids) = ''array''');
SELECT pg_temp.add_check('global_patterns', 'global_patterns_severity_check',
  'severity IN (''critical'', ''major'', ''medium'', ''minor'')');
SELECT pg_temp.add_check('global_patterns', 'global_patterns_category_check',
  'category IN (''security'', ''correctness'', ''performance'', ''style'', ''documentation'')');
SELECT pg_temp.add_check('global_patterns', 'global_patterns_count_check', 'count >= 0');
SELECT pg_temp.add_check('feedback_reactions', 'feedback_reactions_reaction_content_check',
  'reaction_content IN (''+1'', ''-1'')');
SELECT pg_temp.add_check('feedback_reactions', 'feedback_reactions_severity_check',
  'severity IN (''critical'', ''major'', ''medium'', ''minor'')');
SELECT pg_temp.add_check('feedback_reactions', 'feedback_reactions_category_check',
  'category IN (''security'', ''correctness'', ''performance'', ''style'', ''documentation'')');
SELECT pg_temp.add_check('run_state', 'run_state_status_check',
  'status IN (''pending'', ''completed'', ''superseded'')');
SELECT pg_temp.add_check('author_cache', 'author_cache_pr_count_check', 'pr_count >= 0');
SELECT pg_temp.add_check('telemetry_events', 'telemetry_events_usage_check', 'input_tokens >= 0 AND output_tokens >= 0'
  || ' AND cache_read_tokens >= 0 AND cache_creation_tokens >= 0 AND duration_ms >= 0 AND cost_usd >= 0');
SELECT pg_temp.add_check('telemetry_events', 'telemetry_events_num_turns_check', 'num_turns >= 0');
SELECT pg_temp.add_check('rate_limit_events', 'rate_limit_events_counts_check',
  'skipped_queries >= 0 AND retry_attempts >= 0');
SELECT pg_temp.add_check('retrieval_quality_events', 'retrieval_quality_events_counts_check',
  'result_count >= 0 AND top_k >= 0');
SELECT pg_temp.add_check('learning_memories', 'learning_memories_severity_check',
  'severity IN (''critical'', ''major'', ''medium'', ''minor'')');
SELECT pg_temp.add_check('learning_memories', 'learning_memories_category_check',
  'category IN (''security'', ''correctness'', ''performance'', ''style'', ''documentation'')');
SELECT pg_temp.add_check('learning_memories', 'learning_memories_outcome_check',
  'outcome IN (''accepted'', ''suppressed'', ''thumbs_up'', ''thumbs_down'')');
-- (learning_memories_embedding_dim_check: our 007 adds it on the halfvec column; checking it here
-- would read every float32 vector of the table once more.)

-- VALIDATE of a valid constraint does nothing: re-runnable.
-- squawk-ignore prefer-robust-stmts
ALTER TABLE reviews VALIDATE CONSTRAINT reviews_counts_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE reviews VALIDATE CONSTRAINT reviews_duration_ms_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE findings VALIDATE CONSTRAINT findings_severity_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE findings VALIDATE CONSTRAINT findings_category_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE suppression_log VALIDATE CONSTRAINT suppression_log_matched_count_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE suppression_log VALIDATE CONSTRAINT suppression_log_finding_ids_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE global_patterns VALIDATE CONSTRAINT global_patterns_severity_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE global_patterns VALIDATE CONSTRAINT global_patterns_category_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE global_patterns VALIDATE CONSTRAINT global_patterns_count_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE feedback_reactions VALIDATE CONSTRAINT feedback_reactions_reaction_content_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE feedback_reactions VALIDATE CONSTRAINT feedback_reactions_severity_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE feedback_reactions VALIDATE CONSTRAINT feedback_reactions_category_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE run_state VALIDATE CONSTRAINT run_state_status_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE author_cache VALIDATE CONSTRAINT author_cache_pr_count_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE telemetry_events VALIDATE CONSTRAINT telemetry_events_usage_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE telemetry_events VALIDATE CONSTRAINT telemetry_events_num_turns_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE rate_limit_events VALIDATE CONSTRAINT rate_limit_events_counts_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE retrieval_quality_events VALIDATE CONSTRAINT retrieval_quality_events_counts_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE learning_memories VALIDATE CONSTRAINT learning_memories_severity_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE learning_memories VALIDATE CONSTRAINT learning_memories_category_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE learning_memories VALIDATE CONSTRAINT learning_memories_outcome_check;

-- Names: kodiai's unique key of global_patterns (PostgreSQL's truncated default name) becomes ours.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = 'global_patterns'::regclass
             AND conname = 'global_patterns_severity_category_confidence_band_pattern_f_key') THEN
    PERFORM pg_temp.brief_ddl(ARRAY['ALTER TABLE global_patterns RENAME CONSTRAINT'
      || ' global_patterns_severity_category_confidence_band_pattern_f_key TO global_patterns_pattern_key']);
  END IF;
END
$$;

-- kodiai's index names become ours (same columns). An index rename takes SHARE UPDATE EXCLUSIVE.
ALTER INDEX IF EXISTS idx_reviews_repo_created RENAME TO idx_reviews_repo_created_at;
ALTER INDEX IF EXISTS idx_reviews_pr RENAME TO idx_reviews_repo_pr_number;
ALTER INDEX IF EXISTS idx_findings_repo_file RENAME TO idx_findings_file_path;
ALTER INDEX IF EXISTS idx_global_patterns_lookup RENAME TO idx_global_patterns_severity_category_band;
ALTER INDEX IF EXISTS idx_feedback_reactions_repo_created RENAME TO idx_feedback_reactions_repo_created_at;
ALTER INDEX IF EXISTS idx_run_state_repo_pr RENAME TO idx_run_state_repo_pr_number;
ALTER INDEX IF EXISTS idx_dep_bump_merge_repo_created RENAME TO idx_dep_bump_merge_history_repo_created_at;
ALTER INDEX IF EXISTS idx_dep_bump_merge_repo_pkg RENAME TO idx_dep_bump_merge_history_repo_package_name;
ALTER INDEX IF EXISTS idx_rate_limit_events_repo_created RENAME TO idx_rate_limit_events_repo_created_at;
ALTER INDEX IF EXISTS idx_retrieval_quality_delivery RENAME TO idx_retrieval_quality_events_delivery_id;
ALTER INDEX IF EXISTS idx_retrieval_quality_repo_created RENAME TO idx_retrieval_quality_events_repo_created_at;
ALTER INDEX IF EXISTS idx_resilience_events_repo_created RENAME TO idx_resilience_events_repo_created_at;
ALTER INDEX IF EXISTS idx_memories_owner RENAME TO idx_learning_memories_owner;
ALTER INDEX IF EXISTS idx_memories_stale RENAME TO idx_learning_memories_stale;

-- kodiai's indexes that our 001 does without (each a prefix of another index of the table).
DROP INDEX CONCURRENTLY IF EXISTS idx_reviews_repo;
DROP INDEX CONCURRENTLY IF EXISTS idx_author_cache_lookup;
DROP INDEX CONCURRENTLY IF EXISTS idx_memories_repo;

-- Our 001's BRIN indexes for the purges by age.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rate_limit_events_created_at_brin
  ON rate_limit_events USING brin (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_retrieval_quality_events_created_at_brin
  ON retrieval_quality_events USING brin (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_resilience_events_created_at_brin
  ON resilience_events USING brin (created_at);

-- What our 002 does, on kodiai's float32 column. kodiai's float32 HNSW index went in from-kodiai/001
-- (the batches would otherwise insert every row into it again); here too where 001 was older.
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_embedding_hnsw;

-- The half-precision copy, stored inline (PLAIN), kept by trigger (see our 002 for the layout's why).
-- Only where it is missing: each of these waits for a lock on the table.
DO $$
BEGIN
  IF NOT pg_temp.has_column('learning_memories', 'embedding_half')
     AND pg_catalog.format_type((SELECT atttypid FROM pg_catalog.pg_attribute
                                 WHERE attrelid = 'learning_memories'::regclass AND attname = 'embedding'),
                                NULL) = 'vector' THEN
    PERFORM pg_temp.brief_ddl(ARRAY[
      'ALTER TABLE learning_memories ADD COLUMN IF NOT EXISTS embedding_half halfvec(1024)',
      'ALTER TABLE learning_memories ALTER COLUMN embedding_half SET STORAGE PLAIN',
      'ALTER TABLE learning_memories SET (toast_tuple_target = 4080)']);
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION learning_memories_embedding_half_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.embedding_half := NEW.embedding::halfvec(1024);
  RETURN NEW;
END
$$;

DO $$
BEGIN
  IF pg_temp.has_column('learning_memories', 'embedding_half') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
      WHERE tgrelid = 'learning_memories'::regclass AND tgname = 'learning_memories_embedding_half_sync') THEN
    PERFORM pg_temp.brief_ddl(ARRAY['CREATE TRIGGER learning_memories_embedding_half_sync'
      || ' BEFORE INSERT OR UPDATE OF embedding, embedding_half ON learning_memories'
      || ' FOR EACH ROW EXECUTE FUNCTION learning_memories_embedding_half_sync()']);
  END IF;
END
$$;

DO $$
BEGIN
  IF pg_temp.has_column('learning_memories', 'embedding_half') THEN
    CALL pg_temp.in_batches('learning_memories',
      'UPDATE learning_memories SET embedding_half = embedding::halfvec(1024)'
      || ' WHERE id >= $1 AND id < $2 AND embedding IS NOT NULL AND embedding_half IS NULL', 2000);
    -- Our 007 reads this comment: the copy is complete.
    COMMENT ON COLUMN learning_memories.embedding_half IS
      'embedding as halfvec(1024), stored inline (PLAIN), kept by trigger learning_memories_embedding_half_sync; complete (every row copied); 007 makes it the embedding column.';
  END IF;
END
$$;
