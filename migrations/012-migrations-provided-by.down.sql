-- Inverse of 012. A row still recorded for kodiai's runner would lose its owner: the migrations
-- that record such rows come after 012 and are rolled back first (their down removes their rows).
SET LOCAL lock_timeout = '1s';
-- Dropping the column is the inverse of adding it; kodiai's runner reads only _migrations.name.
-- squawk-ignore ban-drop-column
ALTER TABLE _migrations DROP COLUMN IF EXISTS provided_by;
