-- 009: hybrid retrieval with any-word matching that stays cheap in a large repo
-- (issue 11 item 4; measured in docs/retrieval.md, "Hybrid").
--
-- The text side of hybrid retrieval ranks a repo's memories by
-- ts_rank_cd(search_tsv, q), q = any of the caller's words. For such a query
-- ts_rank_cd has no IDF and no length normalization: a row's rank is 0.1 x the
-- number of occurrences of the query's words in it. Ranking every row that
-- holds any word costs a heap visit (a row is ~2.6 kB since 007) and a
-- ts_rank_cd call (3-13 us) per row: with common words most of a large repo.
-- The top ranks go to rows holding several of the words, so
-- learning_memories_text_top ranks only the rows that hold at least k of them,
-- for the largest k whose rows are plenty (2n), found through the GIN index:
--   k = number of distinct words (capped at 8), then one less, ... down to 1
--   (any word: the exact answer, also whenever the stricter sets are small).
-- A row with fewer distinct words but many repetitions can rank above the
-- chosen set's rows and is then missed: the recall of the fused list against
-- the exact fusion is measured by `bench hybrid`.

-- The words of `words` (parsed with `config`, as plainto_tsquery does) as a
-- tsquery matching rows that hold at least k distinct ones: the OR of every
-- AND of k of them. Only the first 8 distinct words (by position) take part
-- for k >= 2 (C(8,4) = 70 ANDs at most); k <= 1 is the OR of all the words.
-- NULL when the text holds no word (a NULL tsquery matches no row).
CREATE FUNCTION tsquery_at_least(config regconfig, words text, k integer) RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH RECURSIVE lexemes AS (
    -- a quoted tsquery operand: quotes and backslashes doubled/escaped as tsquery input wants
    SELECT '''' || pg_catalog.replace(pg_catalog.replace(lexeme, '\', '\\'), '''', '''''') || '''' AS term,
           pg_catalog.row_number() OVER (ORDER BY positions[1], lexeme) AS i
    FROM pg_catalog.unnest(pg_catalog.to_tsvector($1, $2))),
  picked AS (SELECT term, i FROM lexemes WHERE i <= 8),
  size AS (SELECT LEAST(GREATEST($3, 1), (SELECT pg_catalog.count(*) FROM picked)) AS n),
  combo(last, terms) AS (
    SELECT i, ARRAY[term] FROM picked
    UNION ALL
    SELECT p.i, c.terms || p.term FROM combo c JOIN picked p ON p.i > c.last
    WHERE pg_catalog.cardinality(c.terms) < (SELECT n FROM size))
  SELECT (CASE WHEN $3 <= 1 THEN (SELECT pg_catalog.string_agg(term, ' | ' ORDER BY i) FROM lexemes)
    ELSE (SELECT pg_catalog.string_agg(pg_catalog.array_to_string(terms, ' & '), ' | ') FROM combo
          WHERE pg_catalog.cardinality(terms) = (SELECT n FROM size)) END)::pg_catalog.tsquery
$$;

-- The n best non-stale memories of `repos` for any of `words`, in the order of the exact
-- query: ts_rank_cd(search_tsv, tsquery_at_least(config, words, 1)) DESC, then id;
-- rnk = 1..n. It ranks the rows holding at least k distinct words, for the largest k
-- (from min(8, words) down) with at least 4n such rows, else every row holding a word.
-- The rank itself is the exact query's, computed more cheaply: for an OR query
-- ts_rank_cd is 0.1 x the occurrences of the words (no normalization; every position
-- has weight D, as to_tsvector writes them), and one-word ts_rank_cd calls, summed,
-- cost ~1 us per word and row where the OR query's cover search costs 5-20 us per row.
-- search_path is fixed to the schema the migration ran in.
CREATE FUNCTION learning_memories_text_top(config regconfig, words text, repos text[], n integer)
RETURNS TABLE (id bigint, rnk bigint)
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
DECLARE
  singles tsquery[];   -- one tsquery per distinct word
  occurrences text;    -- SQL: how often the words occur in m.search_tsv
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
  k := LEAST(8, pg_catalog.cardinality(singles));
  LOOP
    tier := tsquery_at_least(config, words, k);  -- a value: the bitmap heap scan never re-runs the function
    EXECUTE pg_catalog.format(
      'SELECT pg_catalog.array_agg(x.id ORDER BY x.occ DESC, x.id), pg_catalog.max(x.total) FROM ('
      || 'SELECT m.id, %s AS occ, pg_catalog.count(*) OVER () AS total FROM learning_memories m'
      || ' WHERE m.repo = ANY ($1) AND NOT m.stale AND m.search_tsv @@ $2 ORDER BY occ DESC, m.id LIMIT $3) x', occurrences)
      INTO ids, total USING repos, tier, n, singles;
    EXIT WHEN k <= 1 OR total >= 4 * n;
    k := k - 1;
  END LOOP;
  RETURN QUERY SELECT u.id, u.rnk FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u (id, rnk);
END
$$;

COMMENT ON FUNCTION tsquery_at_least(regconfig, text, integer) IS
  'tsquery of rows holding at least k distinct words of the text (first 8 words for k >= 2; k <= 1: any word); for learning_memories_text_top.';
COMMENT ON FUNCTION learning_memories_text_top(regconfig, text, text[], integer) IS
  'Top n non-stale memories of the repos by ts_rank_cd for any of the words (the text side of hybrid retrieval, docs/retrieval.md).';
