-- 008: an index of each repo's live memories, for the exact retrieval plan (issue 11).
--
-- Retrieval asks for `repo = ANY($2) AND NOT stale`. For repos up to 3,000 live rows
-- docs/retrieval.md runs it as an exact scan (the repo's rows from a btree, every inline
-- halfvec compared, a top-k sort). Until now the rows came from the repo prefix of the
-- UNIQUE (repo, finding_id, outcome) index, stale ones included, each fetched from the heap
-- and then filtered out; and for repos of a few thousand rows the planner sometimes ANDed
-- idx_learning_memories_stale (90 % of the table) into the bitmap, which alone cost 15 ms.
-- A partial index on repo WHERE NOT stale yields exactly the live rows of the repo: the
-- exact plan of a 3 % repo went from 8.7-9.7 ms to 6.4-6.5 ms on-CPU (measured by hand on
-- 100,000 rows, docs/retrieval.md). It costs ~2 MB per 100,000 rows and is built here without
-- CONCURRENTLY: it takes well under a second per 100,000 rows, blocking writes meanwhile.
-- The per-repo HNSW indexes of `indexes@kodiai` serve repos above 3,000 live rows.

CREATE INDEX idx_learning_memories_repo_live ON learning_memories (repo) WHERE NOT stale;
