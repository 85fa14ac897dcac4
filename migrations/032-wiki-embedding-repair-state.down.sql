-- Inverse of 032. A checkpoint: rolling back makes the next repair start from the beginning.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_embedding_repair_state;
