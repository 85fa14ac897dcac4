-- The online kit of the conversions (migrations/from-kodiai/, docs/adopt.md): the session helpers every
-- conversion of a table that grows with the bot's traffic uses. Not a migration: a conversion that holds the
-- line `-- adopt: online-kit` gets this file in that line's place (joined onto that one line, so the
-- conversion's own line numbers stay true; hence no `--` comment inside a function body here), and it is
-- part of the conversion's checksum. Temporary functions of the session (pg_temp): nothing is left in the
-- database, and CREATE OR REPLACE lets several conversions of one `up` define them again.
--
-- The technique, per table (as from-kodiai/001-002 use it):
--   prepare: a column `<name>_adopt` of the new type for every column that changes, kept by a trigger on
--     every row the bot writes; the rows already there in batches (each committed); NOT NULL proved by a
--     CHECK NOT VALID, then VALIDATE;
--   (the conversion builds its unique and lookup indexes on the new columns CONCURRENTLY);
--   swap: every row checked (new = conversion of old, else nothing swapped), then the names swapped in one
--     short transaction (catalog changes only, in brief_ddl).
-- A halfvec column gets STORAGE PLAIN, as every halfvec column of ours.

-- pg_temp.brief_ddl(statements): the statements in one transaction that waits at most 1.5 s for its
-- locks; on a lock timeout (or a deadlock with the bot) it lets go, sleeps 0.5 s and tries again (up
-- to 10 minutes). As in our 004-011 (docs/migrate.md): longer than deadlock_timeout, so PostgreSQL
-- cancels an autovacuum that holds the table.
-- Temporary functions lock no table; each conversion sets its lock_timeout before the kit's line.
-- squawk-ignore require-lock-timeout
CREATE OR REPLACE FUNCTION pg_temp.brief_ddl(statements text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  s text;
BEGIN
  FOR attempt IN 1..1200 LOOP
    BEGIN
      PERFORM pg_catalog.set_config('lock_timeout', '1500ms', true);
      FOREACH s IN ARRAY statements LOOP EXECUTE s; END LOOP;
      RETURN;
    EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
      IF attempt = 1200 THEN RAISE; END IF;
      PERFORM pg_catalog.pg_sleep(0.5);
    END;
  END LOOP;
END
$fn$;

-- pg_temp.in_batches(table, statement, batch): `statement` for consecutive id ranges [$1, $2) up to
-- the largest id, committing after each (row locks of one batch at a time); a batch that meets a lock
-- or a deadlock is retried after a pause. As in our 002/003/007, except that it skips gaps in the ids.
CREATE OR REPLACE PROCEDURE pg_temp.in_batches(tbl text, statement text, batch integer)
LANGUAGE plpgsql AS $fn$
DECLARE
  lo bigint;
  top bigint;
  tries integer;
BEGIN
  EXECUTE pg_catalog.format('SELECT min(id), max(id) FROM %I', tbl) INTO lo, top;
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
    EXECUTE pg_catalog.format('SELECT min(id) FROM %I WHERE id >= $1', tbl) INTO lo USING lo + batch;
  END LOOP;
END
$fn$;

-- pg_temp.has_column(table, column): the column exists.
CREATE OR REPLACE FUNCTION pg_temp.has_column(tbl text, col text) RETURNS boolean LANGUAGE sql AS $fn$
  SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass(tbl)
                 AND attname = col AND attnum > 0 AND NOT attisdropped)
$fn$;

-- pg_temp.prepare(table, columns, new types, conversions, not null, batch): the prepare step above for one
-- table. A conversion is an expression of `$c` (the old value). Nothing happens for a table whose
-- first column already has its new type and no `_adopt` column (swapped already).
CREATE OR REPLACE PROCEDURE pg_temp.prepare(tbl text, cols text[], types text[], convs text[], nn boolean[],
                                 batch integer) LANGUAGE plpgsql AS $fn$
DECLARE
  ddl text[] := '{}';
  body text := '';
  sets text := '';
  differs text := '';
  i integer;
