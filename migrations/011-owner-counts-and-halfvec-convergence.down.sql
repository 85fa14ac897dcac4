-- Inverse of 011: its index, CONCURRENTLY. A database that applied the earlier 007 stays in
-- today's layout (007's own down takes it back to the float32 column).
-- migrate:no-transaction
SET lock_timeout = 0;
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_owner_live;
