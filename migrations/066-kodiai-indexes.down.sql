-- Inverse of 066, CONCURRENTLY (it waits for older transactions and blocks none of the bot's).
-- migrate:no-transaction
SET lock_timeout = 0;
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_cluster_training_sample;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_cluster_assignments_cluster_probability;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_clusters_active_repo_member_count;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_clusters_active_centroid_hnsw;
DROP INDEX CONCURRENTLY IF EXISTS idx_issue_comments_repo_issue_created;
DROP INDEX CONCURRENTLY IF EXISTS idx_prompt_section_events_created_at;
DROP INDEX CONCURRENTLY IF EXISTS idx_issue_comments_embedding_repair_voyage4;
DROP INDEX CONCURRENTLY IF EXISTS idx_issues_embedding_repair_voyage4;
DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_embedding_repair_voyage4;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_cache_events_repo_created;
DROP INDEX CONCURRENTLY IF EXISTS idx_prompt_section_events_repo_created;
DROP INDEX CONCURRENTLY IF EXISTS idx_issue_triage_recent_comment_reactions;
DROP INDEX CONCURRENTLY IF EXISTS idx_telemetry_timeout_repo_author_recent;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_graph_edges_workspace_file_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_graph_nodes_workspace_file_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_memories_language;
