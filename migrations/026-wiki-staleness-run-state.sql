-- 026: wiki_staleness_run_state, the one row of the wiki staleness scan's state (window anchor,
-- counts, status), as kodiai's 012 creates it; issue 21.
-- kodiai: 012-wiki-staleness-run-state.sql 32fc693d5354
--
-- A new table, created in this migration's transaction: nobody waits for it.
-- Where this differs from kodiai's file, and why:
--   * the bot always writes the row id = 1 (INSERT ... VALUES (1, ...) ON CONFLICT (id)); kodiai's
--     serial key and its comment "single-row table" become a key that can only be 1, so a second
--     row cannot appear.
--   * status holds 'success', 'failed' or 'pending' (kodiai's comment, the code's type) and the
--     counts are >= 0: CHECKs.
-- The key and counts stay integer (the bot reads them as numbers):
-- squawk-ignore-file prefer-bigint-over-int
SET LOCAL lock_timeout = '1s';

CREATE TABLE wiki_staleness_run_state (
  id              integer NOT NULL DEFAULT 1,
  last_run_at     timestamptz,
  last_commit_sha text,
  pages_flagged   integer NOT NULL DEFAULT 0,
  pages_evaluated integer NOT NULL DEFAULT 0,
  status          text NOT NULL DEFAULT 'pending',
  error_message   text,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT wiki_staleness_run_state_pkey PRIMARY KEY (id),
  CONSTRAINT wiki_staleness_run_state_id_check CHECK (id = 1),
  CONSTRAINT wiki_staleness_run_state_status_check CHECK (status IN ('success', 'failed', 'pending')),
  CONSTRAINT wiki_staleness_run_state_counts_check CHECK (pages_flagged >= 0 AND pages_evaluated >= 0)
);
