-- from-kodiai 006 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's wiki_pages and
-- wiki_sync_state as its runner leaves them at 24fba64a (its 006, with what its 007 adds to wiki_pages and the
-- indexes its 051 and 053 add) become what our 022 creates, every row kept.
--
-- kodiai's tables against our 022 (columns, types, NOT NULLs and defaults not named here are the same):
--   wiki_pages.id                bigserial (a default from a sequence it owns)  -> bigint identity, continuing
--                                kodiai's sequence (same type: catalog only)
--   wiki_pages.embedding         vector(1024), float32                            -> halfvec(1024), STORAGE PLAIN
--   wiki_pages.language_tags     text[] DEFAULT '{}' (007), nullable              -> NOT NULL DEFAULT '{}' (the
--                                bot writes an array, never NULL; a NULL stops step 1: set it to '{}')
--   idx_wiki_pages_embedding_hnsw  hnsw vector_cosine_ops                        -> hnsw halfvec_cosine_ops
--                                (m 16, ef_construction 64, both)
--   idx_wiki_pages_repair_candidates_page_chunk (053): the same definition, on the halfvec column
--   idx_wiki_pages_title         btree (page_title)                              -> idx_wiki_pages_title_hash,
--                                hash (page_title)
--   idx_wiki_pages_page_id, idx_wiki_pages_stale: not in ours (a prefix of the unique index; one value for
--                                every live row)
--   CHECKs                       none                                             -> wiki_pages_counts_check,
--                                wiki_pages_section_anchor_check (at most 2,000 bytes),
--                                wiki_sync_state_total_pages_synced_check
--   full-text trigger            trg_wiki_pages_search_tsv, UPDATE OF chunk_text, COALESCE
--                                -> wiki_pages_search_tsv_trigger, UPDATE OF chunk_text, search_tsv
--                                (same values: chunk_text is NOT NULL); our function body
--   comment on search_tsv        none                                             -> ours
--   wiki_sync_state.id           serial (int4)                                    -> bigint identity, continuing
--                                kodiai's sequence
-- The same in both: wiki_pages_pkey, idx_wiki_pages_unique_chunk, idx_wiki_pages_namespace,
-- idx_wiki_pages_search_tsv, idx_wiki_pages_language_tags (007), idx_wiki_pages_active_page_chunk (051),
-- wiki_sync_state_pkey, wiki_sync_state_source_key.
--
-- Online (wiki_pages grows with the wiki the bot syncs, a float32 vector per chunk), as from-kodiai/005: each
-- statement safe to run again (a run that stopped resumes with the next `up`):
--   1. read-only: a row our CHECKs refuse (or a NULL language_tags) stops here, before anything changed;
--   2. kodiai's float32 HNSW index set aside and dropped CONCURRENTLY; until step 6 has built ours, the bot's
--      nearest-chunk query reads the table;
--   3. embedding_adopt halfvec(1024) PLAIN, kept by trigger, filled in batches of 2,000 rows (each committed);
--   4. our CHECKs and language_tags' NOT NULL proof, NOT VALID, then VALIDATE (SHARE UPDATE EXCLUSIVE);
--   5. every row checked, then the swap, NOT NULL on language_tags (no scan: proved in 4) and the identity,
--      each a transaction of catalog changes that waits at most 1.5 s for its locks and retries;
--   6. the indexes of ours CONCURRENTLY, kodiai's others dropped CONCURRENTLY, our trigger and comment.
-- wiki_sync_state holds one row per wiki the bot syncs (a few assumed): its int4 key becomes bigint in one
-- transaction (a rewrite of those rows, milliseconds) that waits at most 1.5 s for its lock.
-- migrate:no-transaction
-- adopt: online-kit

-- Outside pg_temp.brief_ddl: reads, batches, VALIDATE and concurrent index builds, which take no lock that
-- blocks the bot's reads or writes and may wait for older transactions.
SET lock_timeout = 0;

-- 1. Our CHECKs against kodiai's rows, read-only.
SELECT pg_temp.refuse_rows('wiki_pages', 'wiki_pages_counts_check',
  'page_id >= 0 AND chunk_index >= 0 AND token_count >= 0 AND section_level >= 0 AND revision_id >= 0');
SELECT pg_temp.refuse_rows('wiki_pages', 'wiki_pages_section_anchor_check', 'octet_length(section_anchor) <= 2000');
SELECT pg_temp.refuse_rows('wiki_pages', 'wiki_pages_language_tags_adopt_nn', 'language_tags IS NOT NULL');
SELECT pg_temp.refuse_rows('wiki_sync_state', 'wiki_sync_state_total_pages_synced_check', 'total_pages_synced >= 0');

-- 2. kodiai's float32 HNSW index (ours has the same name: only a float32 one is set aside).
SELECT pg_temp.set_aside_float32('idx_wiki_pages_embedding_hnsw');
DROP INDEX CONCURRENTLY IF EXISTS idx_wiki_pages_embedding_hnsw_kodiai;