BEGIN
  IF NOT pg_temp.has_column(tbl, cols[1] || '_adopt') AND (SELECT pg_catalog.format_type(atttypid, atttypmod)
      FROM pg_catalog.pg_attribute WHERE attrelid = tbl::regclass AND attname = cols[1]) = types[1] THEN
    RETURN;
  END IF;
  FOR i IN 1 .. pg_catalog.array_length(cols, 1) LOOP
    ddl := ddl || pg_catalog.format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS %I %s', tbl, cols[i] || '_adopt',
                                    types[i]);
    IF types[i] LIKE 'halfvec%' THEN
      ddl := ddl || pg_catalog.format('ALTER TABLE %I ALTER COLUMN %I SET STORAGE PLAIN', tbl, cols[i] || '_adopt');
    END IF;
    body := body || pg_catalog.format('NEW.%I := %s; ', cols[i] || '_adopt',
      pg_catalog.replace(convs[i], '$c', 'NEW.' || pg_catalog.quote_ident(cols[i])));
    sets := sets || CASE WHEN i > 1 THEN ', ' ELSE '' END || pg_catalog.format('%I = %s', cols[i] || '_adopt',
      pg_catalog.replace(convs[i], '$c', pg_catalog.quote_ident(cols[i])));
    differs := differs || CASE WHEN i > 1 THEN ' OR ' ELSE '' END || pg_catalog.format('%I IS DISTINCT FROM %s',
      cols[i] || '_adopt', pg_catalog.replace(convs[i], '$c', pg_catalog.quote_ident(cols[i])));
  END LOOP;
  EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $b$ BEGIN %s'
    || 'RETURN NEW; END $b$', tbl || '_adopt_sync', body);
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = tbl::regclass
                 AND tgname = tbl || '_adopt_sync') THEN
    ddl := ddl || pg_catalog.format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I FOR EACH ROW'
      || ' EXECUTE FUNCTION %I()',
      tbl || '_adopt_sync', tbl, tbl || '_adopt_sync');
  END IF;
  PERFORM pg_temp.brief_ddl(ddl);
  COMMIT;
  CALL pg_temp.in_batches(tbl, pg_catalog.format('UPDATE %I SET %s WHERE id >= $1 AND id < $2 AND (%s)',
    tbl, sets, differs), batch);
  FOR i IN 1 .. pg_catalog.array_length(cols, 1) LOOP
    CONTINUE WHEN NOT nn[i];
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = tbl::regclass
                   AND conname = tbl || '_' || cols[i] || '_adopt_nn') THEN
      PERFORM pg_temp.brief_ddl(ARRAY[pg_catalog.format(
        'ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I IS NOT NULL) NOT VALID',
        tbl, tbl || '_' || cols[i] || '_adopt_nn', cols[i] || '_adopt')]);
      COMMIT;
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE %I VALIDATE CONSTRAINT %I', tbl, tbl || '_' || cols[i] || '_adopt_nn');
    COMMIT;
  END LOOP;
END
$fn$;

