-- 065: kodiai's widening of GitHub comment and finding ids to bigint (kodiai 032, 040), which
-- this project's 001 already created as bigint: no type to change. This file checks that it is
-- so and stops (changing nothing) where a column is not bigint, so recording kodiai's two files
-- as carried is never a lie; and it says in learning_memories.finding_id's comment what the
-- bot stores there since 040 (the other four columns have theirs since 001).
-- kodiai: 032-bigint-comment-ids.sql 37f9e4a3896d
-- kodiai: 040-learning-memory-bigint-finding-id.sql 5dbdfebd62a8
-- COMMENT ON takes SHARE UPDATE EXCLUSIVE, which an autovacuum of learning_memories holds too: wait longer than
-- deadlock_timeout (1 s), after which PostgreSQL cancels an autovacuum that blocks us (the bot's DML is never blocked).
SET LOCAL lock_timeout = '1500ms';

DO $$
DECLARE
  bad text;
BEGIN
  SELECT pg_catalog.string_agg(c.table_name || '.' || c.column_name || ' is ' || c.data_type, ', ')
    INTO bad
    FROM information_schema.columns c
    JOIN (VALUES ('findings', 'comment_id'), ('feedback_reactions', 'comment_id'),
                 ('review_checkpoints', 'partial_comment_id'), ('resilience_events', 'partial_comment_id'),
                 ('learning_memories', 'finding_id')) AS want (t, col)
      ON c.table_name = want.t AND c.column_name = want.col
   WHERE c.table_schema = pg_catalog.current_schema() AND c.data_type <> 'bigint';
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'GitHub id columns must be bigint (kodiai 032, 040): %', bad;
  END IF;
END
$$;

COMMENT ON COLUMN learning_memories.finding_id IS
  'The finding the memory came from: a findings.id or, since kodiai 040, a GitHub review comment id (64-bit). No FK.';
