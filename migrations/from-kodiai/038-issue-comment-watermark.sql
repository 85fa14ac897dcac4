-- from-kodiai 038-issue-comment-watermark (adopting a database built by kodiai's own runner,
-- docs/adopt.md): kodiai's 038 added issue_sync_state.comment_last_synced_at (timestamptz, nullable), as
-- our 054 has it: nothing to change in the column. `up` runs this after from-kodiai/015-issue-sync-state.sql
-- (our 054 declares both files), in the same transaction; this part only sets our table comment.
--
-- Online: a comment is catalog work (SHARE UPDATE EXCLUSIVE), waiting at most 1 s for its lock.
SET LOCAL lock_timeout = '1s';

COMMENT ON TABLE issue_sync_state IS
  'Issue backfill/sync cursor per repo; comment_last_synced_at is the comment pass''s own watermark '
  '(kodiai 015, 038).';
