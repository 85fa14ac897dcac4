-- Inverse of 025. A table of the bot's own: rolling back drops the cost events it recorded.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS llm_cost_events;
