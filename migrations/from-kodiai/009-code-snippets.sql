-- from-kodiai 009 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's code_snippets and
-- code_snippet_occurrences as its 009, 045 and 050 made them (24fba64a) become what our 024 creates, every row
-- kept.
-- migrate:no-transaction
--
-- What differs:
--   code_snippets: the serial int4 key becomes our bigint identity, continuing kodiai's sequence; embedding
--     vector(1024) becomes halfvec(1024), STORAGE PLAIN (each value the nearest half-precision one, as our
--     007 converts the memories), and kodiai's float32 HNSW index our halfvec_cosine_ops HNSW (m 16,
--     ef_construction 64) of the same name; tsv, kodiai's generated column, becomes a column kept by our
--     trigger (the same to_tsvector('english', embedded_text); values kept, idx_code_snippets_tsv kept) with
--     our comment; 050's repair index is rebuilt on the new id and embedding (same name, same definition);
--     our CHECK that content_hash is a SHA-256 in lowercase hex; kodiai's idx_code_snippets_hash goes (the
--     UNIQUE constraint's index is the same).
--   code_snippet_occurrences: the serial int4 key becomes our bigint identity, continuing kodiai's sequence;
--     our CHECK (PR and line numbers >= 0, end_line >= start_line); kodiai's idx_snippet_occ_hash and
--     idx_snippet_occ_repo go (prefixes of 045's (content_hash, repo, created_at DESC) and of
--     idx_snippet_occ_repo_pr, which stay).
--   The other columns, NOT NULLs, defaults, the content_hash UNIQUE key and the foreign key on it, and the
--   language index are the same.
--
-- Online: one row per distinct diff hunk the bot embedded (a 4 kB float32 vector each) and one per place it
-- appeared, so both grow with the bot's traffic (bound assumed: hundreds of thousands of snippets, GBs). As
-- from-kodiai/005-006 with the kit's helpers (migrations/from-kodiai/online-kit.sql): kodiai's float32 HNSW
-- index goes first, CONCURRENTLY (the batches would otherwise insert every row into it again); `_adopt` columns
-- kept by trigger, the rows already there in batches (each committed), NOT NULL proved by a CHECK NOT VALID then
-- VALIDATE; per table every row checked against its conversion, then a swap of names (catalog changes only) in a
-- transaction that waits at most 1.5 s for its locks and retries. Every catalog change is such a brief
-- transaction. Our CHECKs come first (NOT VALID, then VALIDATE: SHARE UPDATE EXCLUSIVE, the bot's reads and
-- writes go on): a row they refuse stops the run there, before the batches, with the constraint left NOT VALID
-- (new writes are checked): fix the row, run `up` again.
--
-- Every index is built after the swap, CONCURRENTLY, on the final column names, with IF NOT EXISTS (an index
-- build named on an `_adopt` column could not run again once the swap has renamed it): so every statement is
-- safe to run again at any point, also after a complete run (a run that stopped resumes with the next `up`; an
-- index build left INVALID is dropped and built again). The swap drops kodiai's int4 keys with their primary
-- keys; the bigint ones get theirs right after it: unique indexes built CONCURRENTLY, then `ADD PRIMARY KEY
-- USING INDEX` (catalog only: NOT NULL is set at the swap, proved by a validated CHECK).
--
-- What the bot sees: from the drop of kodiai's HNSW index (the start) until ours is built (after the swap and
-- the two key indexes), its nearest-snippet query scans the table (exact, slower). That window holds the same
-- steps as when the indexes were built before the swap (checks, batches, the two key indexes, the HNSW build,
-- the swap), less the repair index's build, which now comes after ours: it did not grow. Between the swap and
-- the primary keys (two btree builds on bigint), ids are unique by their identity but not yet by an index: the
-- bot's repair lookups by id scan meanwhile; its inserts and content_hash upserts are unchanged (that UNIQUE key
-- stays throughout). No lock that blocks the bot is held longer than one brief transaction (at most 1.5 s
-- waiting, catalog changes only: the swap, `ADD PRIMARY KEY USING INDEX` with NOT NULL already set).

SET lock_timeout = 0;

-- pg_temp.brief_ddl, in_batches, prepare, swap, add_check, ...: migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

-- kodiai's float32 HNSW index takes its name along (ours gets it), then goes; and kodiai's indexes our 024
-- does without, before the batches would update them for every row.
SELECT pg_temp.brief_ddl(ARRAY['ALTER INDEX idx_code_snippets_embedding RENAME TO idx_code_snippets_embedding_kodiai'])
WHERE EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_opclass o ON o.oid = i.indclass[0]
  WHERE c.relname = 'idx_code_snippets_embedding' AND c.relnamespace = current_schema()::regnamespace
    AND o.opcname = 'vector_cosine_ops');
DROP INDEX CONCURRENTLY IF EXISTS idx_code_snippets_embedding_kodiai;
DROP INDEX CONCURRENTLY IF EXISTS idx_code_snippets_hash;
DROP INDEX CONCURRENTLY IF EXISTS idx_snippet_occ_hash;
DROP INDEX CONCURRENTLY IF EXISTS idx_snippet_occ_repo;

