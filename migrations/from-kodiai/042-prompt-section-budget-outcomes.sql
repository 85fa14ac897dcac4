-- from-kodiai 042-prompt-section-budget-outcomes (adopting a database built by kodiai's own runner,
-- docs/adopt.md): kodiai's 042 added prompt_section_events' eight nullable budget columns (six integer,
-- two text), as our 060 has them: nothing to change in them (our CHECK on them is added by
-- from-kodiai/038-prompt-section-events.sql, which `up` runs just before this, in the same transaction).
-- This part only sets our table comment: catalog work, waiting at most 1 s for its lock.
SET LOCAL lock_timeout = '1s';

COMMENT ON TABLE prompt_section_events IS
  'Telemetry: size and budget outcome of each prompt section per delivery, no prompt text; purged by age '
  '(kodiai 038, 042).';
