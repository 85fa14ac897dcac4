-- Inverse of 069: 020's jsonb_unwrap_stringified and the per-table trigger functions of 020, 028, 029
-- and 031 back, each table's trigger on its own function again (one transaction, 1 s per lock).
SET LOCAL lock_timeout = '1s';

CREATE FUNCTION jsonb_unwrap_stringified(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN pg_catalog.jsonb_typeof(v) = 'string' THEN (v OPERATOR(pg_catalog.#>>) '{}')::pg_catalog.jsonb
    ELSE v END
$$;

CREATE FUNCTION webhook_queue_json_unwrap() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.headers := jsonb_unwrap_stringified(NEW.headers);
  RETURN NEW;
END
$$;
CREATE TRIGGER webhook_queue_json_unwrap_trigger BEFORE INSERT OR UPDATE OF headers ON webhook_queue
  FOR EACH ROW EXECUTE FUNCTION webhook_queue_json_unwrap();
DROP TRIGGER webhook_queue_jsonb_unwrap ON webhook_queue;

CREATE FUNCTION wiki_pr_evidence_json_unwrap() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.issue_references := jsonb_unwrap_stringified(NEW.issue_references);
  RETURN NEW;
END
$$;
CREATE TRIGGER wiki_pr_evidence_json_unwrap_trigger BEFORE INSERT OR UPDATE OF issue_references ON wiki_pr_evidence
  FOR EACH ROW EXECUTE FUNCTION wiki_pr_evidence_json_unwrap();
DROP TRIGGER wiki_pr_evidence_jsonb_unwrap ON wiki_pr_evidence;

CREATE FUNCTION wiki_update_suggestions_json_unwrap() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.citing_prs := jsonb_unwrap_stringified(NEW.citing_prs);
  NEW.voice_scores := jsonb_unwrap_stringified(NEW.voice_scores);
  RETURN NEW;
END
$$;
CREATE TRIGGER wiki_update_suggestions_json_unwrap_trigger
  BEFORE INSERT OR UPDATE OF citing_prs, voice_scores ON wiki_update_suggestions
  FOR EACH ROW EXECUTE FUNCTION wiki_update_suggestions_json_unwrap();
DROP TRIGGER wiki_update_suggestions_jsonb_unwrap ON wiki_update_suggestions;

CREATE FUNCTION guardrail_audit_json_unwrap() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.removed_claims := jsonb_unwrap_stringified(NEW.removed_claims);
  RETURN NEW;
END
$$;
CREATE TRIGGER guardrail_audit_json_unwrap_trigger BEFORE INSERT OR UPDATE OF removed_claims ON guardrail_audit
  FOR EACH ROW EXECUTE FUNCTION guardrail_audit_json_unwrap();
DROP TRIGGER guardrail_audit_jsonb_unwrap ON guardrail_audit;
