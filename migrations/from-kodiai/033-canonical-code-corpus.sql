-- from-kodiai 033 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's canonical code
-- corpus (canonical_code_chunks, canonical_corpus_backfill_state as its 033 made them, 24fba64a) becomes what our
-- 057 creates, every row kept.
-- migrate:no-transaction
--
-- What differs (kodiai against our 057):
--   * keys: kodiai's bigserial becomes our bigint identity (same type: catalog only), continuing its sequence.
--   * embedding: vector(1024) with a float32 HNSW index becomes halfvec(1024) stored inline (PLAIN) with HNSW
--     halfvec_cosine_ops (m = 16, ef_construction = 64), as learning_memories' (our 002/007): the value as a cast
--     gives it (float32 rounded to float16, as our 007 does for memories).
--   * tsv: kodiai's generated column becomes a plain column kept by trigger canonical_code_chunks_tsv_trigger
--     (the same value, to_tsvector('english', chunk_text)); its GIN index is the same.
--   * indexes: kodiai's btrees on the unbounded file_path, idx_canonical_chunks_identity (repo, owner,
--     canonical_ref, file_path, chunk_type, COALESCE(symbol_name, '')) and idx_canonical_chunks_file (repo,
--     canonical_ref, file_path), become ours: the identity on md5(file_path) and md5(COALESCE(symbol_name, ''))
--     (the same uniqueness), a hash index on file_path; idx_canonical_chunks_stale's `stale = true` becomes
--     `stale`; idx_canonical_backfill_repo_ref (the UNIQUE key's twin) is dropped.
--   * CHECKs of ours: chunks' line spans; the backfill's status and counters.
--   * the tables' and two columns' comments.
--   Columns, NOT NULLs, defaults, the chunk_type check, the UNIQUE key and the other indexes are the same.
--
-- Online: the corpus grows with every repository indexed (a row and a 2 kB vector per chunk of code; bound
-- assumed: millions of rows, gigabytes). As from-kodiai/001-002 convert learning_memories: kodiai's float32 HNSW
-- index goes first, CONCURRENTLY (the batches would otherwise insert every row into it again); an
-- `embedding_adopt` halfvec column (PLAIN) kept by a trigger is filled in batches of 2,000 ids, each committed,
-- then every row is checked and the column swapped in in one short transaction; the other catalog changes each
-- in a transaction that waits at most 1.5 s for its lock and retries (the generated column's DROP EXPRESSION keeps
-- the stored values: no rewrite); CHECKs NOT VALID, then VALIDATE (SHARE UPDATE EXCLUSIVE: the bot's reads and
-- writes go on); indexes built and dropped CONCURRENTLY, ours built before kodiai's twin goes (kodiai's renamed
-- aside meanwhile), so the bot always has its lookups and its unique key. Until ours is built after the swap, the
-- bot's nearest-chunk query reads the table. Every statement is safe to run again (a run that stopped resumes).
-- A row our CHECKs refuse stops the run at its VALIDATE with the constraint left NOT VALID: fix the row, run `up`
-- again.

-- Statements outside pg_temp.brief_ddl take no lock that blocks the bot's reads or writes and may wait for older
-- transactions: no lock timeout for them.
SET lock_timeout = 0;

-- pg_temp.brief_ddl, prepare, swap, bigserial_identity, add_check, drop_invalid, set_aside:
-- migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

CALL pg_temp.bigserial_identity('canonical_code_chunks');
CALL pg_temp.bigserial_identity('canonical_corpus_backfill_state');

-- kodiai's float32 HNSW index first (it shares our index's name: set aside, then dropped).
SELECT pg_temp.set_aside('idx_canonical_chunks_embedding', ' vector_cosine_ops');
DROP INDEX CONCURRENTLY IF EXISTS idx_canonical_chunks_embedding_kodiai;

CALL pg_temp.prepare('canonical_code_chunks', ARRAY['embedding'], ARRAY['halfvec(1024)'],
  ARRAY['$c::halfvec(1024)'], ARRAY[false], 2000);
CALL pg_temp.swap('canonical_code_chunks', ARRAY['embedding'], ARRAY['$c::halfvec(1024)'], ARRAY[false]);

