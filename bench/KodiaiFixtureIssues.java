// The issue corpus, issue triage and review cluster tables (our 052, 053, 055), as kodiai's runner leaves them
// at 24fba64a: kodiai's keys (bigserial: a default from a sequence the column owns), defaults, constraint and
// index names, its float32 HNSW indexes, its 014 triggers, and the indexes its later files add (049, 050, 051,
// 053). Written by hand from what kodiai's files 013, 014, 016-019, 036, 048 and 049-053 make of them;
// KodiaiFixture.build creates these instead of its column-only tables.

import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

final class KodiaiFixtureIssues {
  private KodiaiFixtureIssues() {}

  static final String ISSUES = """
      CREATE TABLE issues (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, owner text NOT NULL, issue_number integer NOT NULL, title text NOT NULL, body text,
        state text NOT NULL DEFAULT 'open', author_login text NOT NULL, author_association text,
        label_names text[] NOT NULL DEFAULT '{}', template_slug text, comment_count integer NOT NULL DEFAULT 0,
        assignees jsonb DEFAULT '[]', milestone text, reaction_count integer NOT NULL DEFAULT 0,
        is_pull_request boolean NOT NULL DEFAULT false, locked boolean NOT NULL DEFAULT false,
        embedding vector(1024), embedding_model text, search_tsv tsvector, github_created_at timestamptz NOT NULL,
        github_updated_at timestamptz, closed_at timestamptz, UNIQUE (repo, issue_number));
      CREATE INDEX idx_issues_repo ON issues (repo);
      CREATE INDEX idx_issues_repo_number ON issues (repo, issue_number);
      CREATE INDEX idx_issues_state ON issues (state);
      CREATE INDEX idx_issues_author ON issues (author_login);
      CREATE INDEX idx_issues_labels ON issues USING gin (label_names);
      CREATE INDEX idx_issues_embedding_hnsw ON issues USING hnsw (embedding vector_cosine_ops)
        WITH (m = 16, ef_construction = 64);
      CREATE INDEX idx_issues_search_tsv ON issues USING gin (search_tsv);
      CREATE FUNCTION issues_search_tsv_update() RETURNS trigger AS $$
      BEGIN
        NEW.search_tsv := setweight(to_tsvector('english', COALESCE(NEW.title, '')), 'A') ||
          setweight(to_tsvector('english', COALESCE(NEW.body, '')), 'B') ||
          setweight(to_tsvector('english', COALESCE(array_to_string(NEW.label_names, ' '), '')), 'C');
        RETURN NEW;
      END;
      $$ LANGUAGE plpgsql;
      CREATE TRIGGER trg_issues_search_tsv BEFORE INSERT OR UPDATE OF title, body, label_names ON issues
        FOR EACH ROW EXECUTE FUNCTION issues_search_tsv_update();
      CREATE INDEX idx_issues_embedding_repair_voyage4 ON issues (id)
        WHERE embedding IS NULL OR embedding_model IS DISTINCT FROM 'voyage-4'
      """;

  static final String ISSUE_COMMENTS = """
      CREATE TABLE issue_comments (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, issue_number integer NOT NULL, comment_github_id bigint NOT NULL,
        author_login text NOT NULL, author_association text, body text NOT NULL, embedding vector(1024),
        embedding_model text, search_tsv tsvector, github_created_at timestamptz NOT NULL,
        github_updated_at timestamptz, UNIQUE (repo, comment_github_id));
      CREATE INDEX idx_issue_comments_repo_issue ON issue_comments (repo, issue_number);
      CREATE INDEX idx_issue_comments_author ON issue_comments (author_login);
      CREATE INDEX idx_issue_comments_embedding_hnsw ON issue_comments USING hnsw (embedding vector_cosine_ops)
        WITH (m = 16, ef_construction = 64);
      CREATE INDEX idx_issue_comments_search_tsv ON issue_comments USING gin (search_tsv);
      CREATE FUNCTION issue_comments_search_tsv_update() RETURNS trigger AS $$
      BEGIN
        NEW.search_tsv := to_tsvector('english', COALESCE(NEW.body, ''));
        RETURN NEW;
      END;
      $$ LANGUAGE plpgsql;
      CREATE TRIGGER trg_issue_comments_search_tsv BEFORE INSERT OR UPDATE OF body ON issue_comments
        FOR EACH ROW EXECUTE FUNCTION issue_comments_search_tsv_update();
      CREATE INDEX idx_issue_comments_embedding_repair_voyage4 ON issue_comments (id)
        WHERE embedding IS NULL OR embedding_model IS DISTINCT FROM 'voyage-4';
      CREATE INDEX idx_issue_comments_repo_issue_created ON issue_comments (repo, issue_number, github_created_at)
      """;

