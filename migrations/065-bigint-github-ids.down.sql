-- Inverse of 065: its comment goes (the types it checked are 001's).
SET LOCAL lock_timeout = '1s';
COMMENT ON COLUMN learning_memories.finding_id IS NULL;
