-- Inverse of 001: drops every table of the schema, then the extension.
-- Down 0: the whole schema goes, the bot with it:
-- squawk-ignore-file ban-drop-table, require-lock-timeout
-- Children before parents so that no CASCADE is needed: CASCADE could
-- silently take objects created outside the migrations with it (a view an
-- operator added), and such a dependency should stop the rollback instead.
-- IF EXISTS everywhere so a partly built schema can still be taken down.

DROP TABLE IF EXISTS feedback_reactions;
DROP TABLE IF EXISTS suppression_log;
DROP TABLE IF EXISTS findings;
DROP TABLE IF EXISTS reviews;
DROP TABLE IF EXISTS global_patterns;
DROP TABLE IF EXISTS run_state;
DROP TABLE IF EXISTS author_cache;
DROP TABLE IF EXISTS dep_bump_merge_history;
DROP TABLE IF EXISTS review_checkpoints;
DROP TABLE IF EXISTS telemetry_events;
DROP TABLE IF EXISTS rate_limit_events;
DROP TABLE IF EXISTS retrieval_quality_events;
DROP TABLE IF EXISTS resilience_events;
DROP TABLE IF EXISTS learning_memories;

-- After the tables: learning_memories.embedding depends on the vector type.
-- No CASCADE, for the same reason as above.
DROP EXTENSION IF EXISTS vector;

-- Last: the runner deletes 001's row from this table in the same transaction,
-- and finds the table gone afterwards (that means "nothing applied").
DROP TABLE IF EXISTS _migrations;
