-- Inverse of 056.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS embedding_repair_state;
