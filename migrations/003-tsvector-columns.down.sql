-- Inverse of 003, in reverse order: triggers, their functions, GIN indexes,
-- columns. IF EXISTS throughout (also on the tables: a partly rolled back
-- schema can still be taken down). One short transaction of catalog changes (a dropped
-- index's files go at commit); each lock is waited for at most 1 s (then it fails, changing
-- nothing: run it again), so the bot never queues behind it for longer.
SET LOCAL lock_timeout = '1s';
DROP TRIGGER IF EXISTS learning_memories_search_tsv_trigger ON learning_memories;
DROP FUNCTION IF EXISTS learning_memories_search_tsv_update();
-- One short transaction with the column drop, lock waited <= 1 s:
-- squawk-ignore require-concurrent-index-deletion
DROP INDEX IF EXISTS idx_learning_memories_search_tsv;
-- The column 003 added: rolling back the full-text search:
-- squawk-ignore ban-drop-column
ALTER TABLE IF EXISTS learning_memories DROP COLUMN IF EXISTS search_tsv;

DROP TRIGGER IF EXISTS findings_search_tsv_trigger ON findings;
DROP FUNCTION IF EXISTS findings_search_tsv_update();
-- As above:
-- squawk-ignore require-concurrent-index-deletion
DROP INDEX IF EXISTS idx_findings_search_tsv;
-- As above:
-- squawk-ignore ban-drop-column
ALTER TABLE IF EXISTS findings DROP COLUMN IF EXISTS search_tsv;
