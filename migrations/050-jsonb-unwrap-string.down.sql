-- Inverse of 050 (the tables whose triggers use it are gone by then).
SET LOCAL lock_timeout = '1s';
DROP FUNCTION IF EXISTS jsonb_unwrap_string();
