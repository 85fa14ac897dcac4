-- 066: the indexes of kodiai's index-only files (045, 046, 049, 050, 051, 053, 054) and 007's
-- language index, on the tables of slice B of issue 21 (050-065) and on the foundation tables.
-- kodiai: 007-language-column.sql d9667a36c154
-- kodiai: 045-optimizer-indexes.sql 749217866722
-- kodiai: 046-optimizer-followup-indexes.sql f69d54871c73
-- kodiai: 049-reaction-and-review-repair-indexes.sql 716fb8685d97
-- kodiai: 050-repair-and-retention-indexes.sql 778865283926
-- kodiai: 051-vector-free-context-indexes.sql f53760c7065a
-- kodiai: 053-optimizer-pass-a-indexes.sql ead20508bdea
-- kodiai: 054-learning-memory-cluster-training-index.sql 39b6cba53434
-- migrate:no-transaction
--
-- These files also index slice A's tables (webhook queue, review comments, wiki pages, code
-- snippets, LLM cost events, wiki PR evidence): those indexes are in slice A's migrations
-- (020-049), and 007's wiki_pages column with them. This file is the last to carry a part of
-- each file, so it declares them.
--
-- Not created, with the index that serves the same queries:
--   045 idx_memories_owner_repo_active (owner, repo) WHERE NOT stale: 011's
--       idx_learning_memories_owner_live (owner) INCLUDE (repo) WHERE NOT stale.
--   045 idx_feedback_reactions_repo_title_id_desc (repo, title, id DESC): a btree on the
--       unbounded finding title (an entry holds at most 2704 bytes; a longer title would make
--       the bot's insert fail, migration 005). aggregateFeedbackPatterns reads every reaction
--       of a repo (idx_feedback_reactions_repo_created_at) and ranks them per title.
--   050 idx_rate_limit_events_created_at, idx_resilience_events_created_at (created_at): the
--       BRIN indexes of 001 on created_at serve purgeOlderThan's `created_at < now() - $1`.
-- 050's repair index on learning_memories is as upstream (embedding_model is NOT NULL here, so
-- IS DISTINCT FROM is plain <>, same rows). 051's HNSW index on review_clusters.centroid uses
-- halfvec_cosine_ops: the column is halfvec (migration 052).
--
-- Online: every index is built CONCURRENTLY (the foundation tables are large; on the new
-- tables it costs nothing), waiting for older transactions and blocking none of the bot's.
SET lock_timeout = 0;

-- 007
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_memories_language ON learning_memories (language);

-- 045
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_graph_nodes_workspace_file_id
  ON review_graph_nodes (repo, workspace_key, file_id, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_graph_edges_workspace_file_id
  ON review_graph_edges (repo, workspace_key, file_id, id);

-- 046: countRecentTimeouts (repo, author, last 7 days).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_telemetry_timeout_repo_author_recent
  ON telemetry_events (repo, pr_author, created_at DESC) WHERE conclusion IN ('timeout', 'timeout_partial');

-- 049
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issue_triage_recent_comment_reactions
  ON issue_triage_state (triaged_at DESC, repo, issue_number) WHERE comment_github_id IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_prompt_section_events_repo_created
  ON prompt_section_events (repo, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_cache_events_repo_created
  ON review_cache_events (repo, created_at DESC);

-- 050: embedding repair candidates (target model voyage-4) and prompt-section retention.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_embedding_repair_voyage4
  ON learning_memories (id) WHERE embedding IS NULL OR stale OR embedding_model IS DISTINCT FROM 'voyage-4';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issues_embedding_repair_voyage4
  ON issues (id) WHERE embedding IS NULL OR embedding_model IS DISTINCT FROM 'voyage-4';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issue_comments_embedding_repair_voyage4
  ON issue_comments (id) WHERE embedding IS NULL OR embedding_model IS DISTINCT FROM 'voyage-4';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_prompt_section_events_created_at
  ON prompt_section_events (created_at);

-- 051
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issue_comments_repo_issue_created
  ON issue_comments (repo, issue_number, github_created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_clusters_active_centroid_hnsw
  ON review_clusters USING hnsw (centroid halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)
  WHERE NOT retired AND centroid IS NOT NULL;

-- 053
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_clusters_active_repo_member_count
  ON review_clusters (repo, member_count DESC) WHERE NOT retired;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_cluster_assignments_cluster_probability
  ON review_cluster_assignments (cluster_id, probability DESC);

-- 054: the cluster training sample (live, embedded, per repo and outcome, newest first).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_cluster_training_sample
  ON learning_memories (repo, outcome, created_at DESC, id DESC)
  WHERE NOT stale AND embedding IS NOT NULL AND outcome IN ('accepted', 'thumbs_up', 'suppressed', 'thumbs_down');
