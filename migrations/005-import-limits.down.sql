-- Inverse of 005: the btree indexes of 001 again, built CONCURRENTLY before the hash indexes
-- are dropped CONCURRENTLY (no step blocks the bot). Rows with a title or path too long for a
-- btree entry make a build fail: the migration then stays recorded as failed with an INVALID
-- index named in the error; drop it (DROP INDEX CONCURRENTLY), then `migrate resolve 5 --applied`.
-- migrate:no-transaction
SET lock_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_findings_file_path ON findings (file_path);
DROP INDEX CONCURRENTLY IF EXISTS idx_findings_file_path_hash;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_feedback_reactions_repo_title ON feedback_reactions (repo, title);
DROP INDEX CONCURRENTLY IF EXISTS idx_feedback_reactions_title_hash;
