// A database as kodiai's own runner leaves it at kodiai 24fba64a (files 001-054), for the adoption tests
// and `bench adopt`: the 14 tables our 001-003 carry written out here by hand from what kodiai's files make
// of them (keys, types, defaults, kodiai's constraint and index names, its 002 float32 HNSW index, its 003
// triggers, its later changes: 007 language, 032 and 040 bigint ids, 041/044 columns, 045-054 indexes),
// every other kodiai table with its columns only (from KodiaiSchema, enough for recognition), and the
// name-only `_migrations` rows of kodiai's runner. Then rows with edge values: ids above 2^31 where kodiai
// has bigint, JSON the bot double-encoded, long titles, NULLs.

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

final class KodiaiFixture {
  private KodiaiFixture() {}

  static final String FOUNDATION = """
      CREATE TABLE _migrations (id serial PRIMARY KEY, name text NOT NULL UNIQUE,
        applied_at timestamptz NOT NULL DEFAULT now());
      CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE reviews (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), repo text NOT NULL,
        pr_number int NOT NULL, head_sha text, delivery_id text, files_analyzed int NOT NULL DEFAULT 0,
        lines_changed int NOT NULL DEFAULT 0, findings_critical int NOT NULL DEFAULT 0,
        findings_major int NOT NULL DEFAULT 0, findings_medium int NOT NULL DEFAULT 0,
        findings_minor int NOT NULL DEFAULT 0, findings_total int NOT NULL DEFAULT 0,
        suppressions_applied int NOT NULL DEFAULT 0, config_snapshot text, duration_ms int, model text,
        conclusion text NOT NULL DEFAULT 'unknown');
      CREATE INDEX idx_reviews_repo ON reviews (repo);
      CREATE INDEX idx_reviews_repo_created ON reviews (repo, created_at);
      CREATE INDEX idx_reviews_pr ON reviews (repo, pr_number);
      CREATE TABLE findings (id serial PRIMARY KEY, review_id int NOT NULL REFERENCES reviews (id),
        created_at timestamptz NOT NULL DEFAULT now(), file_path text NOT NULL, start_line int, end_line int,
        severity text NOT NULL, category text NOT NULL, confidence int NOT NULL, title text NOT NULL,
        suppressed boolean NOT NULL DEFAULT false, suppression_pattern text, comment_id bigint,
        comment_surface text, review_output_key text);
      CREATE INDEX idx_findings_review ON findings (review_id);
      CREATE INDEX idx_findings_severity ON findings (severity);
      CREATE INDEX idx_findings_repo_file ON findings (file_path);
      CREATE TABLE suppression_log (id serial PRIMARY KEY, review_id int NOT NULL REFERENCES reviews (id),
        pattern text NOT NULL, matched_count int NOT NULL DEFAULT 0, finding_ids text);
      CREATE INDEX idx_suppression_log_review ON suppression_log (review_id);
      CREATE TABLE global_patterns (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        severity text NOT NULL, category text NOT NULL, confidence_band text NOT NULL,
        pattern_fingerprint text NOT NULL, count int NOT NULL DEFAULT 0,
        UNIQUE (severity, category, confidence_band, pattern_fingerprint));
      CREATE INDEX idx_global_patterns_lookup ON global_patterns (severity, category, confidence_band);
      CREATE TABLE feedback_reactions (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, review_id int NOT NULL REFERENCES reviews (id),
        finding_id int NOT NULL REFERENCES findings (id), comment_id bigint NOT NULL, comment_surface text NOT NULL,
        reaction_id int NOT NULL, reaction_content text NOT NULL, reactor_login text NOT NULL,
        reacted_at timestamptz, severity text NOT NULL, category text NOT NULL, file_path text NOT NULL,
        title text NOT NULL, UNIQUE (repo, comment_id, reaction_id));
      CREATE INDEX idx_feedback_reactions_repo_created ON feedback_reactions (repo, created_at);
      CREATE INDEX idx_feedback_reactions_finding ON feedback_reactions (finding_id);
      CREATE INDEX idx_feedback_reactions_repo_title ON feedback_reactions (repo, title);
      CREATE INDEX idx_feedback_reactions_repo_title_id_desc ON feedback_reactions (repo, title, id DESC);
      CREATE TABLE run_state (id serial PRIMARY KEY, run_key text NOT NULL UNIQUE, repo text NOT NULL,
        pr_number int NOT NULL, base_sha text NOT NULL, head_sha text NOT NULL, delivery_id text NOT NULL,
        action text NOT NULL, status text NOT NULL DEFAULT 'pending', created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz, superseded_by text);
      CREATE INDEX idx_run_state_repo_pr ON run_state (repo, pr_number);
      CREATE INDEX idx_run_state_status ON run_state (status);
      CREATE TABLE author_cache (id serial PRIMARY KEY, repo text NOT NULL, author_login text NOT NULL,
        tier text NOT NULL, author_association text NOT NULL, pr_count int,
        cached_at timestamptz NOT NULL DEFAULT now(), UNIQUE (repo, author_login));
      CREATE INDEX idx_author_cache_lookup ON author_cache (repo, author_login);
      CREATE TABLE dep_bump_merge_history (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, pr_number int NOT NULL, merged_at timestamptz, delivery_id text, source text,
        signals_json text, package_name text, old_version text, new_version text, semver_bump_type text,
        merge_confidence_level text, merge_confidence_rationale_json text, advisory_status text,
        advisory_max_severity text, is_security_bump boolean, UNIQUE (repo, pr_number));
      CREATE INDEX idx_dep_bump_merge_repo_created ON dep_bump_merge_history (repo, created_at);
      CREATE INDEX idx_dep_bump_merge_repo_pkg ON dep_bump_merge_history (repo, package_name);
      CREATE TABLE review_checkpoints (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        review_output_key text NOT NULL UNIQUE, repo text NOT NULL, pr_number int NOT NULL,
        checkpoint_data text NOT NULL, partial_comment_id bigint);
      CREATE TABLE telemetry_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        delivery_id text, repo text NOT NULL, pr_number int, pr_author text, event_type text NOT NULL,
        provider text NOT NULL DEFAULT 'anthropic', model text NOT NULL, input_tokens int NOT NULL DEFAULT 0,
        output_tokens int NOT NULL DEFAULT 0, cache_read_tokens int NOT NULL DEFAULT 0,
        cache_creation_tokens int NOT NULL DEFAULT 0, duration_ms int NOT NULL DEFAULT 0,
        cost_usd real NOT NULL DEFAULT 0, conclusion text NOT NULL, session_id text, num_turns int, stop_reason text);
      CREATE INDEX idx_telemetry_events_created_at ON telemetry_events (created_at);
      CREATE INDEX idx_telemetry_events_repo ON telemetry_events (repo);
      CREATE INDEX idx_telemetry_timeout_repo_author_recent ON telemetry_events (repo, pr_author, created_at DESC)
        WHERE conclusion IN ('timeout', 'timeout_partial');
      CREATE TABLE rate_limit_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        delivery_id text, repo text NOT NULL, pr_number int, event_type text NOT NULL, cache_hit_rate real NOT NULL,
        skipped_queries int NOT NULL, retry_attempts int NOT NULL, degradation_path text NOT NULL);
      CREATE UNIQUE INDEX idx_rate_limit_events_delivery_event ON rate_limit_events (delivery_id, event_type)
        WHERE delivery_id IS NOT NULL;
      CREATE INDEX idx_rate_limit_events_repo_created ON rate_limit_events (repo, created_at);
      CREATE INDEX idx_rate_limit_events_created_at ON rate_limit_events (created_at);
      CREATE TABLE retrieval_quality_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        delivery_id text, repo text NOT NULL, pr_number int, event_type text NOT NULL, top_k int,
        distance_threshold real, result_count int NOT NULL, avg_distance real, language_match_ratio real,
        threshold_method text);
      CREATE UNIQUE INDEX idx_retrieval_quality_delivery ON retrieval_quality_events (delivery_id)
        WHERE delivery_id IS NOT NULL;
      CREATE INDEX idx_retrieval_quality_repo_created ON retrieval_quality_events (repo, created_at);
      CREATE TABLE resilience_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        delivery_id text NOT NULL UNIQUE, repo text NOT NULL, pr_number int, pr_author text, event_type text NOT NULL,
        kind text NOT NULL, parent_delivery_id text, review_output_key text, execution_conclusion text,
        had_inline_output boolean, checkpoint_files_reviewed int, checkpoint_finding_count int,
        checkpoint_total_files int, partial_comment_id bigint, recent_timeouts int, chronic_timeout boolean,
        retry_enqueued boolean, retry_files_count int, retry_scope_ratio real, retry_timeout_seconds int,
        retry_risk_level text, retry_checkpoint_enabled boolean, retry_has_results boolean,
        timeout_classification text, timeout_classification_mode text,
        timeout_classification_reasons text[] NOT NULL DEFAULT ARRAY[]::text[], checkpoint_files_inspected int);
      CREATE INDEX idx_resilience_events_repo_created ON resilience_events (repo, created_at);
      CREATE INDEX idx_resilience_events_created_at ON resilience_events (created_at);
      CREATE TABLE learning_memories (id bigserial PRIMARY KEY, repo text NOT NULL, owner text NOT NULL,
        finding_id bigint, review_id int, source_repo text NOT NULL, finding_text text NOT NULL,
        severity text NOT NULL, category text NOT NULL, file_path text NOT NULL, outcome text NOT NULL,
        embedding_model text NOT NULL, embedding_dim int NOT NULL, embedding vector(1024),
        stale boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now(),
        search_tsv tsvector, language text, UNIQUE (repo, finding_id, outcome));
      CREATE INDEX idx_memories_repo ON learning_memories (repo);
      CREATE INDEX idx_memories_owner ON learning_memories (owner);
      CREATE INDEX idx_memories_stale ON learning_memories (stale);
      CREATE INDEX idx_learning_memories_embedding_hnsw ON learning_memories USING hnsw (embedding vector_cosine_ops)
        WITH (m = 16, ef_construction = 64);
      CREATE INDEX idx_learning_memories_search_tsv ON learning_memories USING gin (search_tsv);
      CREATE INDEX idx_memories_language ON learning_memories (language);
      CREATE INDEX idx_memories_owner_repo_active ON learning_memories (owner, repo) WHERE stale = false;
      CREATE INDEX idx_learning_memories_embedding_repair_voyage4 ON learning_memories (id)
        WHERE embedding IS NULL OR stale = true OR embedding_model IS DISTINCT FROM 'voyage-4';
      CREATE INDEX idx_learning_memories_cluster_training_sample
        ON learning_memories (repo, outcome, created_at DESC, id DESC)
        WHERE stale = false AND embedding IS NOT NULL
          AND outcome IN ('accepted', 'thumbs_up', 'suppressed', 'thumbs_down');
      ALTER TABLE findings ADD COLUMN search_tsv tsvector;
      CREATE INDEX idx_findings_search_tsv ON findings USING gin (search_tsv);
      CREATE FUNCTION learning_memories_search_tsv_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.search_tsv := to_tsvector('english', COALESCE(NEW.finding_text, '')); RETURN NEW; END $$;
      CREATE TRIGGER trg_learning_memories_search_tsv BEFORE INSERT OR UPDATE OF finding_text ON learning_memories
        FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update();
      CREATE FUNCTION findings_search_tsv_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.search_tsv := to_tsvector('english', COALESCE(NEW.title, '')); RETURN NEW; END $$;
      CREATE TRIGGER trg_findings_search_tsv BEFORE INSERT OR UPDATE OF title ON findings
        FOR EACH ROW EXECUTE FUNCTION findings_search_tsv_update();
      """;

