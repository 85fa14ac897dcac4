-- Inverse of 028. A table of the bot's own: rolling back drops the evidence it stored.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS wiki_pr_evidence;
DROP FUNCTION IF EXISTS wiki_pr_evidence_json_unwrap();
