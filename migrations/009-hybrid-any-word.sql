-- 009: hybrid retrieval with any-word matching that stays cheap in a large repo
-- (issue 11 item 4; measured in docs/retrieval.md, "Hybrid").
--
-- The text side of hybrid retrieval ranks a repo's memories by
-- ts_rank_cd(search_tsv, q), q = any of the caller's words. For such a query
-- ts_rank_cd has no IDF and no length normalization: a row's rank is 0.1 x the
-- number of occurrences of the query's words in it. Ranking every row that
-- holds any word costs a heap visit (a row is ~2.6 kB since 007) and a
-- ts_rank_cd call (5-20 us) per row: with common words most of a large repo.
-- The top ranks go to rows holding several of the words, so
-- learning_memories_text_top ranks only the rows that hold at least k of them,
-- for the largest k whose rows are plenty (4n), found through the GIN index:
--   k = number of distinct words (capped at 8), then fewer, ... down to 1
--   (any word: the exact answer, also whenever the stricter sets are small).
-- A row with fewer distinct words but many repetitions can rank above the
-- chosen set's rows and is then missed: the recall of the fused list against
-- the exact fusion is measured by `bench hybrid`. Repos with at most 3,000 rows
-- are always ranked exactly.

-- The words of `words` (parsed with `config`, as plainto_tsquery does) as a
-- tsquery matching the rows that hold at least k distinct ones. Only the first 8
-- distinct words (by position) take part for k >= 2; k <= 1 is the OR of all the
-- words. NULL when the text holds no word (a NULL tsquery matches no row).
-- Written as the threshold recursion "at least i of words j..n" =
--   word j & (at least i-1 of words j+1..n) | (at least i of words j+1..n),
-- not as the OR of every AND of k words (C(8,4) = 70 ANDs): the GIN index evaluates
-- the query once per row holding any of the words, and the nested form stops
-- early (measured: ~30 % less time per GIN scan for 5 words).
CREATE FUNCTION tsquery_at_least(config regconfig, words text, k integer) RETURNS tsquery
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  terms text[];   -- the words as quoted tsquery operands, in order of first position
  n integer;
  prev text[];    -- prev[i]: "at least i of words j+1..n"
  cur text[];
BEGIN
  SELECT pg_catalog.array_agg('''' || pg_catalog.replace(pg_catalog.replace(t.lexeme, '\', '\\'), '''', '''''') || ''''
                              ORDER BY t.positions[1], t.lexeme)
    INTO terms FROM pg_catalog.unnest(pg_catalog.to_tsvector(config, words)) AS t;
  IF terms IS NULL THEN RETURN NULL; END IF;
  IF k <= 1 THEN RETURN pg_catalog.array_to_string(terms, ' | ')::pg_catalog.tsquery; END IF;
  terms := terms[1:8];
  n := pg_catalog.cardinality(terms);
  k := LEAST(k, n);
  prev := '{}';
  FOR j IN REVERSE n..1 LOOP
    cur := '{}';
    FOR i IN 1..LEAST(k, n - j + 1) LOOP
      cur[i] := CASE
        WHEN j = n THEN terms[j]
        WHEN i = 1 THEN terms[j] || ' | ' || prev[1]
        WHEN i = n - j + 1 THEN terms[j] || ' & ' || prev[i - 1]
        ELSE terms[j] || ' & (' || prev[i - 1] || ') | ' || prev[i] END;
    END LOOP;
    prev := cur;
  END LOOP;
  RETURN ('(' || prev[k] || ')')::pg_catalog.tsquery;
END
$$;

-- The n best non-stale memories of `repos` for any of `words`, in the order of the exact
-- query: ts_rank_cd(search_tsv, tsquery_at_least(config, words, 1)) DESC, then id;
-- rnk = 1..n.
--   * Repos with at most 3,000 rows (stale ones included) together: exactly that, from
--     the repos' own rows (the repo btree), without the GIN index: there, one GIN scan
--     (a pass over the posting lists of the words in the whole table) costs more than
--     checking each of the repos' rows.
--   * Larger: it ranks only the rows holding at least k distinct words, for the largest
--     k (from min(8, words) down) with at least 4n such rows, else every row holding a
--     word; found with the GIN index alone (the planner would AND it with the repo and
--     stale btrees, which costs ~0.2 us per row of a large repo and saves little).
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

COMMENT ON FUNCTION tsquery_at_least(regconfig, text, integer) IS
  'tsquery of rows holding at least k distinct words of the text (first 8 words for k >= 2; k <= 1: any word); for learning_memories_text_top.';
COMMENT ON FUNCTION learning_memories_text_top(regconfig, text, text[], integer) IS
  'Top n non-stale memories of the repos by ts_rank_cd for any of the words (the text side of hybrid retrieval, docs/retrieval.md).';
