// The canonical code corpus (kodiai 033) and the review graph (kodiai 034, with 045's and 052's indexes) as
// kodiai's runner leaves them at 24fba64a: bigserial keys, REAL confidences, its generated tsv, its float32
// HNSW index, its constraint and index names (PostgreSQL's default names where kodiai gives none). Written by
// hand from what kodiai's files make of them; KodiaiFixture.build creates these instead of its column-only
// tables.

import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

final class KodiaiFixtureGraph {
  private KodiaiFixtureGraph() {}

  /** An empty entry is made with another's (the corpus' backfill state with its chunks, the graph with builds). */
  static final Map<String, String> AS_KODIAI = Map.of("canonical_code_chunks", """
      CREATE TABLE canonical_code_chunks (id bigserial PRIMARY KEY, repo text NOT NULL, owner text NOT NULL,
        canonical_ref text NOT NULL, commit_sha text NOT NULL, file_path text NOT NULL,
        language text NOT NULL DEFAULT 'unknown', start_line integer NOT NULL, end_line integer NOT NULL,
        chunk_type text NOT NULL DEFAULT 'block'
          CHECK (chunk_type IN ('function', 'class', 'method', 'module', 'block')),
        symbol_name text, chunk_text text NOT NULL, content_hash text NOT NULL, embedding vector(1024),
        embedding_model text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', chunk_text)) STORED,
        stale boolean NOT NULL DEFAULT false, deleted_at timestamptz, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now());
      CREATE UNIQUE INDEX idx_canonical_chunks_identity ON canonical_code_chunks
        (repo, owner, canonical_ref, file_path, chunk_type, COALESCE(symbol_name, '')) WHERE deleted_at IS NULL;
      CREATE INDEX idx_canonical_chunks_content_hash ON canonical_code_chunks (content_hash);
      CREATE INDEX idx_canonical_chunks_repo_ref ON canonical_code_chunks (repo, canonical_ref)
        WHERE deleted_at IS NULL;
      CREATE INDEX idx_canonical_chunks_file ON canonical_code_chunks (repo, canonical_ref, file_path)
        WHERE deleted_at IS NULL;
      CREATE INDEX idx_canonical_chunks_language ON canonical_code_chunks (language) WHERE deleted_at IS NULL;
      CREATE INDEX idx_canonical_chunks_tsv ON canonical_code_chunks USING gin (tsv);
      CREATE INDEX idx_canonical_chunks_embedding ON canonical_code_chunks USING hnsw (embedding vector_cosine_ops)
        WITH (m = 16, ef_construction = 64);
      CREATE INDEX idx_canonical_chunks_stale ON canonical_code_chunks (id) WHERE stale = true AND deleted_at IS NULL;
      CREATE TABLE canonical_corpus_backfill_state (id bigserial PRIMARY KEY, repo text NOT NULL,
        owner text NOT NULL, canonical_ref text NOT NULL, run_id text NOT NULL, status text NOT NULL DEFAULT 'running',
        files_total integer, files_done integer NOT NULL DEFAULT 0, chunks_total integer,
        chunks_done integer NOT NULL DEFAULT 0, chunks_skipped integer NOT NULL DEFAULT 0,
        chunks_failed integer NOT NULL DEFAULT 0, last_file_path text, commit_sha text, error_message text,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (repo, owner, canonical_ref));
      CREATE INDEX idx_canonical_backfill_repo_ref ON canonical_corpus_backfill_state (repo, owner, canonical_ref)
      """, "canonical_corpus_backfill_state", "", "review_graph_builds", """
      CREATE TABLE review_graph_builds (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(), repo text NOT NULL, workspace_key text NOT NULL,
        commit_sha text, status text NOT NULL DEFAULT 'pending', started_at timestamptz, completed_at timestamptz,
        last_error text, files_indexed integer NOT NULL DEFAULT 0, files_failed integer NOT NULL DEFAULT 0,
        nodes_written integer NOT NULL DEFAULT 0, edges_written integer NOT NULL DEFAULT 0,
        CONSTRAINT review_graph_builds_status_check CHECK (status IN ('pending', 'running', 'completed', 'failed')),
        CONSTRAINT review_graph_builds_files_indexed_check CHECK (files_indexed >= 0),
        CONSTRAINT review_graph_builds_files_failed_check CHECK (files_failed >= 0),
        CONSTRAINT review_graph_builds_nodes_written_check CHECK (nodes_written >= 0),
        CONSTRAINT review_graph_builds_edges_written_check CHECK (edges_written >= 0), UNIQUE (repo, workspace_key));
      CREATE INDEX idx_review_graph_builds_repo ON review_graph_builds (repo);
      CREATE INDEX idx_review_graph_builds_status ON review_graph_builds (status);
      CREATE TABLE review_graph_files (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(), repo text NOT NULL, workspace_key text NOT NULL,
        path text NOT NULL, language text NOT NULL, content_hash text, indexed_at timestamptz NOT NULL DEFAULT now(),
        build_id bigint REFERENCES review_graph_builds (id) ON DELETE SET NULL, UNIQUE (repo, workspace_key, path));
      CREATE INDEX idx_review_graph_files_repo_workspace ON review_graph_files (repo, workspace_key);
      CREATE INDEX idx_review_graph_files_repo_path ON review_graph_files (repo, path);
      CREATE INDEX idx_review_graph_files_build_id ON review_graph_files (build_id);
      CREATE TABLE review_graph_nodes (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, workspace_key text NOT NULL,
        file_id bigint NOT NULL REFERENCES review_graph_files (id) ON DELETE CASCADE,
        build_id bigint REFERENCES review_graph_builds (id) ON DELETE SET NULL, node_kind text NOT NULL,
        stable_key text NOT NULL, symbol_name text, qualified_name text, language text NOT NULL,
        span_start_line integer, span_start_col integer, span_end_line integer, span_end_col integer, signature text,
        attributes jsonb NOT NULL DEFAULT '{}', confidence real,
        CONSTRAINT review_graph_nodes_kind_check CHECK (node_kind IN ('file', 'symbol', 'import', 'callsite', 'test')),
        CONSTRAINT review_graph_nodes_confidence_check
          CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
        CONSTRAINT review_graph_nodes_span_start_line_check CHECK (span_start_line IS NULL OR span_start_line >= 1),
        CONSTRAINT review_graph_nodes_span_end_line_check CHECK (span_end_line IS NULL OR span_end_line >= 1),
        UNIQUE (repo, workspace_key, stable_key));
      CREATE INDEX idx_review_graph_nodes_repo_workspace_kind ON review_graph_nodes (repo, workspace_key, node_kind);
      CREATE INDEX idx_review_graph_nodes_file_id ON review_graph_nodes (file_id);
      CREATE INDEX idx_review_graph_nodes_symbol_name ON review_graph_nodes (repo, symbol_name);
      CREATE INDEX idx_review_graph_nodes_qualified_name ON review_graph_nodes (repo, qualified_name);
      CREATE TABLE review_graph_edges (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, workspace_key text NOT NULL,
        file_id bigint NOT NULL REFERENCES review_graph_files (id) ON DELETE CASCADE,
        build_id bigint REFERENCES review_graph_builds (id) ON DELETE SET NULL, edge_kind text NOT NULL,
        source_node_id bigint NOT NULL REFERENCES review_graph_nodes (id) ON DELETE CASCADE,
        target_node_id bigint NOT NULL REFERENCES review_graph_nodes (id) ON DELETE CASCADE, confidence real,
        attributes jsonb NOT NULL DEFAULT '{}',
        CONSTRAINT review_graph_edges_kind_check CHECK (edge_kind IN ('declares', 'imports', 'includes', 'calls',
          'references', 'tests', 'contains')),
        CONSTRAINT review_graph_edges_confidence_check
          CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
        CONSTRAINT review_graph_edges_no_self_loop_check CHECK (source_node_id <> target_node_id),
        UNIQUE (repo, workspace_key, edge_kind, source_node_id, target_node_id));
      CREATE INDEX idx_review_graph_edges_repo_workspace_kind ON review_graph_edges (repo, workspace_key, edge_kind);
      CREATE INDEX idx_review_graph_edges_source ON review_graph_edges (source_node_id, edge_kind);
      CREATE INDEX idx_review_graph_edges_target ON review_graph_edges (target_node_id, edge_kind);
      CREATE INDEX idx_review_graph_edges_file_id ON review_graph_edges (file_id);
      CREATE INDEX idx_review_graph_nodes_workspace_file_id ON review_graph_nodes (repo, workspace_key, file_id, id);
      CREATE INDEX idx_review_graph_edges_workspace_file_id ON review_graph_edges (repo, workspace_key, file_id, id);
      CREATE INDEX idx_review_graph_files_repo_workspace_path ON review_graph_files (repo, workspace_key, path)
      """, "review_graph_files", "", "review_graph_nodes", "", "review_graph_edges", "");

  /** Creates `table` as kodiai leaves it if it is one of these; false otherwise (KodiaiFixture makes it). */
  static boolean create(Statement st, String table) throws SQLException {
    String ddl = AS_KODIAI.get(table);
    if (ddl != null && !ddl.isEmpty()) st.execute(ddl);
    return ddl != null;
  }
}
