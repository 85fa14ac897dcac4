-- from-kodiai 007 + 045 + 046 + 049 + 050 + 051 + 053 + 054 (adopting a database built by kodiai's own runner,
-- docs/adopt.md): kodiai's indexes of these files on the foundation's tables and on those of our 050-065 become
-- the indexes our 066 creates.
-- migrate:no-transaction
--
-- What differs (kodiai 24fba64a against our 066; both sides' other indexes are their tables' conversions'):
--   same definition, kept: 007 idx_memories_language; 045 idx_review_graph_nodes_workspace_file_id,
--     idx_review_graph_edges_workspace_file_id; 046 idx_telemetry_timeout_repo_author_recent; 049
--     idx_issue_triage_recent_comment_reactions, idx_prompt_section_events_repo_created,
--     idx_review_cache_events_repo_created; 050 idx_issues_embedding_repair_voyage4,
--     idx_issue_comments_embedding_repair_voyage4, idx_prompt_section_events_created_at; 051
--     idx_issue_comments_repo_issue_created; 053 idx_review_cluster_assignments_cluster_probability.
--   same name, another definition: rebuilt as ours. 050 idx_learning_memories_embedding_repair_voyage4 and 054
--     idx_learning_memories_cluster_training_sample (kodiai `stale = true` / `stale = false`, ours `stale` /
--     `NOT stale`; both also name the embedding column, which our 007 swaps for the halfvec one: its DROP COLUMN
--     takes them with it on the way here); 051 idx_review_clusters_active_centroid_hnsw (kodiai
--     vector_cosine_ops with the default m and ef_construction; ours halfvec_cosine_ops, m = 16,
--     ef_construction = 64, on the halfvec centroid of our 052) and 053
--     idx_review_clusters_active_repo_member_count (kodiai `retired = false`, ours `NOT retired`).
--   kodiai's, not ours, dropped: 045 idx_memories_owner_repo_active (011's idx_learning_memories_owner_live
--     serves it) and idx_feedback_reactions_repo_title_id_desc (a btree on the unbounded finding title: our 066
--     says why); 050 idx_rate_limit_events_created_at and idx_resilience_events_created_at (our 001's BRIN indexes
--     on created_at, built by from-kodiai/002, serve the purges).
--   Slice A's tables' indexes of these files (045 idx_snippet_occ_hash_repo_created, 046
--     idx_wiki_pr_evidence_page_merged, 049-053 on review_comments, llm_cost_events, code_snippets, wiki_pages)
--     are converted with those tables (our 020-049).
--
-- Online: the foundation's tables are large (learning_memories most of the 5.3 GB). Nothing here blocks the bot:
-- indexes are dropped and built CONCURRENTLY; an index of kodiai's to rebuild is first renamed aside
-- (`<name>_kodiai`, a rename takes SHARE UPDATE EXCLUSIVE) so that ours can take its name, and the bot's queries
-- keep an index until ours is valid. Every statement is safe to run again: an index an interrupted build left
-- INVALID is dropped (a catalog change in a transaction that waits at most 1.5 s for its lock) and built again.

-- No statement here takes a lock that blocks the bot's reads or writes for longer than a catalog change; the
-- concurrent builds wait for older transactions: no lock timeout for them.
SET lock_timeout = 0;

-- pg_temp.brief_ddl, drop_invalid, set_aside: migrations/from-kodiai/online-kit.sql
-- adopt: online-kit

-- ours that an interrupted build left INVALID are built again; kodiai's of another definition set aside
SELECT pg_temp.drop_invalid(ARRAY['idx_memories_language', 'idx_review_graph_nodes_workspace_file_id',
  'idx_review_graph_edges_workspace_file_id', 'idx_telemetry_timeout_repo_author_recent',
  'idx_issue_triage_recent_comment_reactions', 'idx_prompt_section_events_repo_created',
  'idx_review_cache_events_repo_created', 'idx_learning_memories_embedding_repair_voyage4',
  'idx_issues_embedding_repair_voyage4', 'idx_issue_comments_embedding_repair_voyage4',
  'idx_prompt_section_events_created_at', 'idx_issue_comments_repo_issue_created',
  'idx_review_clusters_active_centroid_hnsw', 'idx_review_clusters_active_repo_member_count',
  'idx_review_cluster_assignments_cluster_probability', 'idx_learning_memories_cluster_training_sample']);
SELECT pg_temp.set_aside(name, kodiai_form) FROM (VALUES
  ('idx_learning_memories_embedding_repair_voyage4', 'stale = true'),
  ('idx_review_clusters_active_centroid_hnsw', ' vector_cosine_ops'),
  ('idx_review_clusters_active_repo_member_count', 'retired = false'),
  ('idx_learning_memories_cluster_training_sample', 'stale = false')) AS kodiais (name, kodiai_form);

-- Ours, where missing (the definitions of our 066).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_memories_language ON learning_memories (language);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_graph_nodes_workspace_file_id
  ON review_graph_nodes (repo, workspace_key, file_id, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_graph_edges_workspace_file_id
  ON review_graph_edges (repo, workspace_key, file_id, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_telemetry_timeout_repo_author_recent
  ON telemetry_events (repo, pr_author, created_at DESC) WHERE conclusion IN ('timeout', 'timeout_partial');
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issue_triage_recent_comment_reactions
  ON issue_triage_state (triaged_at DESC, repo, issue_number) WHERE comment_github_id IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_prompt_section_events_repo_created
  ON prompt_section_events (repo, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_cache_events_repo_created
  ON review_cache_events (repo, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_embedding_repair_voyage4
  ON learning_memories (id) WHERE embedding IS NULL OR stale OR embedding_model IS DISTINCT FROM 'voyage-4';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issues_embedding_repair_voyage4
  ON issues (id) WHERE embedding IS NULL OR embedding_model IS DISTINCT FROM 'voyage-4';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issue_comments_embedding_repair_voyage4
  ON issue_comments (id) WHERE embedding IS NULL OR embedding_model IS DISTINCT FROM 'voyage-4';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_prompt_section_events_created_at
  ON prompt_section_events (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issue_comments_repo_issue_created
  ON issue_comments (repo, issue_number, github_created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_clusters_active_centroid_hnsw
  ON review_clusters USING hnsw (centroid halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)
  WHERE NOT retired AND centroid IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_clusters_active_repo_member_count
  ON review_clusters (repo, member_count DESC) WHERE NOT retired;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_cluster_assignments_cluster_probability
  ON review_cluster_assignments (cluster_id, probability DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_cluster_training_sample
  ON learning_memories (repo, outcome, created_at DESC, id DESC)
  WHERE NOT stale AND embedding IS NOT NULL AND outcome IN ('accepted', 'thumbs_up', 'suppressed', 'thumbs_down');

-- kodiai's that ours replaced (renamed aside above), and kodiai's that our 066 does without; only now, so the
-- bot's queries always had an index.
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_embedding_repair_voyage4_kodiai;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_clusters_active_centroid_hnsw_kodiai;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_clusters_active_repo_member_count_kodiai;
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_cluster_training_sample_kodiai;
DROP INDEX CONCURRENTLY IF EXISTS idx_memories_owner_repo_active;
DROP INDEX CONCURRENTLY IF EXISTS idx_feedback_reactions_repo_title_id_desc;
DROP INDEX CONCURRENTLY IF EXISTS idx_rate_limit_events_created_at;
DROP INDEX CONCURRENTLY IF EXISTS idx_resilience_events_created_at;
