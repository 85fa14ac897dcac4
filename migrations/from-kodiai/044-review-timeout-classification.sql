-- from-kodiai 041 + 044 (adopting a database built by kodiai's own runner, docs/adopt.md): resilience_events'
-- columns of kodiai's 041 and 044 (24fba64a) become what our 064 makes of them, every row kept.
-- migrate:no-transaction
--
-- What differs: nothing in the columns. kodiai's 041 added checkpoint_files_inspected integer, its 044
-- timeout_classification text, timeout_classification_mode text and timeout_classification_reasons text[] NOT
-- NULL DEFAULT ARRAY[]::text[]: the same names, types, NOT NULLs and defaults as our 064's, and from-kodiai/001-002
-- left them as they were (resilience_events' other columns are our 001's since then). Ours adds three CHECKs
-- (files inspected not negative; classification and mode among the values the bot writes) and the comment on
-- timeout_classification_reasons.
--
-- Online (resilience_events grows with every review): the CHECKs come NOT VALID (catalog only, in one
-- transaction that waits at most 1.5 s for its lock and retries: pg_temp.add_check), then VALIDATE scans under
-- SHARE UPDATE EXCLUSIVE, which the bot's reads and writes do not wait for. Every statement is safe to run again.
-- A row our CHECKs refuse (a classification the bot never wrote) stops the run at its VALIDATE with the
-- constraint left NOT VALID (new writes are checked): fix the row, run `up` again.

-- outside pg_temp.brief_ddl: VALIDATE and COMMENT, which take no lock that blocks the bot's reads or writes
SET lock_timeout = 0;

-- pg_temp.brief_ddl, add_check: migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

SELECT pg_temp.add_check('resilience_events', 'resilience_events_checkpoint_files_inspected_check',
  'checkpoint_files_inspected >= 0');
SELECT pg_temp.add_check('resilience_events', 'resilience_events_timeout_classification_check',
  'timeout_classification IN (''expected-bounded-outcome'', ''hard-failure'', ''unknown'')');
SELECT pg_temp.add_check('resilience_events', 'resilience_events_timeout_classification_mode_check',
  'timeout_classification_mode IN (''bounded-partial-timeout'', ''zero-evidence-hard-timeout'','
  || ' ''max-turns-continuation'', ''chronic-timeout-skip'', ''retry-enqueued'', ''retry-completed'','
  || ' ''retry-failed'', ''long-run-threshold-exceeded'', ''unknown-malformed-evidence'')');

-- VALIDATE of a validated constraint does nothing: safe to run again
-- squawk-ignore prefer-robust-stmts
ALTER TABLE resilience_events VALIDATE CONSTRAINT resilience_events_checkpoint_files_inspected_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE resilience_events VALIDATE CONSTRAINT resilience_events_timeout_classification_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE resilience_events VALIDATE CONSTRAINT resilience_events_timeout_classification_mode_check;

COMMENT ON COLUMN resilience_events.timeout_classification_reasons IS
  'Reason codes of the timeout classification (ReviewTimeoutReasonCode); empty when the review did not time out.';