-- pg_temp.check_rows(table, columns, conversions): step a. Raises (naming the table, the column and how
-- many rows) where a new column differs from the conversion of the old one.
CREATE OR REPLACE FUNCTION pg_temp.check_rows(tbl text, cols text[], convs text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint;
BEGIN
  FOR i IN 1 .. pg_catalog.array_length(cols, 1) LOOP
    EXECUTE pg_catalog.format('SELECT count(*) FROM %I WHERE %I IS DISTINCT FROM %s', tbl, cols[i] || '_adopt',
      pg_catalog.replace(convs[i], '$c', pg_catalog.quote_ident(cols[i]))) INTO n;
    IF n > 0 THEN
      RAISE EXCEPTION 'from-kodiai: % rows of %.% differ from their conversion; nothing swapped', n, tbl, cols[i];
    END IF;
  END LOOP;
END
$fn$;

-- pg_temp.swap_columns(table, columns, not null): step b's statements for one table's columns.
CREATE OR REPLACE FUNCTION pg_temp.swap_columns(tbl text, cols text[], nn boolean[]) RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
  ddl text[] := ARRAY[pg_catalog.format('DROP TRIGGER %I ON %I', tbl || '_adopt_sync', tbl),
                      pg_catalog.format('DROP FUNCTION %I()', tbl || '_adopt_sync')];
  dflt text;
BEGIN
  FOR i IN 1 .. pg_catalog.array_length(cols, 1) LOOP
    IF cols[i] = 'id' THEN
      ddl := ddl || pg_temp.keep_sequence(tbl);
    END IF;
    ddl := ddl || pg_catalog.format('ALTER TABLE %I DROP COLUMN %I', tbl, cols[i])
               || pg_catalog.format('ALTER TABLE %I RENAME COLUMN %I TO %I', tbl, cols[i] || '_adopt', cols[i]);
    dflt := (SELECT pg_catalog.regexp_replace(pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                                              '^''?([-0-9.e]+)''?::real$', '\1')
             FROM pg_catalog.pg_attrdef d
             JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
             WHERE d.adrelid = tbl::regclass AND a.attname = cols[i]);
    IF dflt IS NOT NULL AND cols[i] <> 'id' THEN
      ddl := ddl || pg_catalog.format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT %s', tbl, cols[i], dflt);
    END IF;
    IF nn[i] THEN
      ddl := ddl || pg_catalog.format('ALTER TABLE %I ALTER COLUMN %I SET NOT NULL', tbl, cols[i])
                 || pg_catalog.format('ALTER TABLE %I DROP CONSTRAINT %I', tbl, tbl || '_' || cols[i] || '_adopt_nn');
    END IF;
    IF cols[i] = 'id' THEN
      ddl := ddl || pg_catalog.format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',
                                      tbl, tbl || '_pkey', tbl || '_pkey_adopt')
                 || pg_temp.identity(tbl);
    END IF;
  END LOOP;
  RETURN ddl;
END
$fn$;

-- pg_temp.keep_sequence(table): kodiai's serial sequence of `id` loses its owner and its default, and
-- moves aside (`<table>_id_seq_kodiai`) so that the identity can take its name (as our 001 names it).
CREATE OR REPLACE FUNCTION pg_temp.keep_sequence(tbl text) RETURNS text[] LANGUAGE sql AS $fn$
  SELECT ARRAY[pg_catalog.format('ALTER TABLE %I ALTER COLUMN id DROP DEFAULT', tbl),
               pg_catalog.format('ALTER SEQUENCE %I OWNED BY NONE', tbl || '_id_seq'),
               pg_catalog.format('ALTER SEQUENCE %I RENAME TO %I', tbl || '_id_seq', tbl || '_id_seq_kodiai')]
$fn$;

-- pg_temp.identity(table): `id` becomes GENERATED BY DEFAULT AS IDENTITY, its sequence where kodiai's
-- stood (the next id the bot gets is the one it would have got), and kodiai's sequence goes.
CREATE OR REPLACE FUNCTION pg_temp.identity(tbl text) RETURNS text[] LANGUAGE sql AS $fn$
  SELECT ARRAY[pg_catalog.format('ALTER TABLE %I ALTER COLUMN id'
                                 || ' ADD GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME %I)',
                                 tbl, tbl || '_id_seq'),
               pg_catalog.format('SELECT pg_catalog.setval(%L, last_value, is_called) FROM %I',
                                 tbl || '_id_seq', tbl || '_id_seq_kodiai'),
               pg_catalog.format('DROP SEQUENCE %I', tbl || '_id_seq_kodiai')]
$fn$;

-- pg_temp.swap(table, columns, conversions, not null): steps a and b for a table of its own.
CREATE OR REPLACE PROCEDURE pg_temp.swap(tbl text, cols text[], convs text[], nn boolean[])
LANGUAGE plpgsql AS $fn$
BEGIN
  IF pg_temp.has_column(tbl, cols[1] || '_adopt') THEN
    PERFORM pg_temp.check_rows(tbl, cols, convs);
    PERFORM pg_temp.brief_ddl(pg_temp.swap_columns(tbl, cols, nn));
  END IF;
  COMMIT;
