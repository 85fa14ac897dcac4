-- from-kodiai 012 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's
-- wiki_staleness_run_state as its 012 made it (24fba64a) becomes what our 026 creates, every row kept.
--
-- What differs: kodiai's key is a serial (a default from its sequence); ours can only be 1, the one row
-- the bot writes (INSERT ... VALUES (1, ...) ON CONFLICT (id)), and status and the counts are checked.
-- Types, NOT NULLs, the other defaults and the primary key (wiki_staleness_run_state_pkey) are the same.
--
-- Online: the table holds one row by the bot's design (bound assumed: at most a few rows); every
-- statement is catalog work or a scan of those rows, in one transaction that waits at most 1 s for its
-- lock. A row our checks refuse (an id other than 1, an unknown status, a negative count) fails the
-- ADD CONSTRAINT: the transaction rolls back, nothing changed, and `up` says which constraint.
-- The checks are added validated: on a table of a few rows the scan under the lock takes microseconds
-- (NOT VALID then VALIDATE would only split that scan off, in the same transaction):
-- squawk-ignore-file constraint-missing-not-valid
SET LOCAL lock_timeout = '1s';

ALTER TABLE wiki_staleness_run_state ALTER COLUMN id SET DEFAULT 1;
-- kodiai's serial sequence, owned by the column: nothing uses it once the default is 1
DROP SEQUENCE IF EXISTS wiki_staleness_run_state_id_seq;

ALTER TABLE wiki_staleness_run_state
  ADD CONSTRAINT wiki_staleness_run_state_id_check CHECK (id = 1),
  ADD CONSTRAINT wiki_staleness_run_state_status_check CHECK (status IN ('success', 'failed', 'pending')),
  ADD CONSTRAINT wiki_staleness_run_state_counts_check CHECK (pages_flagged >= 0 AND pages_evaluated >= 0);
