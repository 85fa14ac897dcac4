-- Inverse of 021: both tables (with their indexes and trigger) and the trigger function.
-- Tables of the bot's own: rolling back drops the comments it ingested.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS review_comment_sync_state;
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS review_comments;
DROP FUNCTION IF EXISTS review_comments_search_tsv_update();
