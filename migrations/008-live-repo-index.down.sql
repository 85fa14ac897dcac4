-- Inverse of 008.
DROP INDEX IF EXISTS idx_learning_memories_repo_live;
