-- Inverse of 002: the copy, its trigger and function, the TOAST target. DROP COLUMN changes
-- only the catalog (the space is reused by later writes, or returned by VACUUM FULL); per-repo
-- indexes built on the copy (indexes@kodiai) go with it, and `indexes sync` refuses a database
-- below 002. Each statement waits at most 1 s for its lock (then fails, changing nothing).
SET LOCAL lock_timeout = '1s';
DROP TRIGGER IF EXISTS learning_memories_embedding_half_sync ON learning_memories;
DROP FUNCTION IF EXISTS learning_memories_embedding_half_sync();
-- The copy 002 added; nothing of the bot reads it before 007:
-- squawk-ignore ban-drop-column
ALTER TABLE IF EXISTS learning_memories DROP COLUMN IF EXISTS embedding_half;
ALTER TABLE IF EXISTS learning_memories RESET (toast_tuple_target);
