-- Inverse of 058.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS review_graph_edges;
DROP TABLE IF EXISTS review_graph_nodes;
DROP TABLE IF EXISTS review_graph_files;
DROP TABLE IF EXISTS review_graph_builds;
