-- Inverse of 022: both tables (with their indexes and trigger) and the trigger function.
-- Tables of the bot's own: rolling back drops the wiki pages it ingested.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_sync_state;
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_pages;
DROP FUNCTION IF EXISTS wiki_pages_search_tsv_update();
