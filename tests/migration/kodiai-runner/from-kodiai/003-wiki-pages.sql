-- kodiai's wiki_pages to ours: a bigint key and the title's hash index.
ALTER TABLE wiki_pages ALTER COLUMN id TYPE bigint;
CREATE INDEX IF NOT EXISTS wiki_pages_title_hash ON wiki_pages USING hash (title);
