-- Inverse of 007: back to the float32 HNSW index of 002 (same definition and comment).
-- DROP COLUMN does not rewrite the table: the space of the halfvec copies is reused by
-- later writes (or returned by VACUUM FULL).
SET LOCAL maintenance_work_mem = '512MB';

DROP INDEX IF EXISTS idx_learning_memories_embedding_half_hnsw;
ALTER TABLE IF EXISTS learning_memories DROP COLUMN IF EXISTS embedding_half;
ALTER TABLE IF EXISTS learning_memories RESET (toast_tuple_target);

CREATE INDEX IF NOT EXISTS idx_learning_memories_embedding_hnsw
  ON learning_memories USING hnsw (embedding vector_cosine_ops)
  WITH (m = 16, ef_construction = 64);

COMMENT ON INDEX idx_learning_memories_embedding_hnsw IS
  'HNSW, cosine distance, m=16 ef_construction=64: nearest memories of a repo (ORDER BY embedding <=> $1).';
