-- Inverse of 024: both tables (with their indexes and trigger) and the trigger function.
-- Tables of the bot's own: rolling back drops the snippets it embedded.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS code_snippet_occurrences;
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS code_snippets;
DROP FUNCTION IF EXISTS code_snippets_tsv_update();
