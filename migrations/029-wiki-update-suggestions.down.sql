-- Inverse of 029. A table of the bot's own: rolling back drops its suggestions.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_update_suggestions;
DROP FUNCTION IF EXISTS wiki_update_suggestions_json_unwrap();
