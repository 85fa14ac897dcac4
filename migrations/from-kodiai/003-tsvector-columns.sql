-- from-kodiai 003 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's 003 made
-- the same search_tsv columns and GIN indexes as our 003 (same names, same values: to_tsvector('english',
-- COALESCE(x, '')) where x is NOT NULL is to_tsvector('english', x)); only the triggers differ. Ours
-- replace kodiai's, in one short transaction per table: nothing is rewritten.
-- migrate:no-transaction
--
-- kodiai's trigger (`trg_<table>_search_tsv`, BEFORE INSERT OR UPDATE OF <text>) fires on the text
-- column only; ours (`<table>_search_tsv_trigger`) also on search_tsv, so a direct write to it is
-- overwritten, and names the text search configuration schema-qualified (see our 003). The functions
-- keep their names (kodiai used the same ones) and get our bodies. Re-runnable: CREATE OR REPLACE,
-- DROP ... IF EXISTS.

SET lock_timeout = 0;

-- pg_temp.brief_ddl: migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

CREATE OR REPLACE FUNCTION findings_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.title);
  RETURN NEW;
END
$$;

SELECT pg_temp.brief_ddl(ARRAY['DROP TRIGGER IF EXISTS trg_findings_search_tsv ON findings',
  'CREATE OR REPLACE TRIGGER findings_search_tsv_trigger BEFORE INSERT OR UPDATE OF title, search_tsv ON findings'
  || ' FOR EACH ROW EXECUTE FUNCTION findings_search_tsv_update()']);

COMMENT ON COLUMN findings.search_tsv IS
  'to_tsvector(''english'', title), kept by trigger findings_search_tsv_trigger; query with websearch_to_tsquery(''english'', ...).';

CREATE OR REPLACE FUNCTION learning_memories_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.finding_text);
  RETURN NEW;
END
$$;

SELECT pg_temp.brief_ddl(ARRAY['DROP TRIGGER IF EXISTS trg_learning_memories_search_tsv ON learning_memories',
  'CREATE OR REPLACE TRIGGER learning_memories_search_tsv_trigger'
  || ' BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories'
  || ' FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update()']);

COMMENT ON COLUMN learning_memories.search_tsv IS
  'to_tsvector(''english'', finding_text), kept by trigger learning_memories_search_tsv_trigger; query with websearch_to_tsquery(''english'', ...).';