END
$fn$;

-- pg_temp.bigserial_identity(table): a BIGSERIAL id (kodiai's telemetry and memory tables) becomes an
-- identity in place: the column keeps its type, catalog changes only.
CREATE OR REPLACE PROCEDURE pg_temp.bigserial_identity(tbl text) LANGUAGE plpgsql AS $fn$
BEGIN
  IF (SELECT attidentity FROM pg_catalog.pg_attribute WHERE attrelid = tbl::regclass AND attname = 'id') = '' THEN
    PERFORM pg_temp.brief_ddl(pg_temp.keep_sequence(tbl) || pg_temp.identity(tbl));
  END IF;
  COMMIT;
END
$fn$;

-- pg_temp.add_check(table, name, expression): a CHECK of ours added NOT VALID where missing (catalog
-- only); the conversion then VALIDATEs it (SHARE UPDATE EXCLUSIVE). A row that breaks it stops the
-- conversion at that VALIDATE, the constraint NOT VALID (new writes checked): fix the row, run `up` again.
CREATE OR REPLACE FUNCTION pg_temp.add_check(tbl text, name text, expr text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = tbl::regclass AND conname = name) THEN
    PERFORM pg_temp.brief_ddl(ARRAY[pg_catalog.format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%s) NOT VALID',
      tbl, name, expr)]);
  END IF;
END
$fn$;

