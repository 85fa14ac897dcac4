-- Inverse of 055.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS triage_comment_reactions;
DROP TABLE IF EXISTS triage_threshold_state;
DROP TABLE IF EXISTS issue_outcome_feedback;
DROP TABLE IF EXISTS issue_triage_state;