  // kodiai's 013 references review_comments (id): that key exists where review_comments is made with its
  // primary key (the slice-A fixture); the foreign key is added when review_comments has one.
  static final String CLUSTERS = """
      CREATE TABLE review_clusters (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(), repo text NOT NULL, slug text NOT NULL, label text NOT NULL,
        centroid vector(1024), member_count integer NOT NULL DEFAULT 0,
        member_count_at_label integer NOT NULL DEFAULT 0, file_paths text[] NOT NULL DEFAULT '{}',
        label_updated_at timestamptz NOT NULL DEFAULT now(), pinned boolean NOT NULL DEFAULT false,
        retired boolean NOT NULL DEFAULT false, UNIQUE (repo, slug));
      CREATE INDEX idx_review_clusters_repo ON review_clusters (repo);
      CREATE INDEX idx_review_clusters_active ON review_clusters (repo) WHERE retired = false;
      CREATE TABLE review_cluster_assignments (id bigserial PRIMARY KEY,
        cluster_id bigint NOT NULL REFERENCES review_clusters (id) ON DELETE CASCADE,
        review_comment_id bigint NOT NULL, probability real NOT NULL DEFAULT 0,
        assigned_at timestamptz NOT NULL DEFAULT now(), UNIQUE (cluster_id, review_comment_id));
      CREATE INDEX idx_cluster_assignments_cluster ON review_cluster_assignments (cluster_id);
      CREATE INDEX idx_cluster_assignments_comment ON review_cluster_assignments (review_comment_id);
      CREATE TABLE cluster_run_state (id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1), last_run_at timestamptz,
        clusters_discovered integer NOT NULL DEFAULT 0, comments_processed integer NOT NULL DEFAULT 0,
        labels_generated integer NOT NULL DEFAULT 0, status text NOT NULL DEFAULT 'pending', error_message text,
        updated_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX idx_review_clusters_active_centroid_hnsw ON review_clusters USING hnsw (centroid vector_cosine_ops)
        WHERE retired = false AND centroid IS NOT NULL;
      CREATE INDEX idx_review_clusters_active_repo_member_count ON review_clusters (repo, member_count DESC)
        WHERE retired = false;
      CREATE INDEX idx_review_cluster_assignments_cluster_probability
        ON review_cluster_assignments (cluster_id, probability DESC);
      DO $$
      BEGIN
        IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = to_regclass('review_comments') AND contype = 'p') THEN
          ALTER TABLE review_cluster_assignments ADD CONSTRAINT review_cluster_assignments_review_comment_id_fkey
            FOREIGN KEY (review_comment_id) REFERENCES review_comments (id) ON DELETE CASCADE;
        END IF;
      END
      $$;
      CREATE TABLE suggestion_cluster_models (id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, positive_centroids jsonb NOT NULL DEFAULT '[]',
        negative_centroids jsonb NOT NULL DEFAULT '[]', member_count integer NOT NULL DEFAULT 0,
        positive_member_count integer NOT NULL DEFAULT 0, negative_member_count integer NOT NULL DEFAULT 0,
        built_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL,
        CONSTRAINT suggestion_cluster_models_member_count_check CHECK (member_count >= 0),
        CONSTRAINT suggestion_cluster_models_positive_member_count_check CHECK (positive_member_count >= 0),
        CONSTRAINT suggestion_cluster_models_negative_member_count_check CHECK (negative_member_count >= 0),
        UNIQUE (repo));
      CREATE INDEX idx_suggestion_cluster_models_repo ON suggestion_cluster_models (repo);
      CREATE INDEX idx_suggestion_cluster_models_expires ON suggestion_cluster_models (expires_at ASC)
      """;

