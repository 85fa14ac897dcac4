-- Inverse of 030. A cache: rolling back drops what the bot would compute again.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_style_cache;
