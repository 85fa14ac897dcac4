// kodiai's review comment and wiki tables (its 005 and 006, our 021 and 022) as kodiai's runner leaves them at
// 24fba64a: bigserial keys of the two chunk tables, serial keys of their sync states, kodiai's unique key and
// index names, its float32 HNSW indexes, its 005/006 full-text triggers, and what later files add to them (007:
// wiki_pages.language_tags, nullable with a default, and its GIN index; 049, 050, 051, 053: partial indexes).
// Written by hand from kodiai's files; KodiaiFixture.build creates these instead of its column-only tables.

import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

final class KodiaiFixtureReviewWiki {
  private KodiaiFixtureReviewWiki() {}

  /** review_comments with review_comment_sync_state (kodiai 005), wiki_pages with wiki_sync_state (006). */
  static final Map<String, String> AS_KODIAI = Map.of("review_comments", """
      CREATE TABLE review_comments (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, owner text NOT NULL, pr_number integer NOT NULL, pr_title text,
        comment_github_id bigint NOT NULL, thread_id text NOT NULL, in_reply_to_id bigint, file_path text,
        start_line integer, end_line integer, diff_hunk text, author_login text NOT NULL, author_association text,
        body text NOT NULL, chunk_index integer NOT NULL DEFAULT 0, chunk_text text NOT NULL,
        token_count integer NOT NULL, embedding vector(1024), embedding_model text,
        stale boolean NOT NULL DEFAULT false, github_created_at timestamptz NOT NULL, github_updated_at timestamptz,
        deleted boolean NOT NULL DEFAULT false, backfill_batch text, UNIQUE (repo, comment_github_id, chunk_index));
      CREATE INDEX idx_review_comments_repo ON review_comments (repo);
      CREATE INDEX idx_review_comments_thread ON review_comments (thread_id);
      CREATE INDEX idx_review_comments_pr ON review_comments (repo, pr_number);
      CREATE INDEX idx_review_comments_author ON review_comments (author_login);
      CREATE INDEX idx_review_comments_github_id ON review_comments (repo, comment_github_id);
      CREATE INDEX idx_review_comments_embedding_hnsw ON review_comments USING hnsw (embedding vector_cosine_ops)
        WITH (m = 16, ef_construction = 64);
      CREATE INDEX idx_review_comments_stale ON review_comments (stale) WHERE stale = false;
      ALTER TABLE review_comments ADD COLUMN search_tsv tsvector;
      CREATE INDEX idx_review_comments_search_tsv ON review_comments USING gin (search_tsv);
      CREATE FUNCTION review_comments_search_tsv_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.search_tsv := to_tsvector('english', COALESCE(NEW.chunk_text, '')); RETURN NEW; END $$;
      CREATE TRIGGER trg_review_comments_search_tsv BEFORE INSERT OR UPDATE OF chunk_text ON review_comments
        FOR EACH ROW EXECUTE FUNCTION review_comments_search_tsv_update();
      CREATE INDEX idx_review_comments_null_embedding_repair ON review_comments (repo, github_created_at, id)
        WHERE deleted = false AND embedding IS NULL;
      CREATE INDEX idx_review_comments_embedding_repair_voyage4 ON review_comments (id)
        WHERE deleted = false AND (embedding IS NULL OR stale = true OR embedding_model IS DISTINCT FROM 'voyage-4')
      """, "review_comment_sync_state", """
      CREATE TABLE review_comment_sync_state (id serial PRIMARY KEY, repo text NOT NULL UNIQUE,
        last_synced_at timestamptz, last_page_cursor text, total_comments_synced integer NOT NULL DEFAULT 0,
        backfill_complete boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now())
      """, "wiki_pages", """
      CREATE TABLE wiki_pages (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        page_id integer NOT NULL, page_title text NOT NULL, namespace text NOT NULL DEFAULT '',
        page_url text NOT NULL, section_heading text, section_anchor text, section_level integer,
        chunk_index integer NOT NULL DEFAULT 0, chunk_text text NOT NULL, raw_text text NOT NULL,
        token_count integer NOT NULL, embedding vector(1024), embedding_model text,
        stale boolean NOT NULL DEFAULT false, last_modified timestamptz, revision_id integer,
        deleted boolean NOT NULL DEFAULT false);
      CREATE UNIQUE INDEX idx_wiki_pages_unique_chunk ON wiki_pages (page_id, COALESCE(section_anchor, ''),
        chunk_index);
      CREATE INDEX idx_wiki_pages_page_id ON wiki_pages (page_id);
      CREATE INDEX idx_wiki_pages_namespace ON wiki_pages (namespace);
      CREATE INDEX idx_wiki_pages_title ON wiki_pages (page_title);
      CREATE INDEX idx_wiki_pages_embedding_hnsw ON wiki_pages USING hnsw (embedding vector_cosine_ops)
        WITH (m = 16, ef_construction = 64);
      CREATE INDEX idx_wiki_pages_stale ON wiki_pages (stale) WHERE stale = false;
      ALTER TABLE wiki_pages ADD COLUMN search_tsv tsvector;
      CREATE INDEX idx_wiki_pages_search_tsv ON wiki_pages USING gin (search_tsv);
      CREATE FUNCTION wiki_pages_search_tsv_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.search_tsv := to_tsvector('english', COALESCE(NEW.chunk_text, '')); RETURN NEW; END $$;
      CREATE TRIGGER trg_wiki_pages_search_tsv BEFORE INSERT OR UPDATE OF chunk_text ON wiki_pages
        FOR EACH ROW EXECUTE FUNCTION wiki_pages_search_tsv_update();
      ALTER TABLE wiki_pages ADD COLUMN language_tags text[] DEFAULT '{}';
      CREATE INDEX idx_wiki_pages_language_tags ON wiki_pages USING gin (language_tags);
      CREATE INDEX idx_wiki_pages_active_page_chunk ON wiki_pages (page_id, chunk_index) WHERE deleted = false;
      CREATE INDEX idx_wiki_pages_repair_candidates_page_chunk ON wiki_pages (page_id, chunk_index, id)
        WHERE deleted = false AND (embedding IS NULL OR stale = true OR embedding_model IS DISTINCT FROM 'voyage-4')
      """, "wiki_sync_state", """
      CREATE TABLE wiki_sync_state (id serial PRIMARY KEY, source text NOT NULL UNIQUE, last_synced_at timestamptz,
        last_continue_token text, total_pages_synced integer NOT NULL DEFAULT 0,
        backfill_complete boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now())
      """);

  /** Creates `table` as kodiai leaves it if it is one of these; false otherwise (KodiaiFixture makes it). */
  static boolean create(Statement st, String table) throws SQLException {
    String ddl = AS_KODIAI.get(table);
    if (ddl != null) st.execute(ddl);
    return ddl != null;
  }
}
