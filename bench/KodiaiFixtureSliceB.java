// Slice B's tables with a conversion of their own (migrations/from-kodiai/), as kodiai's runner leaves them at
// 24fba64a: kodiai's keys (bigserial: a default from a sequence it owns), defaults, constraint and index
// names, and the indexes its later files add (049: review_cache_events (repo, created_at DESC)). Written by
// hand from what kodiai's files make of them; KodiaiFixture.build creates these instead of its column-only
// tables.

import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

final class KodiaiFixtureSliceB {
  private KodiaiFixtureSliceB() {}

  /**
   * continuation_family_state (kodiai 039), review_cache_events (043, plus 049's index), generated_rules (035),
   * issue_sync_state (015, plus 038's column), embedding_repair_state (029), prompt_section_events (038, with
   * 042's columns and 049's and 050's indexes), contributor_profiles and contributor_expertise (011, with
   * 037's column and index).
   */
  static final Map<String, String> AS_KODIAI = Map.of("continuation_family_state", """
      CREATE TABLE continuation_family_state (id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
        family_key text NOT NULL, base_review_output_key text NOT NULL, authoritative_attempt_id text NOT NULL,
        authoritative_attempt_ordinal integer NOT NULL, authoritative_outcome text NOT NULL,
        final_stop_reason text NOT NULL, projection_status text NOT NULL, superseded_by_attempt_id text,
        UNIQUE (family_key, base_review_output_key),
        CONSTRAINT continuation_family_authoritative_outcome_check CHECK (authoritative_outcome IN
          ('blocked', 'continuation-pending', 'merged', 'quiet-settled', 'superseded')),
        CONSTRAINT continuation_family_final_stop_reason_check CHECK (final_stop_reason IN
          ('awaiting-continuation', 'merged-continuation-results', 'no-follow-up', 'settled-without-update',
           'superseded-by-newer-attempt')),
        CONSTRAINT continuation_family_projection_status_check CHECK (projection_status IN
          ('canonical', 'degraded', 'pending')),
        CONSTRAINT continuation_family_attempt_ordinal_check CHECK (authoritative_attempt_ordinal >= 1));
      CREATE INDEX idx_continuation_family_state_family_key ON continuation_family_state (family_key);
      CREATE INDEX idx_continuation_family_state_base_review_output_key
        ON continuation_family_state (base_review_output_key);
      CREATE INDEX idx_continuation_family_state_authoritative_attempt
        ON continuation_family_state (authoritative_attempt_id)
      """, "review_cache_events", """
      CREATE TABLE review_cache_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        delivery_id text NOT NULL, repo text NOT NULL, pr_number integer, cache_surface text NOT NULL,
        status text NOT NULL, reason text, fingerprint_version text,
        safety_signal_names text[] NOT NULL DEFAULT '{}', missing_signal_names text[] NOT NULL DEFAULT '{}',
        invalidation_signal_names text[] NOT NULL DEFAULT '{}', bookkeeping_error_count integer NOT NULL DEFAULT 0,
        CONSTRAINT review_cache_events_surface_check CHECK (cache_surface IN
          ('review-derived-prompt', 'retrieval-query-embedding')),
        CONSTRAINT review_cache_events_status_check CHECK (status IN ('hit', 'miss', 'degraded', 'bypass')),
        CONSTRAINT review_cache_events_reason_check CHECK (reason IS NULL OR reason IN ('safe-reuse',
          'cache-miss', 'bookkeeping-failure', 'incomplete-fingerprint', 'expired-stale-entry', 'disabled-cache',
          'unavailable-retrieval')),
        CONSTRAINT review_cache_events_bookkeeping_count_check CHECK (bookkeeping_error_count >= 0));
      CREATE INDEX idx_review_cache_events_delivery ON review_cache_events (delivery_id);
      CREATE INDEX idx_review_cache_events_repo_pr_created ON review_cache_events (repo, pr_number, created_at);
      CREATE INDEX idx_review_cache_events_surface_status_created
        ON review_cache_events (cache_surface, status, created_at);
      CREATE INDEX idx_review_cache_events_created_at ON review_cache_events (created_at);
      CREATE INDEX idx_review_cache_events_repo_created ON review_cache_events (repo, created_at DESC)
      """, "generated_rules", """
      CREATE TABLE generated_rules (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(), repo text NOT NULL, title text NOT NULL,
        rule_text text NOT NULL, status text NOT NULL DEFAULT 'pending', origin text NOT NULL DEFAULT 'generated',
        signal_score real NOT NULL DEFAULT 0, member_count integer NOT NULL DEFAULT 0,
        cluster_centroid vector(1024), activated_at timestamptz, retired_at timestamptz,
        CONSTRAINT generated_rules_status_check CHECK (status IN ('pending', 'active', 'retired')),
        CONSTRAINT generated_rules_origin_check CHECK (origin = 'generated'),
        CONSTRAINT generated_rules_signal_score_check CHECK (signal_score >= 0 AND signal_score <= 1),
        CONSTRAINT generated_rules_member_count_check CHECK (member_count >= 0), UNIQUE (repo, title));
      CREATE INDEX idx_generated_rules_repo ON generated_rules (repo);
      CREATE INDEX idx_generated_rules_status ON generated_rules (status);
      CREATE INDEX idx_generated_rules_pending
        ON generated_rules (repo, signal_score DESC, member_count DESC, created_at DESC) WHERE status = 'pending';
      CREATE INDEX idx_generated_rules_active
        ON generated_rules (repo, signal_score DESC, member_count DESC, activated_at DESC) WHERE status = 'active';
      CREATE INDEX idx_generated_rules_retired
        ON generated_rules (repo, retired_at DESC, updated_at DESC) WHERE status = 'retired'
      """, "issue_sync_state", """
      CREATE TABLE issue_sync_state (id serial PRIMARY KEY, repo text NOT NULL UNIQUE, last_synced_at timestamptz,
        last_page_cursor text, total_issues_synced integer NOT NULL DEFAULT 0,
        total_comments_synced integer NOT NULL DEFAULT 0, backfill_complete boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(), comment_last_synced_at timestamptz)
      """, "embedding_repair_state", """
      CREATE TABLE embedding_repair_state (id serial PRIMARY KEY, corpus text NOT NULL,
        repair_key text NOT NULL DEFAULT 'default', run_id text NOT NULL, target_model text,
        dry_run boolean NOT NULL DEFAULT false, resumed boolean NOT NULL DEFAULT false,
        status text NOT NULL DEFAULT 'running', resume_ready boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
        batch_index integer, batches_total integer, last_row_id bigint, processed integer NOT NULL DEFAULT 0,
        repaired integer NOT NULL DEFAULT 0, skipped integer NOT NULL DEFAULT 0, failed integer NOT NULL DEFAULT 0,
        failure_counts jsonb NOT NULL DEFAULT '{}'::jsonb, last_failure_class text, last_failure_message text,
        UNIQUE (corpus, repair_key));
      CREATE INDEX idx_embedding_repair_state_updated_at ON embedding_repair_state (updated_at DESC);
      CREATE INDEX idx_embedding_repair_state_corpus_status
        ON embedding_repair_state (corpus, status, updated_at DESC)
      """, "prompt_section_events", """
      CREATE TABLE prompt_section_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        delivery_id text, repo text NOT NULL, task_type text NOT NULL, prompt_kind text NOT NULL,
        section_name text NOT NULL, section_position integer NOT NULL, char_count integer NOT NULL DEFAULT 0,
        estimated_tokens integer NOT NULL DEFAULT 0, truncated boolean NOT NULL DEFAULT false,
        budget_chars integer, budget_tokens integer, included_chars integer, included_tokens integer,
        trimmed_chars integer, trimmed_tokens integer, budget_status text, budget_reason text);
      CREATE UNIQUE INDEX idx_prompt_section_events_delivery_path_position ON prompt_section_events
        (delivery_id, task_type, prompt_kind, section_position) WHERE delivery_id IS NOT NULL;
      CREATE INDEX idx_prompt_section_events_repo_task_created ON prompt_section_events (repo, task_type, created_at);
      CREATE INDEX idx_prompt_section_events_section_name ON prompt_section_events (section_name);
      CREATE INDEX idx_prompt_section_events_repo_created ON prompt_section_events (repo, created_at DESC);
      CREATE INDEX idx_prompt_section_events_created_at ON prompt_section_events (created_at)
      """, "contributor_profiles", """
      CREATE TABLE contributor_profiles (id bigserial PRIMARY KEY, github_username text NOT NULL UNIQUE,
        slack_user_id text UNIQUE, display_name text, overall_tier text NOT NULL DEFAULT 'newcomer',
        overall_score real NOT NULL DEFAULT 0, opted_out boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
        last_scored_at timestamptz, trust_marker text);
      CREATE INDEX idx_contributor_profiles_github ON contributor_profiles (github_username);
      CREATE INDEX idx_contributor_profiles_slack ON contributor_profiles (slack_user_id)
        WHERE slack_user_id IS NOT NULL;
      CREATE INDEX idx_contributor_profiles_tier ON contributor_profiles (overall_tier);
      CREATE INDEX idx_contributor_profiles_trust_marker ON contributor_profiles (trust_marker)
        WHERE trust_marker IS NOT NULL;
      CREATE TABLE contributor_expertise (id bigserial PRIMARY KEY,
        profile_id bigint NOT NULL REFERENCES contributor_profiles (id) ON DELETE CASCADE, dimension text NOT NULL,
        topic text NOT NULL, score real NOT NULL DEFAULT 0, raw_signals integer NOT NULL DEFAULT 0,
        last_active timestamptz, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(), UNIQUE (profile_id, dimension, topic));
      CREATE INDEX idx_contributor_expertise_profile ON contributor_expertise (profile_id);
      CREATE INDEX idx_contributor_expertise_dimension ON contributor_expertise (dimension, topic)
      """, "contributor_expertise", "");

  /**
   * Creates `table` as kodiai leaves it if it is one of these; false otherwise (KodiaiFixture makes it).
   * An empty entry is made with another's (contributor_expertise with contributor_profiles, its key's table).
   */
  static boolean create(Statement st, String table) throws SQLException {
    String ddl = AS_KODIAI.get(table);
    if (ddl != null && !ddl.isEmpty()) st.execute(ddl);
    return ddl != null;
  }
}