-- pg_temp.drop_invalid(names): an index that an interrupted concurrent build left INVALID (one named
-- `..._adopt`, or one of `names`) is dropped (a short lock), so that the conversion's CREATE ... IF NOT
-- EXISTS builds it again.
CREATE OR REPLACE FUNCTION pg_temp.drop_invalid(names text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  ix text;
BEGIN
  FOR ix IN SELECT c.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
            WHERE NOT i.indisvalid AND c.relnamespace = pg_catalog.current_schema()::regnamespace
              AND (c.relname LIKE '%\_adopt' OR c.relname = ANY (names)) LOOP
    PERFORM pg_temp.brief_ddl(ARRAY[pg_catalog.format('DROP INDEX %I', ix)]);
  END LOOP;
END
$fn$;

-- pg_temp.set_aside(name, kodiai_form): an index of kodiai's that has the name of one of ours but another
-- definition (one containing `kodiai_form`) is renamed `<name>_kodiai` (SHARE UPDATE EXCLUSIVE: the bot's reads
-- and writes go on), so that ours can be built CONCURRENTLY under its name while kodiai's still serves the bot;
-- the conversion drops `<name>_kodiai` CONCURRENTLY after. Nothing happens to ours, or where there is none.
CREATE OR REPLACE FUNCTION pg_temp.set_aside(name text, kodiai_form text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  ix oid := pg_catalog.to_regclass(pg_catalog.quote_ident(name));
BEGIN
  IF ix IS NOT NULL AND pg_catalog.strpos(pg_catalog.pg_get_indexdef(ix), kodiai_form) > 0 THEN
    EXECUTE pg_catalog.format('ALTER INDEX %I RENAME TO %I', name, name || '_kodiai');
  END IF;
END
$fn$;

-- Added with from-kodiai/005 and 006 (review comments, wiki pages).

-- pg_temp.refuse_rows(table, name, expression): read-only; raises, naming the constraint and how many rows,
-- where a row breaks `expression` (a CHECK of ours, or a NOT NULL as `col IS NOT NULL`), so that a
-- conversion stops before it changed anything. The conversion still adds the CHECK NOT VALID and VALIDATEs
-- it, which catches a row the bot writes meanwhile.
CREATE OR REPLACE FUNCTION pg_temp.refuse_rows(tbl text, name text, expr text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint;
BEGIN
  EXECUTE pg_catalog.format('SELECT count(*) FROM %I WHERE (%s) IS FALSE', tbl, expr)
    INTO n;
  IF n > 0 THEN
    RAISE EXCEPTION 'from-kodiai: % rows of % break % (%); nothing changed: fix them and run `up` again',
      n, tbl, name, expr;
  END IF;
END
$fn$;

-- pg_temp.set_aside_float32(index): kodiai's float32 HNSW index `index` (on a vector column) is renamed
-- `<index>_kodiai` (pg_temp.set_aside: SHARE UPDATE EXCLUSIVE), so that the conversion can drop it CONCURRENTLY
-- by that name and build its halfvec index under the original name: a run repeated after the build drops
-- nothing of ours.
CREATE OR REPLACE FUNCTION pg_temp.set_aside_float32(ix text) RETURNS void LANGUAGE sql AS $fn$
  SELECT pg_temp.set_aside(ix, ' vector_')
$fn$;

-- pg_temp.small_serial_identity(table): a small table's int4 serial `id` (a state table: some rows per
-- repository) becomes bigint GENERATED BY DEFAULT AS IDENTITY continuing kodiai's sequence, in one brief_ddl
-- transaction: the type change rewrites those rows under the lock (milliseconds); not for a table that grows
-- with the bot's traffic (that one takes prepare and swap).
CREATE OR REPLACE PROCEDURE pg_temp.small_serial_identity(tbl text) LANGUAGE plpgsql AS $fn$
BEGIN
  IF (SELECT attidentity FROM pg_catalog.pg_attribute WHERE attrelid = tbl::regclass AND attname = 'id') = '' THEN
    PERFORM pg_temp.brief_ddl(pg_temp.keep_sequence(tbl)
      || pg_catalog.format('ALTER TABLE %I ALTER COLUMN id TYPE bigint', tbl) || pg_temp.identity(tbl));
  END IF;
  COMMIT;
END
$fn$;

-- Added with from-kodiai/009's second run (a conversion safe to run again after its swap).

-- pg_temp.swap_unkeyed_id(table): the swap of an int4 `id` whose bigint `id_adopt` (prepare) has no unique index
-- yet, for a conversion that builds `<table>_pkey` after the swap, CONCURRENTLY on the final column, then adds
-- the primary key USING that index (an index named on `id_adopt` could not be built again once the swap renamed
-- it). kodiai's key goes with its column; NOT NULL is set from the validated CHECK (no scan); the identity
-- continues kodiai's sequence. Statements for brief_ddl, after the table's `_adopt` trigger is dropped.
CREATE OR REPLACE FUNCTION pg_temp.swap_unkeyed_id(tbl text) RETURNS text[] LANGUAGE sql AS $fn$
  SELECT pg_temp.keep_sequence(tbl)
    || pg_catalog.format('ALTER TABLE %I DROP COLUMN id', tbl)
    || pg_catalog.format('ALTER TABLE %I RENAME COLUMN id_adopt TO id', tbl)
    || pg_catalog.format('ALTER TABLE %I ALTER COLUMN id SET NOT NULL', tbl)
    || pg_catalog.format('ALTER TABLE %I DROP CONSTRAINT %I', tbl, tbl || '_id_adopt_nn')
    || pg_temp.identity(tbl)
$fn$;

-- Added with 070 (a table copied into a new one of another layout: learning_memories partitioned by repo).
-- The technique: the rows copied in id batches into the new table (its primary key built while it is empty),
-- unwatched; its other indexes built after the copy (plain CREATE INDEX: no one uses the new table yet, and
-- building an HNSW graph costs a sixth of keeping it row by row); then a mirror trigger on the old table keeps
-- the new one equal from the bot's next write on, two batched passes reconcile what the bot changed during the
-- copy, every row is compared (one snapshot: the mirror writes in the bot's own transactions), and the names
-- are swapped in one brief_ddl transaction (catalog changes and the drop of the old table).

-- pg_temp.mirror(source, target, key, other unique keys): statements (for brief_ddl) that create the function
-- `<source>_mirror` and its triggers on `source`: every row inserted, updated or deleted there is upserted
-- into or deleted from `target` (on `key`, column names) in the same transaction, and a TRUNCATE truncates it.
-- Both tables have the same columns in the same order. An update deletes the old key first (it may move the
-- row to another partition). A row of `target` that holds one of the other unique keys (each a list of
-- columns, e.g. 'repo, finding_id, outcome') under another `key` is a copy the reconcile has not reached yet:
-- it goes, so that the bot's write never fails on it.
CREATE OR REPLACE FUNCTION pg_temp.mirror(src text, dst text, keycols text[], uniques text[]) RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
  fn text := src || '_mirror';
  k text := (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') FROM pg_catalog.unnest(keycols) c);
  newk text := (SELECT pg_catalog.string_agg('NEW.' || pg_catalog.quote_ident(c), ', ')
                FROM pg_catalog.unnest(keycols) c);
  match text := (SELECT pg_catalog.string_agg(pg_catalog.format('%I = OLD.%I', c, c), ' AND ')
                 FROM pg_catalog.unnest(keycols) c);
  sets text := (SELECT pg_catalog.string_agg(pg_catalog.format('%I = EXCLUDED.%I', attname, attname), ', '
                                             ORDER BY attnum)
                FROM pg_catalog.pg_attribute WHERE attrelid = dst::regclass AND attnum > 0 AND NOT attisdropped
                  AND attname <> ALL (keycols));
  others text := '';
  u text;
BEGIN
  FOREACH u IN ARRAY uniques LOOP
    others := others || pg_catalog.format('DELETE FROM %I WHERE (%s) = (%s) AND (%s) <> (%s); ', dst, u,
      pg_catalog.regexp_replace(u, '(\w+)', 'NEW.\1', 'g'), k, newk);
  END LOOP;
  RETURN ARRAY[
    pg_catalog.format('CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $b$ BEGIN '
      || 'IF TG_OP = %L THEN TRUNCATE %I; RETURN NULL; END IF; '
      || 'IF TG_OP <> %L THEN DELETE FROM %I WHERE %s; END IF; '
      || 'IF TG_OP <> %L THEN %s INSERT INTO %I SELECT (NEW).* ON CONFLICT (%s) DO UPDATE SET %s; END IF; '
      || 'RETURN NULL; END $b$', fn, 'TRUNCATE', dst, 'INSERT', dst, match, 'DELETE', others, dst, k, sets),
    pg_catalog.format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION %I()',
      fn, src, fn),
    pg_catalog.format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION %I()',
      fn || '_truncate', src, fn)];
END
$fn$;

-- pg_temp.has_mirror(source): the mirror of pg_temp.mirror is on `source`.
CREATE OR REPLACE FUNCTION pg_temp.has_mirror(src text) RETURNS boolean LANGUAGE sql AS $fn$
  SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = pg_catalog.to_regclass(src)
                 AND tgname = src || '_mirror')
$fn$;

-- pg_temp.copy_rows(source, target, batch): the rows of `source` not yet in `target`, copied in id batches
-- (pg_temp.in_batches) without locking them: what the bot changes meanwhile, pg_temp.reconcile catches up.
CREATE OR REPLACE PROCEDURE pg_temp.copy_rows(src text, dst text, batch integer) LANGUAGE plpgsql AS $fn$
BEGIN
  CALL pg_temp.in_batches(src, pg_catalog.format('INSERT INTO %I SELECT * FROM %I WHERE id >= $1 AND id < $2'
    || ' ON CONFLICT DO NOTHING', dst, src), batch);
END
$fn$;

-- pg_temp.reconcile(source, target, batch): with the mirror on, `target` made equal to `source` in id batches:
-- first every row of `target` that `source` no longer holds as it is goes, then every row of `source` missing
-- in `target` is copied, locked FOR SHARE while its batch runs (an update or delete of it waits for the batch,
-- then reaches `target` through the mirror). A row the bot changes during a batch is deleted by the first pass
-- at worst (its snapshot is older) and copied again by the second.
CREATE OR REPLACE PROCEDURE pg_temp.reconcile(src text, dst text, batch integer) LANGUAGE plpgsql AS $fn$
BEGIN
  CALL pg_temp.in_batches(dst, pg_catalog.format('DELETE FROM %I d WHERE d.id >= $1 AND d.id < $2 AND NOT EXISTS'
    || ' (SELECT 1 FROM %I s WHERE s.id = d.id AND ROW(s.*) IS NOT DISTINCT FROM ROW(d.*))', dst, src), batch);
  CALL pg_temp.in_batches(src, pg_catalog.format('INSERT INTO %I SELECT * FROM %I s WHERE s.id >= $1 AND s.id < $2'
    || ' AND NOT EXISTS (SELECT 1 FROM %I d WHERE d.id = s.id) FOR SHARE OF s ON CONFLICT DO NOTHING',
    dst, src, dst), batch);
END
$fn$;

-- pg_temp.check_copy(source, target, key): raises, naming both tables and how many rows, unless every row of
-- `source` is in `target` with equal values and no other row is there. One statement, one snapshot: the
-- mirror writes in the bot's own transactions, so the bot's writes meanwhile change both sides or neither.
CREATE OR REPLACE FUNCTION pg_temp.check_copy(src text, dst text, keycols text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint;
BEGIN
  EXECUTE pg_catalog.format('SELECT count(*) FROM %I s FULL JOIN %I d USING (%s) WHERE ROW(s.*) IS DISTINCT FROM'
    || ' ROW(d.*)', src, dst, (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ')
                               FROM pg_catalog.unnest(keycols) c)) INTO n;
  IF n > 0 THEN
    RAISE EXCEPTION '% rows of % and its copy % differ; nothing swapped: run `up` again', n, src, dst;
  END IF;
END
$fn$;

-- pg_temp.move_identity(old table, new table): statements (for brief_ddl, before the old table is dropped)
-- that give the new table's `id` the identity, under the old sequence's name, continuing where it stood.
CREATE OR REPLACE FUNCTION pg_temp.move_identity(old text, new text) RETURNS text[] LANGUAGE sql AS $fn$
  SELECT ARRAY[pg_catalog.format('ALTER SEQUENCE %I RENAME TO %I', old || '_id_seq', old || '_id_seq_moved'),
               pg_catalog.format('ALTER TABLE %I ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY'
                                 || ' (SEQUENCE NAME %I)', new, old || '_id_seq'),
               pg_catalog.format('SELECT pg_catalog.setval(%L, last_value, is_called) FROM %I',
                                 old || '_id_seq', old || '_id_seq_moved')]
$fn$;

-- pg_temp.grants_of(old table, new table): statements granting on `new` what is granted on `old`.
CREATE OR REPLACE FUNCTION pg_temp.grants_of(old text, new text) RETURNS text[] LANGUAGE sql AS $fn$
  SELECT COALESCE(pg_catalog.array_agg(pg_catalog.format('GRANT %s ON %I TO %s%s', a.privilege_type, new,
           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END,
           CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)), '{}')
  FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
  WHERE c.oid = old::regclass AND a.grantee <> c.relowner
$fn$;

-- pg_temp.index_comments(old table, new table, suffix): for every commented index of `old` whose copy on `new`
-- is named with `suffix`, a statement that comments the copy (for brief_ddl, after the copy takes the name).
CREATE OR REPLACE FUNCTION pg_temp.index_comments(old text, new text, suffix text) RETURNS text[] LANGUAGE sql AS $fn$
  SELECT COALESCE(pg_catalog.array_agg(pg_catalog.format('COMMENT ON INDEX %I IS %L', c.relname, d.description)),
                  '{}')
  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass
  JOIN pg_catalog.pg_index ni ON ni.indrelid = new::regclass
  JOIN pg_catalog.pg_class nc ON nc.oid = ni.indexrelid AND nc.relname = c.relname || suffix
  WHERE i.indrelid = old::regclass
$fn$;
