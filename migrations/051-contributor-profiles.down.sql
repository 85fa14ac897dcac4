-- Inverse of 051.
-- squawk-ignore-file ban-drop-table
SET LOCAL lock_timeout = '1s';
DROP TABLE IF EXISTS contributor_expertise;
DROP TABLE IF EXISTS contributor_profiles;
