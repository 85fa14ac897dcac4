-- from-kodiai 037 (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's 037 added
-- contributor_profiles.trust_marker (text, nullable) and its partial index, as our 051 has them: nothing
-- to change in them. `up` runs this after from-kodiai/011-contributor-profiles.sql (our 051 declares both
-- files), in the same transaction; this part only sets our comments: catalog work, waiting at most 1 s.
SET LOCAL lock_timeout = '1s';

COMMENT ON TABLE contributor_profiles IS
  'Contributor profile per GitHub user: Slack link, tier and score, opt-out, trust marker (kodiai 011, 037).';
COMMENT ON COLUMN contributor_profiles.trust_marker IS
  'Versioned calibration marker the bot writes when it scores a profile; NULL = never scored by the current '
  'scorer.';