  /**
   * Tables with a conversion of their own (migrations/from-kodiai/), made with kodiai's keys, defaults and
   * sequences as its runner leaves them at 24fba64a (the others: columns, types and NOT NULLs only).
   * wiki_staleness_run_state (kodiai 012): a serial key, the bot's one row at id 1. wiki_style_cache (025),
   * wiki_embedding_repair_state (028).
   */
  static final Map<String, String> AS_KODIAI = Map.of("wiki_staleness_run_state", """
      CREATE TABLE wiki_staleness_run_state (id serial PRIMARY KEY, last_run_at timestamptz,
        last_commit_sha text, pages_flagged integer NOT NULL DEFAULT 0, pages_evaluated integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'pending', error_message text, updated_at timestamptz NOT NULL DEFAULT now())
      """, "wiki_style_cache", """
      CREATE TABLE wiki_style_cache (page_id integer PRIMARY KEY, page_title text NOT NULL,
        content_hash text NOT NULL, style_description jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL);
      CREATE INDEX idx_wiki_style_cache_expires ON wiki_style_cache (expires_at)
      """, "wiki_embedding_repair_state", """
      CREATE TABLE wiki_embedding_repair_state (id serial PRIMARY KEY, repair_key text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
        page_id integer, page_title text, window_index integer, windows_total integer,
        repaired integer NOT NULL DEFAULT 0, skipped integer NOT NULL DEFAULT 0, failed integer NOT NULL DEFAULT 0,
        retry_count integer NOT NULL DEFAULT 0, used_split_fallback boolean NOT NULL DEFAULT false,
        last_failure_class text, last_failure_message text,
        last_processed_chunk_ids integer[] NOT NULL DEFAULT ARRAY[]::integer[]);
      CREATE INDEX idx_wiki_embedding_repair_state_updated_at ON wiki_embedding_repair_state (updated_at DESC)
      """);

