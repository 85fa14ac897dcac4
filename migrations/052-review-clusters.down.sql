-- Inverse of 052.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS suggestion_cluster_models;
DROP TABLE IF EXISTS cluster_run_state;
DROP TABLE IF EXISTS review_cluster_assignments;
DROP TABLE IF EXISTS review_clusters;
