-- Inverse of 008, CONCURRENTLY (it waits for older transactions and blocks none of the bot's).
-- migrate:no-transaction
SET lock_timeout = 0;
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_repo_live;
