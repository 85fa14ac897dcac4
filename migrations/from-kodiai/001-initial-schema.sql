-- from-kodiai 001 (first step of adopting a database built by kodiai's own runner, files 001-054 of
-- kodiai commit 24fba64a; docs/adopt.md): prepares, without taking any lock that blocks the bot for
-- more than a moment, the new columns that the next step (from-kodiai/002) swaps in.
-- migrate:no-transaction
--
-- kodiai's runner made the 14 tables of our 001 with int4 serial keys and int4 review/finding/reaction
-- ids, JSON kept as text, REAL where our 001 has numeric(18,10) (cost_usd) or double precision. A
-- type change in place (ALTER COLUMN TYPE) rewrites the table under ACCESS EXCLUSIVE: at production
-- size (5.3 GB) the bot would wait for minutes. Instead, per table:
--   1. a column `<name>_adopt` of the new type for every column that changes, and a trigger that fills
--      it on every row the bot writes from then on (catalog changes only, in pg_temp.brief_ddl);
--   2. the rows already there, in batches of ids, each batch committed (row locks of one batch);
--   3. for a column that is NOT NULL: a CHECK (<name>_adopt IS NOT NULL) NOT VALID, then VALIDATE
--      (SHARE UPDATE EXCLUSIVE: reads and writes go on), so the swap's SET NOT NULL scans nothing;
--   4. the unique and lookup indexes on the new columns, CONCURRENTLY.
-- from-kodiai/002 then checks every row (new value = conversion of old value; a difference refuses the
-- swap, nothing changed) and swaps names in one short transaction per table (per group of tables tied
-- by foreign keys).
--
-- Re-runnable from any point (a conversion killed midway resumes with the next `up`): columns and
-- triggers are added where missing, batches skip rows already converted, an index build that was
-- interrupted (left INVALID) is dropped and built again. This file never swaps, so every statement
-- below still finds the `_adopt` columns it names when it runs again.
--
-- Conversions (the same in the trigger, the batches and from-kodiai/002's check):
--   int4 -> bigint: the value. real -> double precision: the value, exactly (every float4 is a float8).
--   real -> numeric(18,10) (telemetry_events.cost_usd): rounded to 10 decimals, as a cast does.
--   JSON text -> jsonb: kodiai_adopt_json(text): the parsed JSON; a JSON string whose text is an
--   object or array (written double-encoded) is parsed once more, as our 004 repairs jsonb. Text that
--   is not JSON at all stops this file at the read-only check below, before anything changed.

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot's reads or writes (functions,
-- concurrent index builds, VALIDATE: SHARE UPDATE EXCLUSIVE at most) and may wait for older
-- transactions: no lock timeout for them.
SET lock_timeout = 0;

-- pg_temp.brief_ddl, in_batches, prepare, drop_invalid: migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

