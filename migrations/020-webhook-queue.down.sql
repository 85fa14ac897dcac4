-- Inverse of 020: the table (with its indexes and trigger), its trigger function and
-- jsonb_unwrap_stringified. A table of the bot's own: rolling back drops what it queued.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS webhook_queue;
DROP FUNCTION IF EXISTS webhook_queue_json_unwrap();
DROP FUNCTION IF EXISTS jsonb_unwrap_stringified(jsonb);
