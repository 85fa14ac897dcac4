-- 063: learning_memories.language, the language of the memory's file (the learning_memories part
-- of kodiai 007-language-column; its index comes with migration 066, which declares 007).
-- migrate:no-transaction
--
-- The bot writes the language of each new memory itself and filters retrieval by it. Rows that
-- exist get it from their file_path's extension, as upstream's backfill does (the same
-- extensions and names; a .h file counts as C; anything else 'unknown').
--
-- Online (upstream: one UPDATE of the whole table in the migration's transaction): the column
-- is added without a default (catalog only, a short lock waited for at most 1.5 s at a time),
-- then the rows are filled 2,000 ids per transaction, skipping rows the bot has already given
-- a language.

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot's reads or writes
-- (function definitions, comments, batched updates of a few rows) and may wait for older
-- transactions: no lock timeout for them.
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

-- pg_temp.in_batches(table, statement, batch): as in migration 003.
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

-- pg_temp.language_of(path): the language name kodiai's backfill gives a file extension
-- (case-sensitive, as its LIKE patterns; R and r are both R).
CREATE FUNCTION pg_temp.language_of(path text) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE pg_catalog.substring(path, '\.([^./]+)$')
    WHEN 'ts' THEN 'typescript' WHEN 'tsx' THEN 'typescript' WHEN 'mts' THEN 'typescript' WHEN 'cts' THEN 'typescript'
    WHEN 'js' THEN 'javascript' WHEN 'jsx' THEN 'javascript' WHEN 'mjs' THEN 'javascript' WHEN 'cjs' THEN 'javascript'
    WHEN 'py' THEN 'python' WHEN 'pyw' THEN 'python'
    WHEN 'go' THEN 'go' WHEN 'rs' THEN 'rust' WHEN 'java' THEN 'java'
    WHEN 'kt' THEN 'kotlin' WHEN 'kts' THEN 'kotlin' WHEN 'swift' THEN 'swift' WHEN 'cs' THEN 'csharp'
    WHEN 'cpp' THEN 'cpp' WHEN 'cc' THEN 'cpp' WHEN 'cxx' THEN 'cpp' WHEN 'hpp' THEN 'cpp' WHEN 'hxx' THEN 'cpp'
    WHEN 'c' THEN 'c' WHEN 'h' THEN 'c'
    WHEN 'rb' THEN 'ruby' WHEN 'php' THEN 'php' WHEN 'scala' THEN 'scala'
    WHEN 'sh' THEN 'shell' WHEN 'bash' THEN 'shell' WHEN 'zsh' THEN 'shell'
    WHEN 'sql' THEN 'sql' WHEN 'dart' THEN 'dart' WHEN 'lua' THEN 'lua'
    WHEN 'ex' THEN 'elixir' WHEN 'exs' THEN 'elixir' WHEN 'zig' THEN 'zig'
    WHEN 'r' THEN 'r' WHEN 'R' THEN 'r'
    WHEN 'm' THEN 'objectivec' WHEN 'mm' THEN 'objectivecpp'
    WHEN 'pl' THEN 'perl' WHEN 'pm' THEN 'perl'
    WHEN 'clj' THEN 'clojure' WHEN 'cljs' THEN 'clojure' WHEN 'cljc' THEN 'clojure'
    WHEN 'erl' THEN 'erlang' WHEN 'hrl' THEN 'erlang' WHEN 'hs' THEN 'haskell'
    WHEN 'ml' THEN 'ocaml' WHEN 'mli' THEN 'ocaml'
    WHEN 'fs' THEN 'fsharp' WHEN 'fsx' THEN 'fsharp' WHEN 'fsi' THEN 'fsharp'
    WHEN 'jl' THEN 'julia' WHEN 'groovy' THEN 'groovy' WHEN 'gvy' THEN 'groovy'
    WHEN 'v' THEN 'verilog' WHEN 'sv' THEN 'verilog' WHEN 'vhd' THEN 'vhdl' WHEN 'vhdl' THEN 'vhdl'
    WHEN 'cmake' THEN 'cmake'
    ELSE 'unknown' END
$fn$;

SELECT pg_temp.brief_ddl(ARRAY['ALTER TABLE learning_memories ADD COLUMN IF NOT EXISTS language text']);

CALL pg_temp.in_batches('learning_memories', 'UPDATE learning_memories SET language = pg_temp.language_of(file_path)'
  || ' WHERE id >= $1 AND id < $2 AND language IS NULL', 2000);

COMMENT ON COLUMN learning_memories.language IS
  'Language of file_path (typescript, python, c, ..., unknown): written by the bot for new memories, derived from the extension for earlier ones (kodiai 007).';
