-- Inverse of 004: drops the four shape checks (001's check on
-- suppression_log.finding_ids stays). Rows that 004 repaired keep their
-- repaired JSON: it is the value that was meant, only encoded once. Catalog changes only;
-- each lock is waited for at most 1 s (then it fails, changing nothing: run it again).
SET LOCAL lock_timeout = '1s';
ALTER TABLE review_checkpoints DROP CONSTRAINT IF EXISTS review_checkpoints_checkpoint_data_check;
ALTER TABLE dep_bump_merge_history
  DROP CONSTRAINT IF EXISTS dep_bump_merge_history_merge_confidence_rationale_json_check,
  DROP CONSTRAINT IF EXISTS dep_bump_merge_history_signals_json_check;
ALTER TABLE reviews DROP CONSTRAINT IF EXISTS reviews_config_snapshot_check;
