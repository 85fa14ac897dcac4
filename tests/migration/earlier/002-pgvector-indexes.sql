-- 002: the approximate-nearest-neighbour index behind the store's main query,
--   SELECT ... FROM learning_memories
--   WHERE repo = $1 AND NOT stale ORDER BY embedding <=> $2 LIMIT $k
-- HNSW rather than IVFFlat: no training step (IVFFlat needs data before it
-- is built and its lists go stale as memories arrive), better recall/speed
-- trade-off, and it can be created on an empty table.
-- vector_cosine_ops because Voyage embeddings are compared by cosine
-- distance (<=>); queries must use <=> for the index to apply.
-- m = 16, ef_construction = 64 (pgvector's defaults, written out so the index
-- definition is explicit and SchemaCheck can hold it): enough for recall@10
-- above 0.95 at kodiai's scale; issue 6 measures and tunes them.
-- Not CONCURRENTLY: at this point the table is new (or freshly imported), the
-- build is short, and running in the migration's transaction keeps it
-- all-or-nothing. Rebuilding on a large live table: use REINDEX CONCURRENTLY.
-- Rows with a NULL embedding are not indexed (and never match the query).
CREATE INDEX idx_learning_memories_embedding_hnsw
  ON learning_memories USING hnsw (embedding vector_cosine_ops)
  WITH (m = 16, ef_construction = 64);

COMMENT ON INDEX idx_learning_memories_embedding_hnsw IS
  'HNSW, cosine distance, m=16 ef_construction=64: nearest memories of a repo (ORDER BY embedding <=> $1).';
