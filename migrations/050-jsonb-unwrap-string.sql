-- 050: one trigger function for the jsonb columns kodiai writes with `${JSON.stringify(x)}`
-- (issue 21, item 2).
--
-- The bot's stock postgres.js (no `types` option) asks the server for each parameter's type;
-- for a jsonb column the answer is jsonb, and the driver then JSON-encodes the value it was
-- given. A value the code already turned into JSON text is encoded a second time: the column
-- receives a JSON *string* holding the text (`"[1,2]"` instead of `[1,2]`). The same stores
-- also send real JSON (jsonb_to_recordset batches), and their readers accept both: they
-- JSON.parse a string and take an object or array as it is.
--
-- jsonb_unwrap_string(col, ...), a BEFORE INSERT OR UPDATE trigger: for each named column, a
-- JSON string is replaced by the JSON its text holds, once. Text that is not JSON fails the
-- write ("invalid input syntax for type json"); what it holds is then checked by the column's
-- shape CHECK (jsonb_typeof), which runs after the trigger, so a string holding a string (JSON
-- encoded three times) or the wrong shape is still refused. Columns that must stay strings
-- are not given this trigger.
-- The column names come from the trigger's arguments (TG_ARGV), so one function serves every
-- table; each column is read with a dynamic `($1).col` and written back with
-- jsonb_populate_record, which sets only that field of NEW.

SET LOCAL lock_timeout = '1s';

CREATE FUNCTION jsonb_unwrap_string() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  col text;
  v jsonb;
BEGIN
  FOREACH col IN ARRAY TG_ARGV LOOP
    EXECUTE pg_catalog.format('SELECT ($1).%I', col) USING NEW INTO v;
    IF pg_catalog.jsonb_typeof(v) = 'string' THEN
      NEW := pg_catalog.jsonb_populate_record(NEW,
        pg_catalog.jsonb_build_object(col, (v OPERATOR(pg_catalog.#>>) '{}'::text[])::jsonb));
    END IF;
  END LOOP;
  RETURN NEW;
END
$$;

COMMENT ON FUNCTION jsonb_unwrap_string() IS
  'BEFORE INSERT OR UPDATE trigger: each jsonb column named in the trigger arguments that holds a JSON string is replaced by the JSON in that string (once); the column''s CHECK then checks the shape.';
