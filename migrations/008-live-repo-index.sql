-- 008: an index of each repo's live memories, for the exact retrieval plan (issue 11).
-- migrate:no-transaction
-- migrate:replaces 1de38cbd0a75babc36117822c14406f825c26d1e4b3c15c6773382784eec074f
--
-- The bot asks for `repo = $2 AND stale = false` (the planner reads `stale = false` as
-- `NOT stale`). A repo without its own HNSW index (up to 3,000 live rows, docs/retrieval.md)
-- is served exactly: the repo's live rows from this btree, every inline halfvec compared, a
-- top-k sort. Before it, the rows came from the repo prefix of the UNIQUE (repo, finding_id,
-- outcome) index, stale ones included, each fetched from the heap and then filtered out; and for
-- repos of a few thousand rows the planner sometimes ANDed idx_learning_memories_stale (90 % of
-- the table) into the bitmap, which alone cost 15 ms. A partial index on repo WHERE NOT stale
-- yields exactly the live rows of the repo: the exact plan of a 3 % repo went from 8.7-9.7 ms to
-- 6.4-6.5 ms on-CPU (measured by hand on 100,000 rows). It costs ~2 MB per 100,000 rows.
--
-- Built CONCURRENTLY (issue 22: the file it replaces built it in a transaction, blocking the
-- bot's memory inserts for 1.0 s at 100,000 rows); the build waits for older transactions,
-- so no lock timeout for it.
SET lock_timeout = 0;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_repo_live ON learning_memories (repo) WHERE NOT stale;
