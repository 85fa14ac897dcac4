-- 030: wiki_style_cache, LLM-extracted style descriptions of wiki pages with an expiry, as
-- kodiai's 025 creates it; issue 21.
-- kodiai: 025-wiki-style-cache.sql d6bdce4b3f6e
--
-- A new table, created in this migration's transaction: nobody waits for it.
-- Where this differs from kodiai's file, and why (docs/schema.md, "JSON and money"):
--   * style_description: the bot sends it with sql.json (a JSON object, encoded once) and reads it
--     back as an object: a CHECK refuses anything but an object (a double-encoded string included).
-- page_id stays integer (MediaWiki's ids, read as numbers):
-- squawk-ignore-file prefer-bigint-over-int
SET LOCAL lock_timeout = '1s';

CREATE TABLE wiki_style_cache (
  page_id           integer NOT NULL,
  page_title        text NOT NULL,
  content_hash      text NOT NULL,
  style_description jsonb NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  CONSTRAINT wiki_style_cache_pkey PRIMARY KEY (page_id),
  CONSTRAINT wiki_style_cache_style_description_check CHECK (jsonb_typeof(style_description) = 'object')
);

CREATE INDEX idx_wiki_style_cache_expires ON wiki_style_cache (expires_at);
