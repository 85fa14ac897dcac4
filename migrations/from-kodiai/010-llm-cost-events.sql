-- from-kodiai 010 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's llm_cost_events as
-- its 010 and 049 made it (24fba64a) becomes what our 025 creates, every row kept.
-- migrate:no-transaction
--
-- What differs: estimated_cost_usd numeric(12,8) becomes double precision (our 025 says why: the bot sends and
-- reads a JavaScript number; its stock postgres.js returns numeric as a string). The conversion is exact both
-- ways: a numeric(12,8) has at most 12 significant digits, a double holds 15, so each value converts back to
-- the same numeric(12,8). kodiai's bigserial key becomes our bigint identity (same type: catalog only),
-- continuing kodiai's sequence; our CHECKs (sdk 'agent' or 'ai'; tokens, duration and cost >= 0, the cost
-- finite); kodiai's idx_llm_cost_events_repo goes (a prefix of 049's (repo, created_at DESC), which our 025
-- carries and which stays). The other columns, NOT NULLs, defaults, llm_cost_events_pkey and the task_type,
-- model, created_at and delivery_id indexes are the same.
--
-- Online: one row per LLM call of the bot, so it grows with its traffic (bound assumed: millions of rows). As
-- from-kodiai/001-002 (the kit's helpers, migrations/from-kodiai/online-kit.sql): a column
-- estimated_cost_usd_adopt kept by trigger, the rows already there in batches of 5,000 (each committed), NOT
-- NULL proved by a CHECK NOT VALID then VALIDATE, every row checked against its conversion, then a swap of
-- names (catalog changes only) in a transaction that waits at most 1.5 s for its locks and retries. The CHECKs
-- are added NOT VALID, then VALIDATEd (SHARE UPDATE EXCLUSIVE: the bot's reads and writes go on). Every
-- statement is safe to run again: a run that stopped resumes with the next `up`. A row our CHECKs refuse (an
-- sdk of another name, a negative count) stops the run at its VALIDATE with the constraint left NOT VALID (new
-- writes are checked): fix the row, run `up` again.

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot (batches, VALIDATE, concurrent index
-- builds) and may wait for older transactions.
SET lock_timeout = 0;

-- pg_temp.brief_ddl, in_batches, prepare, swap, add_check, ...: migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

-- Kodiai's redundant index first: the batches would otherwise update it for every row they rewrite.
DROP INDEX CONCURRENTLY IF EXISTS idx_llm_cost_events_repo;

CALL pg_temp.prepare('llm_cost_events', ARRAY['estimated_cost_usd'], ARRAY['double precision'],
  ARRAY['$c::double precision'], ARRAY[true], 5000);
CALL pg_temp.swap('llm_cost_events', ARRAY['estimated_cost_usd'], ARRAY['$c::double precision'], ARRAY[true]);
CALL pg_temp.bigserial_identity('llm_cost_events');

SELECT pg_temp.add_check('llm_cost_events', 'llm_cost_events_sdk_check', 'sdk IN (''agent'', ''ai'')');
SELECT pg_temp.add_check('llm_cost_events', 'llm_cost_events_usage_check', 'input_tokens >= 0'
  || ' AND output_tokens >= 0 AND cache_read_tokens >= 0 AND cache_write_tokens >= 0 AND duration_ms >= 0'
  || ' AND estimated_cost_usd >= 0 AND estimated_cost_usd < ''Infinity''::double precision');

-- VALIDATE of a valid constraint does nothing: re-runnable.
-- squawk-ignore prefer-robust-stmts
ALTER TABLE llm_cost_events VALIDATE CONSTRAINT llm_cost_events_sdk_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE llm_cost_events VALIDATE CONSTRAINT llm_cost_events_usage_check;