-- 3. The halfvec copy (nothing happens once swapped).
CALL pg_temp.prepare('wiki_pages', ARRAY['embedding'], ARRAY['halfvec(1024)'], ARRAY['$c::halfvec(1024)'],
  ARRAY[false], 2000);

-- 4. Our CHECKs; a row written since step 1 that breaks one stops the run here, nothing swapped.
SELECT pg_temp.add_check('wiki_pages', 'wiki_pages_counts_check',
  'page_id >= 0 AND chunk_index >= 0 AND token_count >= 0 AND section_level >= 0 AND revision_id >= 0');
SELECT pg_temp.add_check('wiki_pages', 'wiki_pages_section_anchor_check', 'octet_length(section_anchor) <= 2000');
SELECT pg_temp.add_check('wiki_sync_state', 'wiki_sync_state_total_pages_synced_check', 'total_pages_synced >= 0');
-- (dropped in step 5 once NOT NULL holds; not added again then)
SELECT pg_temp.add_check('wiki_pages', 'wiki_pages_language_tags_adopt_nn', 'language_tags IS NOT NULL')
WHERE NOT (SELECT attnotnull FROM pg_attribute WHERE attrelid = 'wiki_pages'::regclass AND attname = 'language_tags');
-- VALIDATE of a validated constraint does nothing: safe to run again
-- squawk-ignore prefer-robust-stmts
ALTER TABLE wiki_pages VALIDATE CONSTRAINT wiki_pages_counts_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE wiki_pages VALIDATE CONSTRAINT wiki_pages_section_anchor_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE wiki_sync_state VALIDATE CONSTRAINT wiki_sync_state_total_pages_synced_check;
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'wiki_pages'::regclass
             AND conname = 'wiki_pages_language_tags_adopt_nn' AND NOT convalidated) THEN
    ALTER TABLE wiki_pages VALIDATE CONSTRAINT wiki_pages_language_tags_adopt_nn;
  END IF;
END
$$;

-- 5. Check and swap (dropping the float32 column drops kodiai's partial index on it: step 6 builds it again
-- on the halfvec column), language_tags NOT NULL, then the identities.
CALL pg_temp.swap('wiki_pages', ARRAY['embedding'], ARRAY['$c::halfvec(1024)'], ARRAY[false]);
SELECT pg_temp.brief_ddl(ARRAY['ALTER TABLE wiki_pages ALTER COLUMN language_tags SET NOT NULL',
  'ALTER TABLE wiki_pages DROP CONSTRAINT wiki_pages_language_tags_adopt_nn'])
WHERE NOT (SELECT attnotnull FROM pg_attribute WHERE attrelid = 'wiki_pages'::regclass AND attname = 'language_tags');
CALL pg_temp.bigserial_identity('wiki_pages');
CALL pg_temp.small_serial_identity('wiki_sync_state');

-- 6. Our indexes (an interrupted build left INVALID is dropped first, then built again).
SELECT pg_temp.drop_invalid(ARRAY['idx_wiki_pages_embedding_hnsw', 'idx_wiki_pages_repair_candidates_page_chunk',
  'idx_wiki_pages_title_hash']);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_wiki_pages_repair_candidates_page_chunk
  ON wiki_pages (page_id, chunk_index, id)
  WHERE deleted = false AND (embedding IS NULL OR stale = true OR embedding_model IS DISTINCT FROM 'voyage-4');
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_wiki_pages_title_hash ON wiki_pages USING hash (page_title);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_wiki_pages_embedding_hnsw ON wiki_pages
  USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);
DROP INDEX CONCURRENTLY IF EXISTS idx_wiki_pages_title;
DROP INDEX CONCURRENTLY IF EXISTS idx_wiki_pages_page_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_wiki_pages_stale;

-- Our full-text trigger in place of kodiai's (same values), in one brief transaction; the function is ours.
CREATE OR REPLACE FUNCTION wiki_pages_search_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.chunk_text);
  RETURN NEW;
END
$$;
SELECT pg_temp.brief_ddl(ARRAY['DROP TRIGGER IF EXISTS trg_wiki_pages_search_tsv ON wiki_pages',
  'CREATE TRIGGER wiki_pages_search_tsv_trigger BEFORE INSERT OR UPDATE OF chunk_text, search_tsv'
    || ' ON wiki_pages FOR EACH ROW EXECUTE FUNCTION wiki_pages_search_tsv_update()',
  'COMMENT ON COLUMN wiki_pages.search_tsv IS ''to_tsvector(''''english'''', chunk_text), kept by trigger'
    || ' wiki_pages_search_tsv_trigger.'''])
WHERE NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'wiki_pages'::regclass
  AND tgname = 'wiki_pages_search_tsv_trigger');
