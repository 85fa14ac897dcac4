-- 004: every jsonb column holds the JSON shape its store writes, so a
-- double-encoded value fails loudly instead of being stored. Double encoding
-- is what stock postgres.js does with `${JSON.stringify(obj)}` for a jsonb
-- column: it encodes the string once more and stores a JSON *string* that
-- `->` and `@>` never match (docs/client.md). Shapes, from the stores' code:
--   reviews.config_snapshot                               object (the review's config)
--   dep_bump_merge_history.signals_json                   array  (detection signals, string[])
--   dep_bump_merge_history.merge_confidence_rationale_json array (rationale lines, string[])
--   review_checkpoints.checkpoint_data                    object (files reviewed, counts, draft)
--   suppression_log.finding_ids                           array  (already checked since 001)
-- SQL NULL stays allowed where the column is nullable; a JSON `null` is not.

-- Rows written double-encoded before this migration are repaired first: a
-- string scalar whose text is JSON is replaced by that JSON (`#>> '{}'`
-- unwraps the string, `::jsonb` parses it). A string that is not JSON stops
-- the migration ("invalid input syntax for type json"); one that holds another
-- scalar fails the new CHECK below. Either way nothing of 004 is applied.
UPDATE reviews SET config_snapshot = (config_snapshot #>> '{}')::jsonb
  WHERE jsonb_typeof(config_snapshot) = 'string';
UPDATE dep_bump_merge_history SET signals_json = (signals_json #>> '{}')::jsonb
  WHERE jsonb_typeof(signals_json) = 'string';
UPDATE dep_bump_merge_history
  SET merge_confidence_rationale_json = (merge_confidence_rationale_json #>> '{}')::jsonb
  WHERE jsonb_typeof(merge_confidence_rationale_json) = 'string';
UPDATE review_checkpoints SET checkpoint_data = (checkpoint_data #>> '{}')::jsonb
  WHERE jsonb_typeof(checkpoint_data) = 'string';

-- Each ADD CONSTRAINT scans its table once under an ACCESS EXCLUSIVE lock:
-- these tables hold one row per review, dependency bump or checkpoint, so
-- the scan is short (NOT VALID + VALIDATE would only matter for big tables).
ALTER TABLE reviews
  ADD CONSTRAINT reviews_config_snapshot_check CHECK (jsonb_typeof(config_snapshot) = 'object');
ALTER TABLE dep_bump_merge_history
  ADD CONSTRAINT dep_bump_merge_history_signals_json_check
    CHECK (jsonb_typeof(signals_json) = 'array'),
  ADD CONSTRAINT dep_bump_merge_history_merge_confidence_rationale_json_check
    CHECK (jsonb_typeof(merge_confidence_rationale_json) = 'array');
ALTER TABLE review_checkpoints
  ADD CONSTRAINT review_checkpoints_checkpoint_data_check CHECK (jsonb_typeof(checkpoint_data) = 'object');
