-- Inverse of 026. A table of the bot's own: rolling back drops the scan's state.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_staleness_run_state;
