-- Inverse of 057.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS canonical_corpus_backfill_state;
DROP TABLE IF EXISTS canonical_code_chunks;
DROP FUNCTION IF EXISTS canonical_code_chunks_tsv_update();
