-- 005: every row a real SQLite file can hold must fit the schema (issue 10).
-- migrate:no-transaction
-- migrate:replaces b6760cb0711c50e328e9d4881d2e70640129be0e4b081f85910a1c1e65b165fc
--
-- A btree index entry holds at most 2704 bytes (a third of a page, after
-- compression). SQLite has no such limit, so a finding title or a file path of
-- ~2.7 kB of incompressible text (a pasted stack trace, a minified line, a
-- deep generated path) is refused by PostgreSQL on insert: by the import and,
-- later, by the bot itself. Two btree indexes of 001 index such free text:
--   idx_feedback_reactions_repo_title  (repo, title)   "reactions per finding title"
--   idx_findings_file_path             (file_path)     "findings of a file"
-- Both serve equality lookups only (WHERE repo = $1 AND title = $2, WHERE
-- file_path = $1): no range, no ORDER BY, no prefix search. A hash index
-- serves exactly that, stores a 4-byte hash per row whatever the length of the
-- text, and needs no change in the bot's queries (an index on md5(title) would
-- need every query rewritten to md5(title) = md5($2)). The repo condition of the
-- first query is served alongside by idx_feedback_reactions_repo_created_at
-- (a BitmapAnd) or checked on the few rows with that title.
-- Hash indexes are WAL-logged and crash-safe since PostgreSQL 10.
--
-- Other limits checked (docs/import.md): every other btree-indexed text column
-- holds short machine-made values (repo names, logins, keys, delivery ids,
-- package names); NOT NULLs are the source's; CHECKs, integer ranges and
-- text PostgreSQL cannot store (U+0000, invalid UTF-8) are reported per row
-- by the importer before anything is written.

-- Online (issue 22; this file replaces one that dropped and built the indexes in one
-- transaction: ACCESS EXCLUSIVE on findings for the whole build, 0.5 s at 100,000 memories).
-- The hash index is built CONCURRENTLY first, then the btree is dropped CONCURRENTLY: no step
-- blocks the bot's reads or writes; lookups by title or path are served throughout.
-- Index builds wait for older transactions (the bot's are short): no lock timeout for them.
SET lock_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_feedback_reactions_title_hash ON feedback_reactions USING hash (title);
DROP INDEX CONCURRENTLY IF EXISTS idx_feedback_reactions_repo_title;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_findings_file_path_hash ON findings USING hash (file_path);
DROP INDEX CONCURRENTLY IF EXISTS idx_findings_file_path;

COMMENT ON INDEX idx_feedback_reactions_title_hash IS
  'Hash: WHERE repo = $1 AND title = $2 for titles of any length (a btree entry holds at most 2704 bytes).';
COMMENT ON INDEX idx_findings_file_path_hash IS
  'Hash: WHERE file_path = $1 for paths of any length (a btree entry holds at most 2704 bytes).';