  static final String TRIAGE = """
      CREATE TABLE issue_triage_state (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, issue_number integer NOT NULL, triaged_at timestamptz NOT NULL DEFAULT now(),
        delivery_id text NOT NULL, duplicate_count integer NOT NULL DEFAULT 0, UNIQUE (repo, issue_number));
      CREATE INDEX idx_issue_triage_state_repo ON issue_triage_state (repo, issue_number);
      ALTER TABLE issue_triage_state ADD COLUMN comment_github_id bigint;
      CREATE TABLE issue_outcome_feedback (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, issue_number integer NOT NULL,
        triage_id bigint REFERENCES issue_triage_state (id) ON DELETE SET NULL, outcome text NOT NULL,
        kodiai_predicted_duplicate boolean NOT NULL DEFAULT false, confirmed_duplicate boolean NOT NULL DEFAULT false,
        duplicate_of_issue_number integer, state_reason text, label_names text[] NOT NULL DEFAULT '{}',
        delivery_id text NOT NULL, UNIQUE (repo, issue_number), UNIQUE (delivery_id));
      CREATE INDEX idx_issue_outcome_feedback_repo ON issue_outcome_feedback (repo);
      CREATE INDEX idx_issue_outcome_feedback_triage ON issue_outcome_feedback (triage_id) WHERE triage_id IS NOT NULL;
      CREATE TABLE triage_threshold_state (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(), repo text NOT NULL,
        alpha double precision NOT NULL DEFAULT 1.0, beta_ double precision NOT NULL DEFAULT 1.0,
        sample_count integer NOT NULL DEFAULT 0, UNIQUE (repo));
      CREATE INDEX idx_triage_threshold_state_repo ON triage_threshold_state (repo);
      CREATE TABLE triage_comment_reactions (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        synced_at timestamptz NOT NULL DEFAULT now(), repo text NOT NULL, issue_number integer NOT NULL,
        triage_id bigint NOT NULL REFERENCES issue_triage_state (id) ON DELETE CASCADE,
        comment_github_id bigint NOT NULL, thumbs_up integer NOT NULL DEFAULT 0,
        thumbs_down integer NOT NULL DEFAULT 0, observation_recorded boolean NOT NULL DEFAULT false,
        observation_direction text, UNIQUE (repo, issue_number));
      CREATE INDEX idx_triage_comment_reactions_triage ON triage_comment_reactions (triage_id);
      ALTER TABLE issue_triage_state ALTER COLUMN duplicate_count DROP NOT NULL,
        ALTER COLUMN duplicate_count DROP DEFAULT;
      CREATE INDEX idx_issue_triage_recent_comment_reactions ON issue_triage_state (triaged_at DESC, repo, issue_number)
        WHERE comment_github_id IS NOT NULL
      """;

  /**
   * Per table kodiai's KodiaiSchema lists (alphabetical, the order KodiaiFixture.build makes them in): the DDL
   * made when the build reaches it. Tables tied by foreign keys are made together under the entry of the last
   * table they reference (the cluster tables with suggestion_cluster_models, after review_comments; the triage
   * tables with triage_comment_reactions); an empty entry is made with another.
   */
  static final Map<String, String> AS_KODIAI = Map.of("issues", ISSUES, "issue_comments", ISSUE_COMMENTS,
      "review_clusters", "", "review_cluster_assignments", "", "cluster_run_state", "",
      "suggestion_cluster_models", CLUSTERS, "issue_triage_state", "", "issue_outcome_feedback", "",
      "triage_threshold_state", "", "triage_comment_reactions", TRIAGE);

  /** Creates `table` as kodiai leaves it if it is one of these; false otherwise (KodiaiFixture makes it). */
  static boolean create(Statement st, String table) throws SQLException {
    String ddl = AS_KODIAI.get(table);
    if (ddl != null && !ddl.isEmpty()) st.execute(ddl);
    return ddl != null;
  }
}
