-- Inverse of 005: the btree indexes of 001 again (rows with a title or path too
-- long for a btree entry make this fail: then nothing is rolled back, and the
-- error names the index).
DROP INDEX IF EXISTS idx_findings_file_path_hash;
CREATE INDEX idx_findings_file_path ON findings (file_path);

DROP INDEX IF EXISTS idx_feedback_reactions_title_hash;
CREATE INDEX idx_feedback_reactions_repo_title ON feedback_reactions (repo, title);
