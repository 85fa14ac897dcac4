-- Inverse of 023. A table of the bot's own: rolling back drops the CI history it recorded.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS ci_check_history;
