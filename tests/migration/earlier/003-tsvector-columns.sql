-- 003: full-text search on findings.title and learning_memories.finding_text,
-- for hybrid retrieval (ts_rank_cd fused with vector distance).
--
-- A stored tsvector column kept by a trigger (rather than an expression
-- index): queries and ts_rank_cd read the column instead of re-parsing the
-- text of every candidate row.
-- The text search configuration is named explicitly ('english': titles and
-- finding texts are English prose), never taken from default_text_search_config,
-- so the stored vectors do not depend on a server or session setting.
-- Queries must use the same configuration:
--   WHERE search_tsv @@ websearch_to_tsquery('english', $1)
--
-- Order per table: add the column (no default: no table rewrite), fill the
-- rows that exist, then the GIN index (one bulk build, faster than
-- maintaining it row by row during the fill), then the trigger.

-- ------------------------------------------------------------------- findings
ALTER TABLE findings ADD COLUMN search_tsv tsvector;

UPDATE findings SET search_tsv = to_tsvector('pg_catalog.english'::regconfig, title);

CREATE INDEX idx_findings_search_tsv ON findings USING gin (search_tsv);

-- Schema-qualified calls: the function must not change meaning with the
-- caller's search_path.
CREATE FUNCTION findings_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.title);
  RETURN NEW;
END
$$;

-- BEFORE, so the row is written once with its vector. UPDATE OF title fires
-- only when title is assigned (other updates, e.g. suppressed = true, skip the
-- re-parse); search_tsv is listed too, so a direct write to the column is
-- overwritten with the value derived from the title instead of drifting.
CREATE TRIGGER findings_search_tsv_trigger
  BEFORE INSERT OR UPDATE OF title, search_tsv ON findings
  FOR EACH ROW EXECUTE FUNCTION findings_search_tsv_update();

COMMENT ON COLUMN findings.search_tsv IS
  'to_tsvector(''english'', title), kept by trigger findings_search_tsv_trigger; query with websearch_to_tsquery(''english'', ...).';

-- ---------------------------------------------------------- learning_memories
ALTER TABLE learning_memories ADD COLUMN search_tsv tsvector;

UPDATE learning_memories SET search_tsv = to_tsvector('pg_catalog.english'::regconfig, finding_text);

CREATE INDEX idx_learning_memories_search_tsv ON learning_memories USING gin (search_tsv);

CREATE FUNCTION learning_memories_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.finding_text);
  RETURN NEW;
END
$$;

CREATE TRIGGER learning_memories_search_tsv_trigger
  BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories
  FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update();

COMMENT ON COLUMN learning_memories.search_tsv IS
  'to_tsvector(''english'', finding_text), kept by trigger learning_memories_search_tsv_trigger; query with websearch_to_tsquery(''english'', ...).';
