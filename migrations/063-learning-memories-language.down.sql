-- Inverse of 063: the column goes (catalog only; a short lock waited for at most 1 s).
SET LOCAL lock_timeout = '1s';
-- The column 063 added: rolling back the language of memories:
-- squawk-ignore ban-drop-column
ALTER TABLE IF EXISTS learning_memories DROP COLUMN IF EXISTS language;
