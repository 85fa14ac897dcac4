-- Inverse of 067: finding_ids and checkpoint_data jsonb again, cost_usd numeric(18,10), no unwrap
-- triggers on reviews and dep_bump_merge_history; with 001/004's constraints and comment. Online,
-- like 067 (the same column swap the other way).
-- migrate:no-transaction

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot's reads or writes: no
-- lock timeout for them.
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

-- pg_temp.in_batches(table, statement, batch): runs `statement` for consecutive id ranges
-- [$1, $2) of `table` up to its largest id, committing after each range, so no row lock is
-- held longer than one batch; a batch that meets a lock (lock_timeout 1 s) or a deadlock is
-- retried after a pause. COMMIT inside a procedure works only outside a transaction block:
-- hence `-- migrate:no-transaction` (the runner then sends each statement on its own).
CREATE PROCEDURE pg_temp.in_batches(tbl text, statement text, batch integer) LANGUAGE plpgsql AS $fn$
DECLARE
  lo bigint;
  top bigint;
  tries integer;
BEGIN
  EXECUTE pg_catalog.format('SELECT min(id), max(id) FROM %s', tbl) INTO lo, top;
  WHILE lo <= top LOOP
    tries := 0;
    LOOP
      BEGIN
        PERFORM pg_catalog.set_config('lock_timeout', '1s', true);
        EXECUTE statement USING lo, lo + batch;
        EXIT;
      EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
        tries := tries + 1;
        IF tries >= 600 THEN RAISE; END IF;
        PERFORM pg_catalog.pg_sleep(0.2);
      END;
    END LOOP;
    COMMIT;
    lo := lo + batch;
  END LOOP;
END
$fn$;

-- pg_temp.retype(table, column, type, conversion, statements): gives `column` the type `type`
-- without rewriting the table under a lock: a new column `<column>_retyped` (catalog only),
-- kept equal to `conversion` of the old value by a trigger (`$x` stands for the old column),
-- filled in batches of 5,000 ids; then one short transaction drops the trigger and the old column
-- (with the constraints that name it), gives the new one the old name and runs `statements`
-- (defaults, constraints NOT VALID). A procedure: in_batches commits.
CREATE PROCEDURE pg_temp.retype(tbl text, col text, typ text, conv text, statements text[]) LANGUAGE plpgsql AS $fn$
DECLARE
  tmp text := col || '_retyped';
  fn text := tbl || '_' || col || '_retype';
BEGIN
  -- Done already (a re-run after a failure further on): the swap and its statements committed together.
  IF (SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute
      WHERE attrelid = tbl::regclass AND attname = col AND NOT attisdropped) = typ THEN
    RETURN;
  END IF;
  PERFORM pg_temp.brief_ddl(ARRAY[pg_catalog.format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS %I %s', tbl, tmp, typ)]);
  EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS %L', fn,
    pg_catalog.format('BEGIN NEW.%I := %s; RETURN NEW; END', tmp, pg_catalog.replace(conv, '$x', 'NEW.' || pg_catalog.quote_ident(col))));
  PERFORM pg_temp.brief_ddl(ARRAY[pg_catalog.format('CREATE OR REPLACE TRIGGER %I BEFORE INSERT OR UPDATE OF %I, %I ON %I'
    || ' FOR EACH ROW EXECUTE FUNCTION %I()', fn, col, tmp, tbl, fn)]);
  CALL pg_temp.in_batches(tbl, pg_catalog.format('UPDATE %I SET %I = %s WHERE id >= $1 AND id < $2 AND %I IS NULL AND %I IS NOT NULL',
    tbl, tmp, pg_catalog.replace(conv, '$x', pg_catalog.quote_ident(col)), tmp, col), 5000);
  PERFORM pg_temp.brief_ddl(ARRAY[
    pg_catalog.format('DROP TRIGGER %I ON %I', fn, tbl),
    pg_catalog.format('DROP FUNCTION %I()', fn),
    pg_catalog.format('ALTER TABLE %I DROP COLUMN %I', tbl, col),
    pg_catalog.format('ALTER TABLE %I RENAME COLUMN %I TO %I', tbl, tmp, col)] || statements);
END
$fn$;

SELECT pg_temp.brief_ddl(ARRAY['DROP TRIGGER IF EXISTS dep_bump_merge_history_jsonb_unwrap ON dep_bump_merge_history']);
SELECT pg_temp.brief_ddl(ARRAY['DROP TRIGGER IF EXISTS reviews_jsonb_unwrap ON reviews']);

CALL pg_temp.retype('suppression_log', 'finding_ids', 'jsonb', '$x::jsonb', ARRAY[
  'ALTER TABLE suppression_log ADD CONSTRAINT suppression_log_finding_ids_check'
    || ' CHECK (jsonb_typeof(finding_ids) = ''array'') NOT VALID']);

CALL pg_temp.retype('review_checkpoints', 'checkpoint_data', 'jsonb', '$x::jsonb', ARRAY[
  'ALTER TABLE review_checkpoints ADD CONSTRAINT review_checkpoints_checkpoint_data_check'
    || ' CHECK (jsonb_typeof(checkpoint_data) = ''object'') NOT VALID',
  'ALTER TABLE review_checkpoints ADD CONSTRAINT review_checkpoints_checkpoint_data_not_null'
    || ' CHECK (checkpoint_data IS NOT NULL) NOT VALID']);

CALL pg_temp.retype('telemetry_events', 'cost_usd', 'numeric(18,10)', '$x::numeric(18,10)', ARRAY[
  'ALTER TABLE telemetry_events ALTER COLUMN cost_usd SET DEFAULT 0',
  'ALTER TABLE telemetry_events ADD CONSTRAINT telemetry_events_usage_check CHECK ('
    || 'input_tokens >= 0 AND output_tokens >= 0 AND cache_read_tokens >= 0 AND cache_creation_tokens >= 0'
    || ' AND duration_ms >= 0 AND cost_usd >= 0) NOT VALID',
  'ALTER TABLE telemetry_events ADD CONSTRAINT telemetry_events_cost_usd_not_null'
    || ' CHECK (cost_usd IS NOT NULL) NOT VALID']);

-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE suppression_log VALIDATE CONSTRAINT suppression_log_finding_ids_check;
-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE review_checkpoints VALIDATE CONSTRAINT review_checkpoints_checkpoint_data_check;
-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE telemetry_events VALIDATE CONSTRAINT telemetry_events_usage_check;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'review_checkpoints_checkpoint_data_not_null') THEN
    ALTER TABLE review_checkpoints VALIDATE CONSTRAINT review_checkpoints_checkpoint_data_not_null;
    PERFORM pg_temp.brief_ddl(ARRAY['ALTER TABLE review_checkpoints ALTER COLUMN checkpoint_data SET NOT NULL',
      'ALTER TABLE review_checkpoints DROP CONSTRAINT review_checkpoints_checkpoint_data_not_null']);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'telemetry_events_cost_usd_not_null') THEN
    ALTER TABLE telemetry_events VALIDATE CONSTRAINT telemetry_events_cost_usd_not_null;
    PERFORM pg_temp.brief_ddl(ARRAY['ALTER TABLE telemetry_events ALTER COLUMN cost_usd SET NOT NULL',
      'ALTER TABLE telemetry_events DROP CONSTRAINT telemetry_events_cost_usd_not_null']);
  END IF;
END
$$;

COMMENT ON COLUMN telemetry_events.cost_usd IS 'Exact decimal US dollars; sum() over any number of rows is exact.';
