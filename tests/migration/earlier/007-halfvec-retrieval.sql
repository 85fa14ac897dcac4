-- 007: retrieval that fits a 2 GiB server (Azure B1ms). Measured in docs/retrieval.md.
--
-- The float32 vector stays the stored truth (the bot writes it, the import copies it).
-- Beside it, a half-precision copy kept by PostgreSQL itself (a stored generated
-- column, so no writer can let the two drift), which every retrieval query reads:
--   * stored PLAIN, i.e. inside the table row (2,056 bytes, three rows per 8 kB page)
--     instead of out of line in TOAST: an exact scan of a small repo then reads one
--     heap page per row, where the float32 vector (4,100 bytes, always out of line)
--     costs a TOAST index probe and three chunk reads per row;
--   * the HNSW index is built on it: 260 MB instead of 781 MB at 100,000 rows, so
--     index and heap stay cached in 2 GiB. Recall against the float32 exact answer
--     stays >= 0.95 (docs/retrieval.md).
-- The float32 HNSW index of 002 goes: no query orders by `embedding` any more.
--
-- Queries: ORDER BY embedding_half <=> $1::halfvec(1024) (the cast accepts the same
-- '[...]' text and pgvector values as the vector column).
--
-- Adding a stored generated column rewrites the table (with the new TOAST target) (ACCESS EXCLUSIVE lock, a few
-- seconds per 100,000 rows); the old HNSW index is dropped first so the rewrite does
-- not rebuild it. The new index is built once, after the rewrite, with enough
-- maintenance_work_mem for the graph to fit (512 MB holds ~200,000 rows; it is taken
-- only as the graph grows, and only in this transaction).
SET LOCAL maintenance_work_mem = '512MB';

DROP INDEX IF EXISTS idx_learning_memories_embedding_hnsw;

-- With the 2 kB copy inline a row is ~2.6 kB, above the 2 kB at which PostgreSQL starts
-- moving values out of line: by default it would then push every other long value
-- (search_tsv, finding_text) to TOAST too, and hybrid retrieval, which ranks thousands
-- of rows' search_tsv, would pay a TOAST fetch per row (measured: 1.7 s instead of
-- tens of ms). A target of 4 kB moves only the 4 kB float32 vector out of line.
ALTER TABLE learning_memories SET (toast_tuple_target = 4080);

ALTER TABLE learning_memories
  ADD COLUMN embedding_half halfvec(1024) GENERATED ALWAYS AS (embedding::halfvec(1024)) STORED,
  ALTER COLUMN embedding_half SET STORAGE PLAIN;

CREATE INDEX idx_learning_memories_embedding_half_hnsw
  ON learning_memories USING hnsw (embedding_half halfvec_cosine_ops)
  WITH (m = 16, ef_construction = 64);

COMMENT ON COLUMN learning_memories.embedding_half IS
  'embedding as halfvec(1024), generated and stored inline (PLAIN): what retrieval reads (ORDER BY embedding_half <=> $1::halfvec(1024)).';
COMMENT ON INDEX idx_learning_memories_embedding_half_hnsw IS
  'HNSW, cosine distance on the halfvec copy, m=16 ef_construction=64: nearest memories of a repo.';
