-- Inverse of 061.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS continuation_family_state;
