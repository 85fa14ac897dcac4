-- Inverse of 053.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS issue_comments;
DROP TABLE IF EXISTS issues;
DROP FUNCTION IF EXISTS issue_comments_search_tsv_update();
DROP FUNCTION IF EXISTS issues_search_tsv_update();