-- The JSON conversion, used by the triggers below while the conversion runs (a trigger cannot call a
-- temporary function of this session); from-kodiai/002 drops it after the last swap.
CREATE OR REPLACE FUNCTION kodiai_adopt_json(v text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(v::jsonb) = 'string' AND left(ltrim(v::jsonb #>> '{}'), 1) IN ('{', '[')
              THEN (v::jsonb #>> '{}')::jsonb ELSE v::jsonb END
$$;

-- Read-only: every JSON text parses (one that does not stops here, nothing changed). On a database
-- where the swap already ran these columns are jsonb, and the casts are no-ops.
SELECT count(kodiai_adopt_json(config_snapshot::text)) FROM reviews;
SELECT count(kodiai_adopt_json(finding_ids::text)) FROM suppression_log;
SELECT count(kodiai_adopt_json(signals_json::text)) + count(kodiai_adopt_json(merge_confidence_rationale_json::text))
  FROM dep_bump_merge_history;
SELECT count(kodiai_adopt_json(checkpoint_data::text)) FROM review_checkpoints;

-- An index of this conversion that an interrupted concurrent build left INVALID is dropped, so that its
-- CREATE ... IF NOT EXISTS below builds it again (the `_adopt` ones, and these under their final names).
SELECT pg_temp.drop_invalid(ARRAY['idx_findings_review_id', 'idx_suppression_log_review_id',
  'idx_feedback_reactions_finding_id', 'idx_feedback_reactions_review_id', 'feedback_reactions_reaction_key']);

-- The knowledge store. Batches of 5,000 rows (small rows); learning_memories below 2,000.
CALL pg_temp.prepare('reviews', ARRAY['id', 'config_snapshot'], ARRAY['bigint', 'jsonb'],
  ARRAY['$c', 'kodiai_adopt_json($c)'], ARRAY[true, false], 5000);
CALL pg_temp.prepare('findings', ARRAY['id', 'review_id'], ARRAY['bigint', 'bigint'], ARRAY['$c', '$c'],
  ARRAY[true, true], 5000);
CALL pg_temp.prepare('suppression_log', ARRAY['id', 'review_id', 'finding_ids'], ARRAY['bigint', 'bigint', 'jsonb'],
  ARRAY['$c', '$c', 'kodiai_adopt_json($c)'], ARRAY[true, true, false], 5000);
CALL pg_temp.prepare('global_patterns', ARRAY['id'], ARRAY['bigint'], ARRAY['$c'], ARRAY[true], 5000);
CALL pg_temp.prepare('feedback_reactions', ARRAY['id', 'review_id', 'finding_id', 'reaction_id'],
  ARRAY['bigint', 'bigint', 'bigint', 'bigint'], ARRAY['$c', '$c', '$c', '$c'], ARRAY[true, true, true, true], 5000);
CALL pg_temp.prepare('run_state', ARRAY['id'], ARRAY['bigint'], ARRAY['$c'], ARRAY[true], 5000);
CALL pg_temp.prepare('author_cache', ARRAY['id'], ARRAY['bigint'], ARRAY['$c'], ARRAY[true], 5000);
CALL pg_temp.prepare('dep_bump_merge_history', ARRAY['id', 'signals_json', 'merge_confidence_rationale_json'],
  ARRAY['bigint', 'jsonb', 'jsonb'], ARRAY['$c', 'kodiai_adopt_json($c)', 'kodiai_adopt_json($c)'],
  ARRAY[true, false, false], 5000);
CALL pg_temp.prepare('review_checkpoints', ARRAY['id', 'checkpoint_data'], ARRAY['bigint', 'jsonb'],
  ARRAY['$c', 'kodiai_adopt_json($c)'], ARRAY[true, true], 5000);

-- The telemetry store: ids are bigint already (kodiai's BIGSERIAL); REAL columns change.
CALL pg_temp.prepare('telemetry_events', ARRAY['cost_usd'], ARRAY['numeric(18,10)'], ARRAY['$c::numeric(18,10)'],
  ARRAY[true], 5000);
CALL pg_temp.prepare('rate_limit_events', ARRAY['cache_hit_rate'], ARRAY['double precision'],
  ARRAY['$c::double precision'], ARRAY[true], 5000);
CALL pg_temp.prepare('retrieval_quality_events', ARRAY['distance_threshold', 'avg_distance', 'language_match_ratio'],
  ARRAY['double precision', 'double precision', 'double precision'],
  ARRAY['$c::double precision', '$c::double precision', '$c::double precision'], ARRAY[false, false, false], 5000);
CALL pg_temp.prepare('resilience_events', ARRAY['retry_scope_ratio'], ARRAY['double precision'],
  ARRAY['$c::double precision'], ARRAY[false], 5000);

-- The learning memory store: the id is bigint already, finding_id too (kodiai's 040); review_id is int4.
-- kodiai's float32 HNSW index goes first, CONCURRENTLY: every row a batch rewrites would otherwise be
-- inserted into it again (measured with bench adopt: 2,000 memories took 17 s, and the bot's update of a
-- memory waited 10 s for a batch's row locks). Our 002 keeps no float32 index either: the bot's
-- nearest-memory query reads the table until the per-repo halfvec indexes exist (indexes@kodiai sync after
-- `up`, docs/adopt.md).
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_embedding_hnsw;
CALL pg_temp.prepare('learning_memories', ARRAY['review_id'], ARRAY['bigint'], ARRAY['$c'], ARRAY[false], 2000);

-- Step 4: the indexes on the new columns. Unique ones first under a temporary name (the swap turns them
-- into the primary keys and unique constraints of our 001); lookup indexes under their final names
-- (kodiai's have other names, dropped in from-kodiai/002).
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS reviews_pkey_adopt ON reviews (id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS findings_pkey_adopt ON findings (id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS suppression_log_pkey_adopt ON suppression_log (id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS global_patterns_pkey_adopt ON global_patterns (id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS feedback_reactions_pkey_adopt ON feedback_reactions (id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS feedback_reactions_reaction_key
  ON feedback_reactions (repo, comment_id, reaction_id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS run_state_pkey_adopt ON run_state (id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS author_cache_pkey_adopt ON author_cache (id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dep_bump_merge_history_pkey_adopt ON dep_bump_merge_history (id_adopt);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS review_checkpoints_pkey_adopt ON review_checkpoints (id_adopt);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_findings_review_id ON findings (review_id_adopt);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_suppression_log_review_id ON suppression_log (review_id_adopt);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_feedback_reactions_finding_id ON feedback_reactions (finding_id_adopt);
-- Not in kodiai: without it, deleting a review scans feedback_reactions for the cascade (our 001).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_feedback_reactions_review_id ON feedback_reactions (review_id_adopt);
-- kodiai's 045 index on (repo, title, id DESC), on the new id: the bot's plans stay as they are until
-- the migration that carries kodiai's 045 decides its form (the btree on an unbounded title).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_feedback_reactions_repo_title_id_desc_adopt
  ON feedback_reactions (repo, title, id_adopt DESC);
