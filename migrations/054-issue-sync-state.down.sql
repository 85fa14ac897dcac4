-- Inverse of 054.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS issue_sync_state;
