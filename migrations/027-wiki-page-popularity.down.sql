-- Inverse of 027. Tables of the bot's own: rolling back drops the scores and citation log.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_citation_events;
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_page_popularity;
