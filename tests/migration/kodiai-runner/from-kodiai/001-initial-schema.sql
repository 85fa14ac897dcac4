-- kodiai's k_reviews to ours: a bigint key.
ALTER TABLE k_reviews ALTER COLUMN id TYPE bigint;
