-- 069: one way to decode the JSON kodiai sends double-encoded. 020 brought a value function,
-- jsonb_unwrap_stringified(jsonb), and 028, 029 and 031 a trigger function per table around it; 050
-- then brought jsonb_unwrap_string(), one trigger function for every table, the columns named in
-- the trigger's arguments, which 052, 053, 056 and 067 use. Both replace a JSON string by the JSON
-- its text holds, once (the column's shape CHECK then refuses anything else). The four tables of
-- 020-031 now use 050's: the per-table functions and jsonb_unwrap_stringified go. Same columns, same
-- UPDATE OF lists, same values stored (AdoptSliceATablesTest and the kodiai stores' tests cover
-- the double-encoded writes).
--
-- Locks: CREATE TRIGGER and DROP TRIGGER are catalog changes (no scan), but DROP TRIGGER takes
-- ACCESS EXCLUSIVE on its table for the moment of the change: one transaction that waits at most
-- 1 s for each lock (the bot's queue, wiki evidence, suggestions and audit writes are occasional),
-- tables in one order.
SET LOCAL lock_timeout = '1s';

CREATE TRIGGER webhook_queue_jsonb_unwrap BEFORE INSERT OR UPDATE OF headers ON webhook_queue
  FOR EACH ROW EXECUTE FUNCTION jsonb_unwrap_string('headers');
DROP TRIGGER webhook_queue_json_unwrap_trigger ON webhook_queue;
DROP FUNCTION webhook_queue_json_unwrap();

CREATE TRIGGER wiki_pr_evidence_jsonb_unwrap BEFORE INSERT OR UPDATE OF issue_references ON wiki_pr_evidence
  FOR EACH ROW EXECUTE FUNCTION jsonb_unwrap_string('issue_references');
DROP TRIGGER wiki_pr_evidence_json_unwrap_trigger ON wiki_pr_evidence;
DROP FUNCTION wiki_pr_evidence_json_unwrap();

CREATE TRIGGER wiki_update_suggestions_jsonb_unwrap
  BEFORE INSERT OR UPDATE OF citing_prs, voice_scores ON wiki_update_suggestions
  FOR EACH ROW EXECUTE FUNCTION jsonb_unwrap_string('citing_prs', 'voice_scores');
DROP TRIGGER wiki_update_suggestions_json_unwrap_trigger ON wiki_update_suggestions;
DROP FUNCTION wiki_update_suggestions_json_unwrap();

CREATE TRIGGER guardrail_audit_jsonb_unwrap BEFORE INSERT OR UPDATE OF removed_claims ON guardrail_audit
  FOR EACH ROW EXECUTE FUNCTION jsonb_unwrap_string('removed_claims');
DROP TRIGGER guardrail_audit_json_unwrap_trigger ON guardrail_audit;
DROP FUNCTION guardrail_audit_json_unwrap();

DROP FUNCTION jsonb_unwrap_stringified(jsonb);
