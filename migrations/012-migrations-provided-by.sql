-- 012: _migrations.provided_by: which of our migrations recorded a row under a kodiai file's name
-- (issue 21). kodiai's own runner (its src/db/migrate.ts) applies every file of its migrations
-- folder whose name is not in _migrations. A migration of ours that carries a kodiai file
-- declares it (`-- kodiai: 004-webhook-queue.sql <sha12>`); when ours is applied, the runner
-- records a row named as kodiai's file, status 'provided', provided_by = our file, so that
-- kodiai's runner skips it, and `down` of ours removes it (docs/migrate.md, "kodiai's own runner").
-- A nullable column without a default: a catalog change only, no rewrite. _migrations is read by
-- kodiai's runner once at start; its lock is waited for at most 1 s (then this fails, changing
-- nothing: run it again).
SET LOCAL lock_timeout = '1s';
ALTER TABLE _migrations ADD COLUMN IF NOT EXISTS provided_by text;
COMMENT ON COLUMN _migrations.provided_by
  IS 'For a row recorded under a kodiai file''s name (status provided): our migration that carries that file.';
