-- 004: every jsonb column holds the JSON shape its store writes, so a
-- double-encoded value fails loudly instead of being stored. Double encoding
-- is what stock postgres.js does with `${JSON.stringify(obj)}` for a jsonb
-- column: it encodes the string once more and stores a JSON *string* that
-- `->` and `@>` never match (docs/client.md). Shapes, from the stores' code:
--   reviews.config_snapshot                               object (the review's config)
--   dep_bump_merge_history.signals_json                   array  (detection signals, string[])
--   dep_bump_merge_history.merge_confidence_rationale_json array (rationale lines, string[])
--   review_checkpoints.checkpoint_data                    object (files reviewed, counts, draft)
--   suppression_log.finding_ids                           array  (already checked since 001)
-- SQL NULL stays allowed where the column is nullable; a JSON `null` is not.
-- migrate:no-transaction
-- migrate:replaces 33c39aca808c87eda9e0db2f7765c4514d5c8b3af306c25bbcf30ddb96cb8899

-- Online (issue 22; this file replaces one that repaired and checked each table in one
-- transaction, scanning it under an ACCESS EXCLUSIVE lock). A database that applied the
-- earlier file has the same constraints, validated.
--   1. Rows written double-encoded before this migration are repaired below: a string scalar
--      whose text is JSON is replaced by that JSON (`#>> '{}'` unwraps the string, `::jsonb`
--      parses it). First, read-only, every such string is parsed: one that is not JSON stops
--      the migration here ("invalid input syntax for type json") with nothing changed.
--   2. The constraints, NOT VALID: from then on every write is checked; adding them changes
--      only the catalog (a short lock, waited for at most 1.5 s at a time).
--   3. The repairs: plain UPDATEs of the double-encoded rows only (row locks on those).
--   4. VALIDATE: scans each table under SHARE UPDATE EXCLUSIVE, which blocks no read or write.
--      A string holding another scalar (`"42"`) fails here: the constraint then stays NOT
--      VALID (still checking new writes); fix the row, VALIDATE it by hand, then resolve 4.

SELECT count((config_snapshot #>> '{}')::jsonb) FROM reviews WHERE jsonb_typeof(config_snapshot) = 'string';
SELECT count((signals_json #>> '{}')::jsonb) FROM dep_bump_merge_history WHERE jsonb_typeof(signals_json) = 'string';
SELECT count((merge_confidence_rationale_json #>> '{}')::jsonb) FROM dep_bump_merge_history
  WHERE jsonb_typeof(merge_confidence_rationale_json) = 'string';
SELECT count((checkpoint_data #>> '{}')::jsonb) FROM review_checkpoints WHERE jsonb_typeof(checkpoint_data) = 'string';

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot's reads or writes
-- (function definitions, comments, VALIDATE, concurrent index builds and drops: SHARE UPDATE
-- EXCLUSIVE at most) and may wait for older transactions: no lock timeout for them.
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
  'ALTER TABLE reviews ADD CONSTRAINT reviews_config_snapshot_check'
    || ' CHECK (jsonb_typeof(config_snapshot) = ''object'') NOT VALID']);
SELECT pg_temp.brief_ddl(ARRAY[
  'ALTER TABLE dep_bump_merge_history ADD CONSTRAINT dep_bump_merge_history_signals_json_check'
    || ' CHECK (jsonb_typeof(signals_json) = ''array'') NOT VALID,'
    || ' ADD CONSTRAINT dep_bump_merge_history_merge_confidence_rationale_json_check'
    || ' CHECK (jsonb_typeof(merge_confidence_rationale_json) = ''array'') NOT VALID']);
SELECT pg_temp.brief_ddl(ARRAY[
  'ALTER TABLE review_checkpoints ADD CONSTRAINT review_checkpoints_checkpoint_data_check'
    || ' CHECK (jsonb_typeof(checkpoint_data) = ''object'') NOT VALID']);

UPDATE reviews SET config_snapshot = (config_snapshot #>> '{}')::jsonb
  WHERE jsonb_typeof(config_snapshot) = 'string';
-- Both columns of a row at once: the new row version must pass both constraints.
UPDATE dep_bump_merge_history SET
    signals_json = CASE WHEN jsonb_typeof(signals_json) = 'string' THEN (signals_json #>> '{}')::jsonb ELSE signals_json END,
    merge_confidence_rationale_json = CASE WHEN jsonb_typeof(merge_confidence_rationale_json) = 'string'
      THEN (merge_confidence_rationale_json #>> '{}')::jsonb ELSE merge_confidence_rationale_json END
  WHERE jsonb_typeof(signals_json) = 'string' OR jsonb_typeof(merge_confidence_rationale_json) = 'string';
UPDATE review_checkpoints SET checkpoint_data = (checkpoint_data #>> '{}')::jsonb
  WHERE jsonb_typeof(checkpoint_data) = 'string';

-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE reviews VALIDATE CONSTRAINT reviews_config_snapshot_check;
-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE dep_bump_merge_history VALIDATE CONSTRAINT dep_bump_merge_history_signals_json_check;
-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE dep_bump_merge_history VALIDATE CONSTRAINT dep_bump_merge_history_merge_confidence_rationale_json_check;
-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_checkpoints VALIDATE CONSTRAINT review_checkpoints_checkpoint_data_check;
