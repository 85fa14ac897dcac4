-- Inverse of 010: learning_memories_text_top as 009 created it, then the triggers, their
-- function and the table. One short transaction (catalog changes; DROP TRIGGER locks
-- learning_memories briefly); each lock is waited for at most 1 s (then it fails, changing
-- nothing: run it again).
SET LOCAL lock_timeout = '1s';
CREATE OR REPLACE FUNCTION learning_memories_text_top(config regconfig, words text, repos text[], n integer)
RETURNS TABLE (id bigint, rnk bigint)
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
DECLARE
  singles tsquery[];   -- one tsquery per distinct word
  occurrences text;    -- SQL: how often the words occur in m.search_tsv
  small boolean;
  k integer;
  tier tsquery;
  ids bigint[];
  total bigint;
BEGIN
  SELECT pg_catalog.array_agg(('''' || pg_catalog.replace(pg_catalog.replace(t.lexeme, '\', '\\'), '''', '''''') || '''')::pg_catalog.tsquery)
    INTO singles FROM pg_catalog.unnest(pg_catalog.to_tsvector(config, words)) AS t;
  IF singles IS NULL THEN RETURN; END IF;  -- no word (only stop words): no row matches
  SELECT pg_catalog.string_agg(pg_catalog.format('pg_catalog.round(10 * pg_catalog.ts_rank_cd(m.search_tsv, $4[%s]))', i), ' + ')
    INTO occurrences FROM pg_catalog.generate_series(1, pg_catalog.cardinality(singles)) AS i;
  SELECT pg_catalog.count(*) <= 3000 INTO small FROM (SELECT FROM learning_memories m WHERE m.repo = ANY (repos) LIMIT 3001) AS x;
  k := CASE WHEN small THEN 1 ELSE LEAST(8, pg_catalog.cardinality(singles)) END;
  LOOP
    tier := tsquery_at_least(config, words, k);  -- a value: the bitmap heap scan never re-runs the function
    -- OFFSET 0 keeps the other conditions out of the subquery, so it is scanned by that one index
    EXECUTE pg_catalog.format(
      'SELECT pg_catalog.array_agg(x.id ORDER BY x.occ DESC, x.id), pg_catalog.max(x.total) FROM ('
      || 'SELECT m.id, %s AS occ, pg_catalog.count(*) OVER () AS total FROM ('
      || 'SELECT l.id, l.repo, l.stale, l.search_tsv FROM learning_memories l WHERE %s OFFSET 0) AS m'
      || ' WHERE %s AND NOT m.stale ORDER BY occ DESC, m.id LIMIT $3) AS x', occurrences,
      CASE WHEN small THEN 'l.repo = ANY ($1)' ELSE 'l.search_tsv @@ $2' END,
      CASE WHEN small THEN 'm.search_tsv @@ $2' ELSE 'm.repo = ANY ($1)' END)
      INTO ids, total USING repos, tier, n, singles;
    EXIT WHEN k <= 1 OR total >= 4 * n;
    -- a set far smaller than needed: the next one is too (sizes grow ~10x a step); skip it, unless that
    -- would reach any-word (k = 1), the largest
    k := CASE WHEN coalesce(total, 0) * 10 < 4 * n AND k > 3 THEN k - 2 ELSE k - 1 END;
  END LOOP;
  RETURN QUERY SELECT u.id, u.rnk FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u (id, rnk);
END
$$;

DROP TRIGGER IF EXISTS learning_memories_search_truncate ON learning_memories;
DROP TRIGGER IF EXISTS learning_memories_search_delete ON learning_memories;
DROP TRIGGER IF EXISTS learning_memories_search_update ON learning_memories;
DROP TRIGGER IF EXISTS learning_memories_search_insert ON learning_memories;
DROP FUNCTION IF EXISTS learning_memories_search_sync();
-- The copy 010 created; the bot reads it only through learning_memories_text_top:
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS learning_memories_search;
