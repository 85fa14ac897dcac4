-- 068: reviews.id becomes an integer identity, as kodiai's SERIAL (issue 21, item 2; docs/schema.md,
-- "kodiai's driver").
-- migrate:no-transaction
--
-- The bot's stock postgres.js returns int8 as a string and int4 as a number. recordReview returns
-- `RETURNING id` to callers typed number: with a bigint key they got "123", so kodiai's own DB
-- test (Number.isInteger(reviewId)) failed and, in production, review-learning-memory skipped every
-- learning memory of a review as "missing-review-id" (its guard is typeof value === "number").
-- 2^31 - 1 reviews is about 5,900 a day for a thousand years. The columns that reference it
-- (findings, suppression_log, feedback_reactions .review_id) stay bigint: an int8 -> int4 foreign
-- key is allowed and uses reviews_pkey, and the bot only passes those values through (a JSON
-- string "123" into its recordsets' integer columns is accepted).
--
-- Online: ALTER COLUMN TYPE would rewrite reviews and re-check every finding's key under a lock
-- that blocks the bot (measured in docs/schema.md). Instead: a new integer column kept equal to id
-- by a trigger, filled 5,000 ids per transaction, a unique index built CONCURRENTLY, NOT NULL from
-- a validated CHECK; then one short transaction (catalog changes only, waited for at most 1.5 s at
-- a time) drops the foreign keys, the old column with its key and identity, renames the new one,
-- makes it the identity (continuing the old sequence) and the key, and adds the foreign keys back
-- NOT VALID; they are validated after, under locks that block no read or write.
-- Re-runnable (after `migrate resolve 68 --rolled-back`) after a failure before the swap. After it, only
-- the VALIDATEs of keys that held remain: should one fail (a timeout), run it by hand, then
-- `migrate resolve 68 --applied`.

-- Statements outside pg_temp.brief_ddl and the swap take no lock that blocks the bot's reads or
-- writes and may wait for older transactions: no lock timeout for them.
SET lock_timeout = 0;

-- Refuse before changing anything if an id does not fit (only a database that numbered past
-- 2^31 - 1, e.g. by an import of such ids, can have one).
DO $$
BEGIN
  IF (SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute
      WHERE attrelid = 'reviews'::regclass AND attname = 'id' AND NOT attisdropped) = 'bigint'
     AND (SELECT max(id) FROM reviews) > 2147483647 THEN
    RAISE EXCEPTION 'reviews.id holds values above 2147483647: cannot become integer (kodiai reads it as a number)';
  END IF;
END
$$;

-- pg_temp.brief_ddl(statements): as in 067: one transaction waiting at most 1.5 s for its locks,
-- retried after 0.5 s on a lock timeout (up to 40 minutes).
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

-- pg_temp.swap_key_prepare(type): the new column `id_retyped` of `type` and the trigger that keeps
-- it equal to id (a BEFORE trigger sees the identity's value already in NEW.id). Nothing to do
-- once the swap is done (id already has that type).
CREATE FUNCTION pg_temp.swap_key_prepare(typ text) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF pg_catalog.format_type((SELECT atttypid FROM pg_catalog.pg_attribute
      WHERE attrelid = 'reviews'::regclass AND attname = 'id' AND NOT attisdropped), NULL) = typ THEN
    RETURN;
  END IF;
  PERFORM pg_temp.brief_ddl(ARRAY[
    pg_catalog.format('ALTER TABLE reviews ADD COLUMN IF NOT EXISTS id_retyped %s', typ)]);
  CREATE OR REPLACE FUNCTION reviews_id_retype() RETURNS trigger LANGUAGE plpgsql AS $t$
  BEGIN NEW.id_retyped := NEW.id; RETURN NEW; END
  $t$;
  PERFORM pg_temp.brief_ddl(ARRAY['CREATE OR REPLACE TRIGGER reviews_id_retype'
    || ' BEFORE INSERT OR UPDATE OF id, id_retyped ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_id_retype()']);
  -- New rows are checked at once (the trigger fills them); the old ones when validated, after the fill.
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conname = 'reviews_id_retyped_not_null') THEN
    PERFORM pg_temp.brief_ddl(ARRAY['ALTER TABLE reviews ADD CONSTRAINT reviews_id_retyped_not_null'
      || ' CHECK (id_retyped IS NOT NULL) NOT VALID']);
  END IF;
END
$fn$;

-- pg_temp.swap_key_fill(): id_retyped := id for 5,000 ids per transaction (row locks held one
-- batch at most; a batch that meets a lock or a deadlock is retried after a pause).
CREATE PROCEDURE pg_temp.swap_key_fill() LANGUAGE plpgsql AS $fn$
DECLARE
  lo bigint;
  top bigint;
  tries integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = 'reviews'::regclass
                 AND attname = 'id_retyped' AND NOT attisdropped) THEN
    RETURN;
  END IF;
  EXECUTE 'SELECT min(id), max(id) FROM reviews' INTO lo, top;
  WHILE lo <= top LOOP
    tries := 0;
    LOOP
      BEGIN
        PERFORM pg_catalog.set_config('lock_timeout', '1s', true);
        EXECUTE 'UPDATE reviews SET id_retyped = id WHERE id >= $1 AND id < $2 AND id_retyped IS NULL'
          USING lo, lo + 5000;
        EXIT;
      EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
        tries := tries + 1;
        IF tries >= 600 THEN RAISE; END IF;
        PERFORM pg_catalog.pg_sleep(0.2);
      END;
    END LOOP;
    COMMIT;
    lo := lo + 5000;
  END LOOP;
