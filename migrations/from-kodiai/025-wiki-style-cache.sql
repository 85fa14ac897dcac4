-- from-kodiai 025 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's
-- wiki_style_cache as its 025 made it (24fba64a) becomes what our 030 creates, every row kept unchanged.
--
-- What differs: only our CHECK that style_description is a JSON object (the bot writes it with
-- sql.json(style), an object; it reads it back as one). Columns, types, NOT NULLs, defaults, the primary
-- key (wiki_style_cache_pkey) and idx_wiki_style_cache_expires are the same.
--
-- Online: a cache of one row per wiki page the bot analysed (bound assumed: some thousands of rows, a
-- few MB); the check scans them once under the table's lock, in one transaction that waits at most 1 s
-- for it: milliseconds. A row that is not an object fails the ADD CONSTRAINT: the transaction rolls back,
-- nothing changed, and `up` names the constraint (delete the row: it is a cache).
-- (NOT VALID then VALIDATE would only split that scan off, in the same transaction):
-- squawk-ignore-file constraint-missing-not-valid
SET LOCAL lock_timeout = '1s';

ALTER TABLE wiki_style_cache
  ADD CONSTRAINT wiki_style_cache_style_description_check CHECK (jsonb_typeof(style_description) = 'object');
