-- Inverse of 002: the vector query falls back to an exact scan (correct, slower).
DROP INDEX IF EXISTS idx_learning_memories_embedding_hnsw;
