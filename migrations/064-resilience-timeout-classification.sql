-- 064: resilience_events' timeout evidence: files inspected before a checkpoint (kodiai 041)
-- and the review timeout classification (kodiai 044).
-- kodiai: 041-resilience-files-inspected.sql 539b7e253a1c
-- kodiai: 044-review-timeout-classification.sql 00df5239e0e6
-- migrate:no-transaction
--
-- Read from kodiai's telemetry/store.ts (recordResilienceEvent) and
-- review-orchestration/review-timeout-classification.ts. Where this differs from upstream:
-- CHECKs for the values the code writes (classification and mode are its
-- ReviewTimeoutClassification and ReviewTimeoutClassificationMode; counts not negative).
--
-- Online (resilience_events grows with every review): the columns are added in one short
-- transaction, catalog changes only (the array column's default is a constant, stored once in
-- the catalog, no rewrite), its lock waited for at most 1.5 s at a time; the CHECKs come NOT
-- VALID and are validated after, under a lock that blocks no read or write (the new columns are
-- NULL or empty in every existing row).

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot's reads or writes
-- (VALIDATE, comments): no lock timeout for them.
SET lock_timeout = 0;

-- pg_temp.brief_ddl(statements): runs the statements in one transaction that waits at most
-- 1.5 s for its locks; on a lock timeout it lets go, sleeps 0.5 s and tries again (up to
-- 40 minutes). A DDL statement waiting for a lock blocks every later reader and writer of the
-- table behind it, so it must never wait long; the bot's own queries wait at most that long.
-- Longer than deadlock_timeout (1 s): a waiter that long makes PostgreSQL cancel an autovacuum
-- holding the table (a 500 ms wait never did: measured at 1,000,000 memories, 10 minutes of
-- retries behind a VACUUM of the TOAST table).
-- (A temporary function: it vanishes with this session and is called schema-qualified.)
CREATE FUNCTION pg_temp.brief_ddl(statements text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  s text;
BEGIN
  FOR attempt IN 1..1200 LOOP
    BEGIN
      PERFORM pg_catalog.set_config('lock_timeout', '1500ms', true);
      FOREACH s IN ARRAY statements LOOP EXECUTE s; END LOOP;
      RETURN;
    EXCEPTION WHEN lock_not_available THEN
      IF attempt = 1200 THEN RAISE; END IF;
      PERFORM pg_catalog.pg_sleep(0.5);
    END;
  END LOOP;
END
$fn$;

SELECT pg_temp.brief_ddl(ARRAY[
  'ALTER TABLE resilience_events ADD COLUMN IF NOT EXISTS checkpoint_files_inspected integer,'
    || ' ADD COLUMN IF NOT EXISTS timeout_classification text,'
    || ' ADD COLUMN IF NOT EXISTS timeout_classification_mode text,'
    || ' ADD COLUMN IF NOT EXISTS timeout_classification_reasons text[] NOT NULL DEFAULT ARRAY[]::text[]',
  'ALTER TABLE resilience_events'
    || ' ADD CONSTRAINT resilience_events_checkpoint_files_inspected_check'
    || ' CHECK (checkpoint_files_inspected >= 0) NOT VALID,'
    || ' ADD CONSTRAINT resilience_events_timeout_classification_check CHECK (timeout_classification IN'
    || ' (''expected-bounded-outcome'', ''hard-failure'', ''unknown'')) NOT VALID,'
    || ' ADD CONSTRAINT resilience_events_timeout_classification_mode_check CHECK (timeout_classification_mode IN'
    || ' (''bounded-partial-timeout'', ''zero-evidence-hard-timeout'', ''max-turns-continuation'','
    || ' ''chronic-timeout-skip'', ''retry-enqueued'', ''retry-completed'', ''retry-failed'','
    || ' ''long-run-threshold-exceeded'', ''unknown-malformed-evidence'')) NOT VALID']);

-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE resilience_events VALIDATE CONSTRAINT resilience_events_checkpoint_files_inspected_check;
-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE resilience_events VALIDATE CONSTRAINT resilience_events_timeout_classification_check;
-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE resilience_events VALIDATE CONSTRAINT resilience_events_timeout_classification_mode_check;

COMMENT ON COLUMN resilience_events.timeout_classification_reasons IS
  'Reason codes of the timeout classification (ReviewTimeoutReasonCode); empty when the review did not time out.';
