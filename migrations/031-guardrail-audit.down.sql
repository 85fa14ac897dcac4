-- Inverse of 031. A table of the bot's own: rolling back drops its audit log.
SET LOCAL lock_timeout = '1s';
-- squawk-ignore ban-drop-table
DROP TABLE IF EXISTS guardrail_audit;
DROP FUNCTION IF EXISTS guardrail_audit_json_unwrap();
