// More of parity slice A's tables with a conversion of their own (migrations/from-kodiai/), as kodiai's runner
// leaves them at 24fba64a: kodiai's keys (serial int4, bigserial, an ALWAYS identity), defaults, constraint and
// index names, its float32 HNSW index, its generated tsv column, and the indexes its later files add (045, 046,
// 049, 050). Written by hand from what kodiai's files make of them; KodiaiFixture.build creates these instead of
// its column-only tables.

import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

final class KodiaiFixtureSliceAMore {
  private KodiaiFixtureSliceAMore() {}

  /**
   * wiki_page_popularity (kodiai 020), wiki_citation_events (021), wiki_pr_evidence (022, plus 046's index),
   * wiki_update_suggestions (023, with 024's columns and index, 027's CHECK, 031's column), guardrail_audit (026),
   * llm_cost_events (010, plus 049's index), code_snippets and code_snippet_occurrences (009, plus 045's and 050's
   * indexes).
   */
  static final Map<String, String> AS_KODIAI = Map.of("wiki_page_popularity", """
      CREATE TABLE wiki_page_popularity (id serial PRIMARY KEY, page_id integer NOT NULL UNIQUE,
        page_title text NOT NULL, inbound_links integer NOT NULL DEFAULT 0,
        citation_count integer NOT NULL DEFAULT 0, edit_recency_score double precision NOT NULL DEFAULT 0.0,
        composite_score double precision NOT NULL DEFAULT 0.0, last_scored_at timestamptz,
        last_linkshere_fetch timestamptz, last_citation_reset timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX idx_wiki_page_popularity_score ON wiki_page_popularity (composite_score DESC);
      CREATE INDEX idx_wiki_page_popularity_page_id ON wiki_page_popularity (page_id)
      """, "wiki_citation_events", """
      CREATE TABLE wiki_citation_events (id bigserial PRIMARY KEY, page_id integer NOT NULL,
        cited_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX idx_wiki_citation_events_page_cited ON wiki_citation_events (page_id, cited_at);
      CREATE INDEX idx_wiki_citation_events_cited_at ON wiki_citation_events (cited_at)
      """, "wiki_pr_evidence", """
      CREATE TABLE wiki_pr_evidence (id serial PRIMARY KEY, pr_number integer NOT NULL, pr_title text NOT NULL,
        pr_description text, pr_author text NOT NULL, merged_at timestamptz NOT NULL, file_path text NOT NULL,
        patch text NOT NULL, issue_references jsonb DEFAULT '[]'::jsonb, matched_page_id integer,
        matched_page_title text, heuristic_score integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (pr_number, file_path, matched_page_id));
      CREATE INDEX idx_wiki_pr_evidence_page_id ON wiki_pr_evidence (matched_page_id);
      CREATE INDEX idx_wiki_pr_evidence_merged_at ON wiki_pr_evidence (merged_at DESC);
      CREATE INDEX idx_wiki_pr_evidence_pr_number ON wiki_pr_evidence (pr_number);
      CREATE INDEX idx_wiki_pr_evidence_page_merged ON wiki_pr_evidence (matched_page_id, merged_at DESC)
      """, "wiki_update_suggestions", """
      CREATE TABLE wiki_update_suggestions (id serial PRIMARY KEY, page_id integer NOT NULL,
        page_title text NOT NULL, section_heading text, original_content text NOT NULL, suggestion text NOT NULL,
        why_summary text NOT NULL, grounding_status text NOT NULL DEFAULT 'grounded'
          CHECK (grounding_status IN ('grounded', 'ungrounded', 'no_update')),
        citing_prs jsonb NOT NULL DEFAULT '[]'::jsonb, voice_mismatch_warning boolean NOT NULL DEFAULT false,
        voice_scores jsonb, generated_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now());
      CREATE UNIQUE INDEX idx_wiki_update_suggestions_page_section
        ON wiki_update_suggestions (page_id, COALESCE(section_heading, ''));
      CREATE INDEX idx_wiki_update_suggestions_page_id ON wiki_update_suggestions (page_id);
      CREATE INDEX idx_wiki_update_suggestions_grounding ON wiki_update_suggestions (grounding_status);
      CREATE INDEX idx_wiki_update_suggestions_generated ON wiki_update_suggestions (generated_at DESC);
      ALTER TABLE wiki_update_suggestions ADD COLUMN published_at timestamptz,
        ADD COLUMN published_issue_number integer;
      CREATE INDEX idx_wiki_update_suggestions_unpublished ON wiki_update_suggestions (page_id)
        WHERE published_at IS NULL;
      ALTER TABLE wiki_update_suggestions DROP CONSTRAINT wiki_update_suggestions_grounding_status_check,
        ADD CONSTRAINT wiki_update_suggestions_grounding_status_check
          CHECK (grounding_status IN ('grounded', 'partially-grounded', 'ungrounded', 'no_update'));
      ALTER TABLE wiki_update_suggestions ADD COLUMN published_comment_id bigint
      """, "guardrail_audit", """
      CREATE TABLE guardrail_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(), surface text NOT NULL, repo text NOT NULL,
        strictness text NOT NULL DEFAULT 'standard', claims_total integer NOT NULL DEFAULT 0,
        claims_grounded integer NOT NULL DEFAULT 0, claims_removed integer NOT NULL DEFAULT 0,
        claims_ambiguous integer NOT NULL DEFAULT 0, llm_fallback_used boolean NOT NULL DEFAULT false,
        response_suppressed boolean NOT NULL DEFAULT false, classifier_error boolean NOT NULL DEFAULT false,
        removed_claims jsonb, duration_ms integer);
      CREATE INDEX idx_guardrail_audit_surface ON guardrail_audit (surface);
      CREATE INDEX idx_guardrail_audit_repo ON guardrail_audit (repo);
      CREATE INDEX idx_guardrail_audit_created ON guardrail_audit (created_at)
      """, "llm_cost_events", """
      CREATE TABLE llm_cost_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        delivery_id text, repo text NOT NULL, task_type text NOT NULL, model text NOT NULL, provider text NOT NULL,
        sdk text NOT NULL, input_tokens integer NOT NULL DEFAULT 0, output_tokens integer NOT NULL DEFAULT 0,
        cache_read_tokens integer NOT NULL DEFAULT 0, cache_write_tokens integer NOT NULL DEFAULT 0,
        estimated_cost_usd numeric(12,8) NOT NULL DEFAULT 0, duration_ms integer,
        used_fallback boolean NOT NULL DEFAULT false, fallback_reason text, error text);
      CREATE INDEX idx_llm_cost_events_repo ON llm_cost_events (repo);
      CREATE INDEX idx_llm_cost_events_task_type ON llm_cost_events (task_type);
      CREATE INDEX idx_llm_cost_events_model ON llm_cost_events (model);
      CREATE INDEX idx_llm_cost_events_created_at ON llm_cost_events (created_at);
      CREATE INDEX idx_llm_cost_events_delivery_id ON llm_cost_events (delivery_id);
      CREATE INDEX idx_llm_cost_events_repo_created ON llm_cost_events (repo, created_at DESC)
      """, "code_snippets", """
      CREATE TABLE code_snippets (id serial PRIMARY KEY, content_hash text NOT NULL UNIQUE,
        embedded_text text NOT NULL, language text NOT NULL DEFAULT 'unknown', embedding vector(1024),
        embedding_model text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', embedded_text)) STORED,
        stale boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX idx_code_snippets_hash ON code_snippets (content_hash);
      CREATE INDEX idx_code_snippets_language ON code_snippets (language);
      CREATE INDEX idx_code_snippets_tsv ON code_snippets USING gin (tsv);
      CREATE INDEX idx_code_snippets_embedding ON code_snippets USING hnsw (embedding vector_cosine_ops)
        WITH (m = 16, ef_construction = 64);
      CREATE TABLE code_snippet_occurrences (id serial PRIMARY KEY,
        content_hash text NOT NULL REFERENCES code_snippets (content_hash), repo text NOT NULL, owner text NOT NULL,
        pr_number integer NOT NULL, pr_title text, file_path text NOT NULL, start_line integer NOT NULL,
        end_line integer NOT NULL, function_context text, created_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX idx_snippet_occ_hash ON code_snippet_occurrences (content_hash);
      CREATE INDEX idx_snippet_occ_repo_pr ON code_snippet_occurrences (repo, pr_number);
      CREATE INDEX idx_snippet_occ_repo ON code_snippet_occurrences (repo);
      CREATE INDEX idx_snippet_occ_hash_repo_created
        ON code_snippet_occurrences (content_hash, repo, created_at DESC);
      CREATE INDEX idx_code_snippets_embedding_repair_voyage4 ON code_snippets (id) WHERE embedded_text IS NOT NULL
        AND (embedding IS NULL OR stale = true OR embedding_model IS DISTINCT FROM 'voyage-4')
      """, "code_snippet_occurrences", "");

  /**
   * Creates `table` as kodiai leaves it if it is one of these; false otherwise (KodiaiFixture makes it).
   * An empty entry is made with another's (code_snippet_occurrences with code_snippets, its key's table).
   */
  static boolean create(Statement st, String table) throws SQLException {
    String ddl = AS_KODIAI.get(table);
    if (ddl != null && !ddl.isEmpty()) st.execute(ddl);
    return ddl != null;
  }
}
