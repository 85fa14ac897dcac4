-- Inverse of 009: the two functions of hybrid any-word retrieval (nothing else uses them).
SET LOCAL lock_timeout = '1s';
DROP FUNCTION IF EXISTS learning_memories_text_top(regconfig, text, text[], integer);
DROP FUNCTION IF EXISTS tsquery_at_least(regconfig, text, integer);