  /** Builds kodiai's schema and its runner's `_migrations` rows on an empty database. */
  static void build(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(FOUNDATION);
      Map<String, Map<String, String>> all = KodiaiAdoption.expectedColumns();
      for (var t : all.entrySet()) {
        if (KodiaiAdoption.FOUNDATION.contains(t.getKey())) continue;
        if (AS_KODIAI.containsKey(t.getKey())) { st.execute(AS_KODIAI.get(t.getKey())); continue; }
        String sliceA = KodiaiFixtureQueueComments.AS_KODIAI.get(t.getKey());
        if (sliceA != null) { st.execute(sliceA); continue; }
        if (KodiaiFixtureSliceB.create(st, t.getKey())) continue;
        if (KodiaiFixtureSliceAMore.create(st, t.getKey())) continue;
        if (KodiaiFixtureIssues.create(st, t.getKey())) continue;
        if (KodiaiFixtureReviewWiki.create(st, t.getKey())) continue;
        List<String> cols = new ArrayList<>();
        for (var col : t.getValue().entrySet()) {
          String type = col.getValue().replace("!", "").replace("timestamptz", "timestamp with time zone")
              .replace("float8", "double precision");
          cols.add("\"" + col.getKey() + "\" " + type + (col.getValue().endsWith("!") ? " NOT NULL" : ""));
        }
        st.execute("CREATE TABLE " + t.getKey() + " (" + String.join(", ", cols) + ")");
      }
      for (String f : KodiaiAdoption.kodiaiFileNames()) {
        st.execute("INSERT INTO _migrations (name) VALUES ('" + f + "')");
      }
    }
  }

  static final long BIG = 4_153_840_487L; // a GitHub id above 2^31-1

  /**
   * Rows as the bot writes them, with edge values: a GitHub comment id above 2^31 (kodiai's bigint
   * columns), JSON text written double-encoded (a JSON string holding the object), a title of 40 kB,
   * NULL in every nullable column converted, kodiai's largest int4 key, a REAL money value.
   */
  static void fill(Connection c, int memories) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("""
          INSERT INTO reviews (repo, pr_number, config_snapshot, duration_ms) SELECT 'o/r' || (g %% 3), g,
            CASE g %% 4 WHEN 0 THEN NULL WHEN 1 THEN '{"a": ' || g || '}'
              WHEN 2 THEN to_json('{"b": [1, 2], "c": "x"}'::text)::text ELSE '{"x": "y"}' END,
            CASE WHEN g %% 5 = 0 THEN NULL ELSE g END
          FROM generate_series(1, 60) g;
          INSERT INTO reviews (id, repo, pr_number) VALUES (2147483600, 'o/big', 1);
          INSERT INTO findings (review_id, file_path, severity, category, confidence, title, comment_id)
            SELECT 1 + g %% 60, 'src/f' || g || '.ts', 'major', 'style', 80,
              CASE WHEN g = 7 THEN repeat('a long title ', 3000) ELSE 'title ' || g END,
              CASE WHEN g %% 2 = 0 THEN %d + g END
            FROM generate_series(1, 120) g;
          INSERT INTO suppression_log (review_id, pattern, finding_ids) SELECT 1 + g %% 60, 'p' || g,
            CASE g %% 3 WHEN 0 THEN NULL WHEN 1 THEN '[1, 2, ' || g || ']' ELSE to_json('[3]'::text)::text END
            FROM generate_series(1, 20) g;
          INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count)
            SELECT 'minor', 'style', 'high', 'fp' || g, g FROM generate_series(1, 10) g;
          INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id,
              reaction_content, reactor_login, severity, category, file_path, title, reacted_at)
            SELECT 'o/r', 1 + g %% 60, 1 + g %% 120, %d + g, 'inline', 2147483000 + g, '+1', 'u', 'major', 'style',
              'f.ts', 't' || g, CASE WHEN g %% 2 = 0 THEN now() END FROM generate_series(1, 30) g;
          INSERT INTO run_state (run_key, repo, pr_number, base_sha, head_sha, delivery_id, action)
            SELECT 'k' || g, 'o/r', g, 'a', 'b', 'd' || g, 'opened' FROM generate_series(1, 5) g;
          INSERT INTO author_cache (repo, author_login, tier, author_association, pr_count)
            SELECT 'o/r', 'a' || g, 't', 'MEMBER', NULLIF(g, 3) FROM generate_series(1, 5) g;
          INSERT INTO dep_bump_merge_history (repo, pr_number, signals_json, merge_confidence_rationale_json)
            SELECT 'o/r', g, '["s' || g || '"]', CASE WHEN g %% 2 = 0 THEN NULL ELSE to_json('["r"]'::text)::text END
            FROM generate_series(1, 6) g;
          INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data, partial_comment_id)
            SELECT 'rk' || g, 'o/r', g, CASE WHEN g = 2 THEN to_json('{"files": []}'::text)::text
              ELSE '{"files": [' || g || ']}' END, CASE WHEN g %% 2 = 0 THEN %d + g END FROM generate_series(1, 4) g;
          INSERT INTO telemetry_events (repo, event_type, model, cost_usd, conclusion)
            SELECT 'o/r', 'e', 'm', g * 0.0001234, 'ok' FROM generate_series(1, 20) g;
          INSERT INTO telemetry_events (repo, event_type, model, conclusion) VALUES ('o/r', 'e', 'm', 'ok');
          INSERT INTO rate_limit_events (repo, event_type, cache_hit_rate, skipped_queries, retry_attempts,
              degradation_path) SELECT 'o/r', 'e', g / 7.0, 0, 0, 'none' FROM generate_series(1, 5) g;
          INSERT INTO retrieval_quality_events (repo, event_type, result_count, avg_distance, distance_threshold,
              language_match_ratio) SELECT 'o/r', 'e', g, CASE WHEN g %% 2 = 0 THEN g / 3.0 END, 0.3, NULL
            FROM generate_series(1, 5) g;
          INSERT INTO resilience_events (delivery_id, repo, event_type, kind, retry_scope_ratio, partial_comment_id,
              timeout_classification_reasons) SELECT 'd' || g, 'o/r', 'e', 'k', CASE WHEN g > 1 THEN g / 9.0 END,
              %d, ARRAY['slow', 'x' || g] FROM generate_series(1, 5) g;
          """.formatted(BIG, BIG, BIG, BIG));
      st.execute("""
          INSERT INTO learning_memories (repo, owner, finding_id, review_id, source_repo, finding_text, severity,
              category, file_path, outcome, embedding_model, embedding_dim, embedding, language)
            SELECT 'o/r' || (g %% 3), 'o', %d + g, CASE WHEN g %% 5 = 0 THEN NULL ELSE g END, 'o/r', 'text ' || g,
              'major', 'style', 'a.ts', 'accepted', 'voyage-4', 1024,
              CASE WHEN g %% 7 = 0 THEN NULL
                ELSE (SELECT array_agg(random()::real) FROM generate_series(1, 1024) WHERE g > 0)::vector END,
              CASE WHEN g %% 2 = 0 THEN 'typescript' END
            FROM generate_series(1, %d) g;
          """.formatted(BIG, memories));
    }
  }
}
