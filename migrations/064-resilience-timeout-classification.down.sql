-- Inverse of 064: the columns go with their CHECKs (catalog only; a short lock waited for at
-- most 1 s).
SET LOCAL lock_timeout = '1s';
-- The columns 064 added: rolling back the timeout evidence:
-- squawk-ignore-file ban-drop-column
ALTER TABLE IF EXISTS resilience_events
  DROP COLUMN IF EXISTS timeout_classification_reasons,
  DROP COLUMN IF EXISTS timeout_classification_mode,
  DROP COLUMN IF EXISTS timeout_classification,
  DROP COLUMN IF EXISTS checkpoint_files_inspected;