-- tsv: from generated to kept by our trigger, in one transaction (no write of the bot's without it).
CREATE OR REPLACE FUNCTION canonical_code_chunks_tsv_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.tsv := pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, NEW.chunk_text);
  RETURN NEW;
END
$$;
DO $$
BEGIN
  IF (SELECT attgenerated FROM pg_catalog.pg_attribute WHERE attrelid = 'canonical_code_chunks'::regclass
      AND attname = 'tsv') = 's' THEN
    PERFORM pg_temp.brief_ddl(ARRAY['ALTER TABLE canonical_code_chunks ALTER COLUMN tsv DROP EXPRESSION',
      'CREATE TRIGGER canonical_code_chunks_tsv_trigger BEFORE INSERT OR UPDATE OF chunk_text, tsv'
        || ' ON canonical_code_chunks FOR EACH ROW EXECUTE FUNCTION canonical_code_chunks_tsv_update()']);
  END IF;
END
$$;

SELECT pg_temp.add_check('canonical_code_chunks', 'canonical_code_chunks_lines_check',
  'start_line >= 0 AND end_line >= start_line');
SELECT pg_temp.add_check('canonical_corpus_backfill_state', 'canonical_corpus_backfill_state_status_check',
  'status IN (''running'', ''completed'', ''failed'', ''partial'')');
SELECT pg_temp.add_check('canonical_corpus_backfill_state', 'canonical_corpus_backfill_state_counts_check',
  'files_total >= 0 AND files_done >= 0 AND chunks_total >= 0 AND chunks_done >= 0 AND chunks_skipped >= 0'
  || ' AND chunks_failed >= 0');
-- VALIDATE of a validated constraint does nothing: safe to run again
-- squawk-ignore prefer-robust-stmts
ALTER TABLE canonical_code_chunks VALIDATE CONSTRAINT canonical_code_chunks_lines_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE canonical_corpus_backfill_state VALIDATE CONSTRAINT canonical_corpus_backfill_state_status_check;
-- squawk-ignore prefer-robust-stmts
ALTER TABLE canonical_corpus_backfill_state VALIDATE CONSTRAINT canonical_corpus_backfill_state_counts_check;

-- Indexes: kodiai's of our names but other definitions set aside; ours built; then kodiai's dropped.
SELECT pg_temp.set_aside('idx_canonical_chunks_identity', ' file_path, chunk_type');
SELECT pg_temp.set_aside('idx_canonical_chunks_stale', 'stale = true');
SELECT pg_temp.drop_invalid(ARRAY['idx_canonical_chunks_identity', 'idx_canonical_chunks_file_path_hash',
  'idx_canonical_chunks_stale', 'idx_canonical_chunks_embedding']);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_canonical_chunks_identity ON canonical_code_chunks
  (repo, owner, canonical_ref, chunk_type, md5(file_path), md5(COALESCE(symbol_name, '')))
  WHERE deleted_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_canonical_chunks_file_path_hash ON canonical_code_chunks
  USING hash (file_path) WHERE deleted_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_canonical_chunks_stale ON canonical_code_chunks (id)
  WHERE stale AND deleted_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_canonical_chunks_embedding ON canonical_code_chunks
  USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);
DROP INDEX CONCURRENTLY IF EXISTS idx_canonical_chunks_identity_kodiai;
DROP INDEX CONCURRENTLY IF EXISTS idx_canonical_chunks_stale_kodiai;
DROP INDEX CONCURRENTLY IF EXISTS idx_canonical_chunks_file;
DROP INDEX CONCURRENTLY IF EXISTS idx_canonical_backfill_repo_ref;

COMMENT ON TABLE canonical_code_chunks IS 'Chunks of the current code at a ref (canonical_ref, commit_sha) with embedding and full-text vector; soft-deleted by deleted_at (kodiai 033).';
COMMENT ON TABLE canonical_corpus_backfill_state IS 'Backfill progress of the canonical corpus per (repo, owner, canonical_ref) (kodiai 033).';
COMMENT ON COLUMN canonical_code_chunks.embedding IS 'Voyage embedding as halfvec(1024), stored inline (PLAIN); the bot writes $1::vector and orders by embedding <=> $1::vector (HNSW).';
COMMENT ON COLUMN canonical_code_chunks.tsv IS 'to_tsvector(''english'', chunk_text), kept by trigger canonical_code_chunks_tsv_trigger.';