-- Our CHECKs, on columns that keep their type: first, so that a row they refuse stops the run before the work.
SELECT pg_temp.add_check('code_snippets', 'code_snippets_content_hash_check', 'content_hash ~ ''^[0-9a-f]{64}$''');
SELECT pg_temp.add_check('code_snippet_occurrences', 'code_snippet_occurrences_lines_check',
  'pr_number >= 0 AND start_line >= 0 AND end_line >= start_line');
-- VALIDATE of a valid constraint does nothing: re-runnable.
-- squawk-ignore prefer-robust-stmts
ALTER TABLE code_snippets VALIDATE CONSTRAINT code_snippets_content_hash_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE code_snippet_occurrences VALIDATE CONSTRAINT code_snippet_occurrences_lines_check;

-- tsv: kodiai's generated column becomes a plain one (DROP EXPRESSION keeps the values, rewrites nothing) kept
-- by our trigger, in one transaction: no row the bot writes meanwhile goes without it. Before the batches, so
-- that they do not compute it again for every row.
CREATE OR REPLACE FUNCTION code_snippets_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.embedded_text);
  RETURN NEW;
END
$$;
SELECT pg_temp.brief_ddl(ARRAY['ALTER TABLE code_snippets ALTER COLUMN tsv DROP EXPRESSION',
    'CREATE TRIGGER code_snippets_tsv_trigger BEFORE INSERT OR UPDATE OF embedded_text, tsv ON code_snippets'
    || ' FOR EACH ROW EXECUTE FUNCTION code_snippets_tsv_update()'])
WHERE (SELECT attgenerated FROM pg_attribute WHERE attrelid = 'code_snippets'::regclass AND attname = 'tsv') = 's';
-- A comment takes SHARE UPDATE EXCLUSIVE.
COMMENT ON COLUMN code_snippets.tsv IS
  'to_tsvector(''english'', embedded_text), kept by trigger code_snippets_tsv_trigger.';

-- Batches of 1,000 snippets (rows of some kB), 5,000 occurrences; the halfvec column stored inline (PLAIN, as
-- our 024: prepare sets it before any value is written to it).
CALL pg_temp.prepare('code_snippets', ARRAY['id', 'embedding'], ARRAY['bigint', 'halfvec(1024)'],
  ARRAY['$c', '$c::halfvec(1024)'], ARRAY[true, false], 1000);
CALL pg_temp.prepare('code_snippet_occurrences', ARRAY['id'], ARRAY['bigint'], ARRAY['$c'], ARRAY[true], 5000);

-- The check of every row, then the swap of both tables, in one transaction (nothing happens once swapped): kodiai's
-- keys go with their columns (and 050's repair index on them); the sequences continue as identities.
DO $$
BEGIN
  IF pg_temp.has_column('code_snippets', 'id_adopt') THEN
    PERFORM pg_temp.check_rows('code_snippets', ARRAY['id', 'embedding'], ARRAY['$c', '$c::halfvec(1024)']);
    PERFORM pg_temp.check_rows('code_snippet_occurrences', ARRAY['id'], ARRAY['$c']);
    PERFORM pg_temp.brief_ddl(pg_temp.swap_columns('code_snippets', ARRAY['embedding'], ARRAY[false])
      || pg_temp.swap_unkeyed_id('code_snippets')
      || ARRAY['DROP TRIGGER code_snippet_occurrences_adopt_sync ON code_snippet_occurrences',
               'DROP FUNCTION code_snippet_occurrences_adopt_sync()']
      || pg_temp.swap_unkeyed_id('code_snippet_occurrences'));
  END IF;
END
$$;

-- The indexes, on the final columns (an interrupted build left INVALID is dropped first, then built again): the
-- primary keys first (the bot's lookups by id), then our HNSW (the bot's `ORDER BY embedding <=> $1::vector`
-- uses it once valid), then kodiai 050's repair index (same name, same definition).
SELECT pg_temp.drop_invalid(ARRAY['code_snippets_pkey', 'code_snippet_occurrences_pkey',
  'idx_code_snippets_embedding', 'idx_code_snippets_embedding_repair_voyage4']);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS code_snippets_pkey ON code_snippets (id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS code_snippet_occurrences_pkey ON code_snippet_occurrences (id);
SELECT pg_temp.brief_ddl(ARRAY[format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I', t, t || '_pkey',
    t || '_pkey')])
FROM unnest(ARRAY['code_snippets', 'code_snippet_occurrences']) AS t
WHERE NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = t::regclass AND contype = 'p');
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_code_snippets_embedding ON code_snippets
  USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_code_snippets_embedding_repair_voyage4 ON code_snippets (id)
  WHERE embedded_text IS NOT NULL
    AND (embedding IS NULL OR stale = true OR embedding_model IS DISTINCT FROM 'voyage-4');