END
$fn$;

-- pg_temp.swap_key(): the short transaction. Locks reviews and the tables whose foreign keys
-- reference it (1.5 s at most, else let go and retry), then changes only the catalog: the foreign
-- keys are dropped and added back NOT VALID from their own definitions, the identity continues
-- where the old sequence stopped, the unique index becomes reviews_pkey, the column comment is kept.
CREATE FUNCTION pg_temp.swap_key() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  fk record;
  fks text[] := '{}';
  next bigint;
  note text;
  s text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = 'reviews'::regclass
                 AND attname = 'id_retyped' AND NOT attisdropped) THEN
    RETURN;
  END IF;
  FOR attempt IN 1..1200 LOOP
    BEGIN
      PERFORM pg_catalog.set_config('lock_timeout', '1500ms', true);
      LOCK TABLE reviews IN ACCESS EXCLUSIVE MODE;
      FOR fk IN SELECT conrelid::regclass AS tbl, conname, pg_catalog.pg_get_constraintdef(oid) AS def
                  FROM pg_catalog.pg_constraint WHERE confrelid = 'reviews'::regclass AND contype = 'f'
                 ORDER BY conrelid::regclass::text, conname LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
        fks := fks || pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s NOT VALID', fk.tbl, fk.conname, fk.def);
      END LOOP;
      SELECT pg_catalog.col_description('reviews'::regclass, attnum) INTO note
        FROM pg_catalog.pg_attribute WHERE attrelid = 'reviews'::regclass AND attname = 'id';
      EXECUTE pg_catalog.format('SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM %s',
        pg_catalog.pg_get_serial_sequence('reviews', 'id')) INTO next;
      next := GREATEST(next, (SELECT COALESCE(max(id), 0) + 1 FROM reviews));
      DROP TRIGGER reviews_id_retype ON reviews;
      DROP FUNCTION reviews_id_retype();
      ALTER TABLE reviews ALTER COLUMN id_retyped SET NOT NULL;
      ALTER TABLE reviews DROP CONSTRAINT reviews_id_retyped_not_null;
      ALTER TABLE reviews DROP COLUMN id;
      ALTER TABLE reviews RENAME COLUMN id_retyped TO id;
      EXECUTE pg_catalog.format('ALTER TABLE reviews ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY'
        || ' (SEQUENCE NAME reviews_id_seq START WITH %s)', next);
      ALTER TABLE reviews ADD CONSTRAINT reviews_pkey PRIMARY KEY USING INDEX reviews_id_retyped_key;
      EXECUTE pg_catalog.format('COMMENT ON COLUMN reviews.id IS %L', note);
      FOREACH s IN ARRAY fks LOOP EXECUTE s; END LOOP;
      RETURN;
    EXCEPTION WHEN lock_not_available THEN
      IF attempt = 1200 THEN RAISE; END IF;
      PERFORM pg_catalog.pg_sleep(0.5);
    END;
  END LOOP;
END
$fn$;

SELECT pg_temp.swap_key_prepare('integer');
CALL pg_temp.swap_key_fill();
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS reviews_id_retyped_key ON reviews (id_retyped);
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conname = 'reviews_id_retyped_not_null') THEN
    ALTER TABLE reviews VALIDATE CONSTRAINT reviews_id_retyped_not_null;
  END IF;
END
$$;
SELECT pg_temp.swap_key();

-- VALIDATE of a valid constraint does nothing: re-runnable:
-- squawk-ignore prefer-robust-stmts
ALTER TABLE findings VALIDATE CONSTRAINT findings_review_id_fkey;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE suppression_log VALIDATE CONSTRAINT suppression_log_review_id_fkey;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE feedback_reactions VALIDATE CONSTRAINT feedback_reactions_review_id_fkey;
