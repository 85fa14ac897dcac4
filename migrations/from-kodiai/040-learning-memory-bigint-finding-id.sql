-- from-kodiai 032 + 040 (adopting a database built by kodiai's own runner, docs/adopt.md): the GitHub id
-- columns kodiai's 032 and 040 widened become what our 065 leaves, every row kept.
--
-- What differs: nothing to convert. kodiai's 032 made findings.comment_id, feedback_reactions.comment_id,
-- review_checkpoints.partial_comment_id and resilience_events.partial_comment_id bigint, its 040
-- learning_memories.finding_id: our 001 has the same five columns bigint, and from-kodiai/001-002 kept them
-- as they were (the int4 keys and review/finding/reaction ids beside them became bigint there). kodiai's other
-- tables hold no GitHub id in an int4 column (their int4 columns are serial keys, MediaWiki page and revision
-- ids, counters), and each of those tables has its own conversion. Ours adds the comment on
-- learning_memories.finding_id (what the bot stores there since kodiai 040).
--
-- One short transaction: the check below reads the catalog only; COMMENT takes SHARE UPDATE EXCLUSIVE (the
-- bot's reads and writes go on), waited for at most 1.5 s (past deadlock_timeout, so an autovacuum holding the
-- table is cancelled). A column found of another type stops it, nothing changed.
SET LOCAL lock_timeout = '1500ms';

DO $$
DECLARE
  other text := (SELECT pg_catalog.string_agg(pg_catalog.format('%s.%s is %s', a.attrelid::regclass, a.attname,
      pg_catalog.format_type(a.atttypid, a.atttypmod)), ', ')
    FROM pg_catalog.pg_attribute a
    WHERE (a.attrelid, a.attname) IN (('findings'::regclass, 'comment_id'), ('feedback_reactions'::regclass,
        'comment_id'), ('review_checkpoints'::regclass, 'partial_comment_id'), ('resilience_events'::regclass,
        'partial_comment_id'), ('learning_memories'::regclass, 'finding_id'))
      AND a.atttypid <> 'bigint'::regtype);
BEGIN
  IF other IS NOT NULL THEN
    RAISE EXCEPTION 'from-kodiai 040: kodiai''s GitHub id columns should be bigint (its 032, 040): %', other;
  END IF;
END
$$;

COMMENT ON COLUMN learning_memories.finding_id IS
  'The finding the memory came from: a findings.id or, since kodiai 040, a GitHub review comment id (64-bit). No FK.';
