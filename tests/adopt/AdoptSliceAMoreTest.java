// Issue 23, more conversions of kodiai's parity slice A tables (migrations/from-kodiai/<F>, the conversions of every
// kodiai file one of our 027, 028, 029 declares, joined in header order as the runner joins them): kodiai's tables
// as its runner leaves them (bench/KodiaiFixtureSliceAMore) become exactly what our migration creates (the catalog
// at that version), every row kept (double-encoded JSON decoded once), kodiai's sequences continued; a row our
// checks refuse rolls the conversion back with nothing changed, and once fixed the conversion runs.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdoptSliceAMoreTest extends AdoptSupport {
  static String one(Statement st, String sql) throws SQLException { return AdoptSliceATablesTest.one(st, sql); }

  static String rows(Connection c, String table) throws SQLException {
    return AdoptStateTablesTest.rowsOf(c, table);
  }

  /** kodiai's database, with our 020's conversion (jsonb_unwrap_stringified, which later conversions use). */
  static void kodiaiAt020(String url) throws Exception {
    kodiaiDatabase(url, 5);
    try (Connection c = DbClient.open(url)) { AdoptSliceATablesTest.convert(c, 20); }
  }

  static void assertOurs(Connection c, List<String> ours, String table, String version) throws SQLException {
    List<String> have = AdoptStateTablesTest.catalogOf(c, table);
    assertEquals(ours, have, table + " as our " + version + " creates it:\n" + CatalogSnapshot.diff(ours, have));
  }

  static final String POPULARITY = """
      INSERT INTO wiki_page_popularity (page_id, page_title, inbound_links, citation_count, edit_recency_score,
        composite_score, last_scored_at) SELECT g * 7, 'Page ' || g, g, g %% 4, 1.0 / g, g * 0.25,
        CASE WHEN g %% 2 = 0 THEN now() END FROM generate_series(1, 30) g;
      INSERT INTO wiki_page_popularity (page_id, page_title) VALUES (2147483647, repeat('T', 3000));
      DELETE FROM wiki_page_popularity WHERE page_id = 210;
      INSERT INTO wiki_citation_events (page_id, cited_at) SELECT g %% 9, now() - g * interval '1 hour'
        FROM generate_series(1, 40) g;
      INSERT INTO wiki_citation_events (id, page_id) VALUES (%d, 1);
      SELECT setval('wiki_citation_events_id_seq', %d);
      """.formatted(KodiaiFixture.BIG, KodiaiFixture.BIG + 5);

  @Test
  void wikiPopularityAndCitationsBecomeOur027WithTheirRowsAndIds() throws Exception {
    List<String> popularity = AdoptStateTablesTest.ours("adoptsa27ours", 27, "wiki_page_popularity");
    List<String> citations = AdoptStateTablesTest.ours("adoptsa27oursc", 27, "wiki_citation_events");
    withDatabase("adoptsa27", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(POPULARITY);
        String before = rows(c, "wiki_page_popularity") + " " + rows(c, "wiki_citation_events");
        AdoptSliceATablesTest.convert(c, 27);
        assertEquals(before, rows(c, "wiki_page_popularity") + " " + rows(c, "wiki_citation_events"),
            "every row kept");
        assertOurs(c, popularity, "wiki_page_popularity", "027");
        assertOurs(c, citations, "wiki_citation_events", "027");
        assertEquals("32", one(st, "INSERT INTO wiki_page_popularity (page_id, page_title) VALUES (1, 'p')"
            + " RETURNING id"), "the identity continues kodiai's sequence (31 was used, 30 deleted)");
        assertEquals(String.valueOf(KodiaiFixture.BIG + 6), one(st, "INSERT INTO wiki_citation_events (page_id)"
            + " VALUES (1) RETURNING id"), "the identity continues kodiai's bigserial, past 2^31");
      }
    });
  }

  @Test
  void aNegativeScoreLeavesKodiaisTablesAsTheyWereUntilFixed() throws Exception {
    withDatabase("adoptsa27bad", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(POPULARITY);
        st.execute("UPDATE wiki_page_popularity SET composite_score = -1 WHERE page_id = 7");
        List<String> catalog = snapshot(c);
        String before = rows(c, "wiki_page_popularity") + " " + rows(c, "wiki_citation_events");
        SQLException e = assertThrows(SQLException.class, () -> AdoptSliceATablesTest.convert(c, 27));
        assertTrue(e.getMessage().contains("wiki_page_popularity_scores_check"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertEquals(before, rows(c, "wiki_page_popularity") + " " + rows(c, "wiki_citation_events"));
        st.execute("UPDATE wiki_page_popularity SET composite_score = 0 WHERE page_id = 7");
        AdoptSliceATablesTest.convert(c, 27);
      }
    });
  }

  /** Evidence as the bot writes it: refs double-encoded, a NULL (read as []), a path of 2,000 bytes, no page. */
  static final String EVIDENCE = """
      INSERT INTO wiki_pr_evidence (pr_number, pr_title, pr_description, pr_author, merged_at, file_path, patch,
        issue_references, matched_page_id, matched_page_title, heuristic_score)
      SELECT 1000 + g, 'PR ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'body ' || g END, 'dev', now() - g * interval
        '1 day', CASE WHEN g = 5 THEN repeat('p', 2000) ELSE 'xbmc/f' || g || '.cpp' END, '@@ -1 +1 @@',
        CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN to_jsonb('[{"issueNumber":12,"keyword":"fixes","crossRepo":null}]'
          ::text) WHEN 2 THEN '[]' ELSE '[{"issueNumber":3,"keyword":"closes","crossRepo":"a/b"}]' END,
        CASE WHEN g % 5 = 0 THEN NULL ELSE g END, CASE WHEN g % 5 = 0 THEN NULL ELSE 'Page ' || g END, g
      FROM generate_series(1, 20) g;
      DELETE FROM wiki_pr_evidence WHERE id = 20
      """;

  /** The rows as our 028 keeps them: a NULL as [], double-encoded references decoded once. */
  static final String EVIDENCE_DECODED = "SELECT count(*) || ' ' || md5(string_agg(r, '|' ORDER BY r)) FROM (SELECT"
      + " ROW(id, pr_number, pr_title, pr_description, pr_author, merged_at, file_path, patch, CASE WHEN"
      + " jsonb_typeof(issue_references) = 'string' THEN (issue_references #>> '{}')::jsonb ELSE"
      + " coalesce(issue_references, '[]') END, matched_page_id, matched_page_title, heuristic_score, created_at)::text"
      + " r FROM wiki_pr_evidence) q";

  @Test
  void wikiPrEvidenceBecomesOur028WithItsRowsAndIds() throws Exception {
    List<String> ours = AdoptStateTablesTest.ours("adoptsa28ours", 28, "wiki_pr_evidence");
    withDatabase("adoptsa28", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(EVIDENCE);
        String before = one(st, EVIDENCE_DECODED);
        assertTrue(before.startsWith("19 "), before);
        AdoptSliceATablesTest.convert(c, 28);
        assertEquals(before, one(st, EVIDENCE_DECODED), "every row kept, NULL as [], double encoding decoded");
        assertEquals("array 19", one(st, "SELECT string_agg(DISTINCT jsonb_typeof(issue_references), ' ') || ' '"
            + " || count(*) FROM wiki_pr_evidence"));
        assertOurs(c, ours, "wiki_pr_evidence", "028");
        assertEquals("21 [{\"keyword\": \"fixes\"}]", one(st, "INSERT INTO wiki_pr_evidence (pr_number, pr_title,"
            + " pr_author, merged_at, file_path, patch, issue_references) VALUES (1, 't', 'a', now(), 'f', 'p',"
            + " to_jsonb('[{\"keyword\":\"fixes\"}]'::text)) RETURNING id || ' ' || issue_references"),
            "the identity continues kodiai's sequence (20 was used); the bot's double encoding decoded");
      }
    });
  }

  @Test
  void aPathOver2000BytesLeavesKodiaisEvidenceAsItWas() throws Exception {
    withDatabase("adoptsa28bad", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(EVIDENCE);
        st.execute("UPDATE wiki_pr_evidence SET file_path = repeat('p', 2001) WHERE id = 5");
        List<String> catalog = snapshot(c);
        String before = rows(c, "wiki_pr_evidence");
        SQLException e = assertThrows(SQLException.class, () -> AdoptSliceATablesTest.convert(c, 28));
        assertTrue(e.getMessage().contains("wiki_pr_evidence_file_path_check"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertEquals(before, rows(c, "wiki_pr_evidence"), "no row changed (NULLs and double encoding as they were)");
        st.execute("UPDATE wiki_pr_evidence SET file_path = repeat('p', 2000) WHERE id = 5");
        AdoptSliceATablesTest.convert(c, 28);
      }
    });
  }

  /** Suggestions as the bot writes them: citing_prs and voice_scores double-encoded, the lead section's NULL. */
  static final String SUGGESTIONS = """
      INSERT INTO wiki_update_suggestions (page_id, page_title, section_heading, original_content, suggestion,
        why_summary, grounding_status, citing_prs, voice_mismatch_warning, voice_scores, published_at,
        published_issue_number, published_comment_id)
      SELECT g, 'Page ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'Section ' || g END, 'old', 'new', 'why',
        (ARRAY['grounded', 'partially-grounded', 'ungrounded', 'no_update'])[g % 4 + 1],
        CASE WHEN g % 2 = 0 THEN to_jsonb('[{"prNumber":' || g || ',"title":"t"}]') ELSE '[]' END, g % 2 = 1,
        CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN to_jsonb('{"formality":0.5}'::text) ELSE '{"tone":1}' END,
        CASE WHEN g % 4 = 0 THEN now() END, CASE WHEN g % 4 = 0 THEN 100 + g END,
        CASE WHEN g % 4 = 0 THEN 4153840487 + g END
      FROM generate_series(1, 16) g;
      DELETE FROM wiki_update_suggestions WHERE id = 16
      """;

  static final String SUGGESTIONS_DECODED = "SELECT count(*) || ' ' || md5(string_agg(r, '|' ORDER BY r)) FROM"
      + " (SELECT ROW(id, page_id, page_title, section_heading, original_content, suggestion, why_summary,"
      + " grounding_status, CASE WHEN jsonb_typeof(citing_prs) = 'string' THEN (citing_prs #>> '{}')::jsonb ELSE"
      + " citing_prs END, voice_mismatch_warning, CASE WHEN jsonb_typeof(voice_scores) = 'string' THEN (voice_scores"
      + " #>> '{}')::jsonb ELSE voice_scores END, generated_at, created_at, published_at, published_issue_number,"
      + " published_comment_id)::text r FROM wiki_update_suggestions) q";

  @Test
  void wikiUpdateSuggestionsBecomeOur029WithTheirRowsAndIds() throws Exception {
    List<String> ours = AdoptStateTablesTest.ours("adoptsa29ours", 29, "wiki_update_suggestions");
    withDatabase("adoptsa29", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(SUGGESTIONS);
        String before = one(st, SUGGESTIONS_DECODED);
        assertTrue(before.startsWith("15 "), before);
        AdoptSliceATablesTest.convert(c, 29);
        assertEquals(before, one(st, SUGGESTIONS_DECODED), "every row kept, double encoding decoded once");
        assertEquals("array object", one(st, "SELECT string_agg(DISTINCT jsonb_typeof(citing_prs), ' ') || ' ' ||"
            + " string_agg(DISTINCT jsonb_typeof(voice_scores), ' ') FROM wiki_update_suggestions"));
        assertOurs(c, ours, "wiki_update_suggestions", "029");
        assertEquals("17", one(st, "INSERT INTO wiki_update_suggestions (page_id, page_title, original_content,"
            + " suggestion, why_summary, citing_prs) VALUES (99, 'p', 'o', 's', 'w', to_jsonb('[]'::text))"
            + " RETURNING id"), "the identity continues kodiai's sequence (16 was used)");
      }
    });
  }

  @Test
  void voiceScoresThatAreNotAnObjectLeaveKodiaisSuggestionsAsTheyWere() throws Exception {
    withDatabase("adoptsa29bad", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(SUGGESTIONS);
        st.execute("UPDATE wiki_update_suggestions SET voice_scores = to_jsonb('[0.5]'::text) WHERE id = 1");
        List<String> catalog = snapshot(c);
        String before = rows(c, "wiki_update_suggestions");
        SQLException e = assertThrows(SQLException.class, () -> AdoptSliceATablesTest.convert(c, 29));
        assertTrue(e.getMessage().contains("wiki_update_suggestions_voice_scores_check"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertEquals(before, rows(c, "wiki_update_suggestions"), "no row changed");
        st.execute("UPDATE wiki_update_suggestions SET voice_scores = NULL WHERE id = 1");
        AdoptSliceATablesTest.convert(c, 29);
      }
    });
  }

  /**
   * An online (no-transaction) conversion as the runner runs it: statement by statement, each committed on its own
   * (the kit of online helpers in place of its `-- adopt: online-kit` line, as MigrationSource gives it).
   */
  static void convertOnline(Connection c, int version) throws Exception { convertOnline(c, version, 0); }

  /** The same, stopping before the last `skip` statements (a run cut short). */
  static void convertOnline(Connection c, int version, int skip) throws Exception {
    String sql = AdoptSliceATablesTest.conversionOf(version);
    assertTrue(sql.contains("PROCEDURE pg_temp.prepare("), "the kit in place");
    var statements = MigrationSource.split(sql);
    try (Statement st = c.createStatement()) {
      for (var s : statements.subList(0, statements.size() - skip)) st.execute(s.sql());
    }
  }

  /** Rows in a form both sides share: `columns` (a cast there compares across a type change), ordered by id. */
  static String rows(Connection c, String table, String columns) throws SQLException {
    return AdoptSliceBTablesTest.rowsOf(c, table, columns);
  }

  static String valid(Statement st, String constraint) throws SQLException {
    return one(st, "SELECT convalidated FROM pg_constraint WHERE conname = '" + constraint + "'");
  }

  static final String COSTS = """
      INSERT INTO llm_cost_events (created_at, delivery_id, repo, task_type, model, provider, sdk, input_tokens,
        output_tokens, cache_read_tokens, cache_write_tokens, estimated_cost_usd, duration_ms, used_fallback,
        fallback_reason, error)
      SELECT now() - g * interval '1 minute', CASE WHEN g % 3 = 0 THEN NULL ELSE 'd-' || g END, 'xbmc/xbmc',
        'review', 'claude-sonnet', 'anthropic', CASE WHEN g % 2 = 0 THEN 'agent' ELSE 'ai' END, g * 1000, g * 10,
        g, 0, CASE g WHEN 1 THEN 0 WHEN 2 THEN 9999.99999999 WHEN 3 THEN 0.00000001 ELSE g * 0.01234567 END,
        CASE WHEN g % 4 = 0 THEN NULL ELSE g * 100 END, g % 5 = 0, CASE WHEN g % 5 = 0 THEN 'timeout' END,
        CASE WHEN g = 7 THEN repeat('e', 3000) END
      FROM generate_series(1, 40) g;
      INSERT INTO llm_cost_events (id, repo, task_type, model, provider, sdk, estimated_cost_usd)
        VALUES (4153840487, 'o/r', 't', 'm', 'p', 'ai', 1.5);
      SELECT setval('llm_cost_events_id_seq', 4153840490);
      DELETE FROM llm_cost_events WHERE id = 40
      """;

  /** Every column of llm_cost_events; the cost as numeric(12,8): equal after only if the double gives it back. */
  static final String COST_COLUMNS = "id, created_at, delivery_id, repo, task_type, model, provider, sdk,"
      + " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, estimated_cost_usd::numeric(12,8),"
      + " duration_ms, used_fallback, fallback_reason, error";

  @Test
  void llmCostEventsBecomeOur025OnlineWithTheirRowsExactCostsAndIdsTwice() throws Exception {
    List<String> ours = AdoptStateTablesTest.ours("adoptsa25ours", 25, "llm_cost_events");
    withDatabase("adoptsa25", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(COSTS);
        String before = rows(c, "llm_cost_events", COST_COLUMNS);
        var sums = KodiaiAdoption.sums(c, KodiaiAdoption.provedTables("025-llm-cost-events.sql"));
        convertOnline(c, 25);
        assertEquals(before, rows(c, "llm_cost_events", COST_COLUMNS), "every row kept, every cost exact");
        assertSameRows(sums, KodiaiAdoption.sums(c, List.of("llm_cost_events")));
        assertOurs(c, ours, "llm_cost_events", "025");
        convertOnline(c, 25);
        assertOurs(c, ours, "llm_cost_events", "025 (run again: nothing changes)");
        assertEquals(before, rows(c, "llm_cost_events", COST_COLUMNS));
        assertEquals("4153840491 0.0123", one(st, "INSERT INTO llm_cost_events (repo, task_type, model, provider,"
            + " sdk, estimated_cost_usd) VALUES ('o/r', 't', 'm', 'p', 'agent', 0.0123) RETURNING id || ' ' ||"
            + " estimated_cost_usd"), "the identity continues kodiai's sequence; the cost a double");
      }
    });
  }

  @Test
  void aCostEventOurChecksRefuseStopsAtItsValidateWithTheRowsKept() throws Exception {
    withDatabase("adoptsa25bad", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(COSTS);
        st.execute("INSERT INTO llm_cost_events (repo, task_type, model, provider, sdk) VALUES ('r', 't', 'm', 'p',"
            + " 'claude-code')");
        String before = rows(c, "llm_cost_events", COST_COLUMNS);
        Exception e = assertThrows(SQLException.class, () -> convertOnline(c, 25));
        assertTrue(e.getMessage().contains("llm_cost_events_sdk_check"), e.getMessage());
        assertEquals(before, rows(c, "llm_cost_events", COST_COLUMNS), "no row changed");
        assertEquals("f", valid(st, "llm_cost_events_sdk_check"), "left NOT VALID: new writes are checked");
        st.execute("UPDATE llm_cost_events SET sdk = 'agent' WHERE sdk = 'claude-code'");
        convertOnline(c, 25);
        assertEquals("t", valid(st, "llm_cost_events_sdk_check"), "run again once the row is fixed");
      }
    });
  }

  /** Audit rows as the bot writes them: removed_claims double-encoded, an array, NULL; row 30 deleted. */
  static final String AUDITS = """
      INSERT INTO guardrail_audit (created_at, surface, repo, strictness, claims_total, claims_grounded,
        claims_removed, claims_ambiguous, llm_fallback_used, response_suppressed, classifier_error, removed_claims,
        duration_ms)
      SELECT now() - g * interval '1 hour', (ARRAY['mention', 'review', 'slack', 'troubleshoot', 'wiki'])[g % 5 + 1],
        'xbmc/xbmc', (ARRAY['strict', 'standard', 'lenient'])[g % 3 + 1], g, g - g % 2, g % 2, 0, g % 7 = 0,
        g % 11 = 0, false, CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN to_jsonb(('["claim ' || g || '"]')::text)
          ELSE '["a", {"b": 1}]' END, CASE WHEN g % 4 = 0 THEN NULL ELSE g * 3 END
      FROM generate_series(1, 30) g;
      DELETE FROM guardrail_audit WHERE id = 30
      """;

  static final String AUDIT_COLUMNS = "id, created_at, surface, repo, strictness, claims_total, claims_grounded,"
      + " claims_removed, claims_ambiguous, llm_fallback_used, response_suppressed, classifier_error, CASE WHEN"
      + " jsonb_typeof(removed_claims) = 'string' THEN (removed_claims #>> '{}')::jsonb ELSE removed_claims END,"
      + " duration_ms";

  @Test
  void guardrailAuditBecomesOur031OnlineWithItsRowsDecodedAndItsIdsTwice() throws Exception {
    List<String> ours = AdoptStateTablesTest.ours("adoptsa31ours", 31, "guardrail_audit");
    withDatabase("adoptsa31", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(AUDITS);
        String before = rows(c, "guardrail_audit", AUDIT_COLUMNS);
        var sums = KodiaiAdoption.sums(c, KodiaiAdoption.provedTables("031-guardrail-audit.sql"));
        convertOnline(c, 31);
        assertEquals(before, rows(c, "guardrail_audit", AUDIT_COLUMNS), "every row kept, decoded once");
        assertEquals("array", one(st, "SELECT string_agg(DISTINCT jsonb_typeof(removed_claims), ' ')"
            + " FROM guardrail_audit"));
        assertSameRows(sums, KodiaiAdoption.sums(c, List.of("guardrail_audit")));
        assertOurs(c, ours, "guardrail_audit", "031");
        convertOnline(c, 31);
        assertOurs(c, ours, "guardrail_audit", "031 (run again: nothing changes)");
        assertEquals("31 [\"x\"]", one(st, "INSERT INTO guardrail_audit (surface, repo, removed_claims) VALUES"
            + " ('review', 'o/r', to_jsonb('[\"x\"]'::text)) RETURNING id || ' ' || removed_claims"),
            "the identity continues kodiai's sequence; the bot's double encoding decoded");
      }
    });
  }

  @Test
  void anAuditRowOurChecksRefuseStopsAtItsValidateUntilFixed() throws Exception {
    withDatabase("adoptsa31bad", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(AUDITS);
        st.execute("INSERT INTO guardrail_audit (surface, repo, removed_claims) VALUES ('email', 'o/r', NULL)");
        Exception e = assertThrows(SQLException.class, () -> convertOnline(c, 31));
        assertTrue(e.getMessage().contains("guardrail_audit_surface_check"), e.getMessage());
        assertEquals("f", valid(st, "guardrail_audit_surface_check"), "left NOT VALID: new writes are checked");
        st.execute("DELETE FROM guardrail_audit WHERE surface = 'email'");
        convertOnline(c, 31);
        assertEquals("t", valid(st, "guardrail_audit_surface_check"), "run again once the row is fixed");
        assertOurs(c, AdoptStateTablesTest.ours("adoptsa31badours", 31, "guardrail_audit"), "guardrail_audit", "031");
      }
    });
  }

  /** A vector of 1024 values as kodiai stores it (float32), from a seed. */
  static String vector(String seed) {
    return "(SELECT array_agg(sin(" + seed + " * 1000 + i)::real ORDER BY i) FROM generate_series(1, 1024) i)::vector";
  }

  /** Snippets and their occurrences as the bot writes them: vectors and NULLs, stale ones, a deleted row each. */
  static final String SNIPPETS = """
      INSERT INTO code_snippets (content_hash, embedded_text, language, embedding, embedding_model, stale,
        created_at)
      SELECT encode(sha256(('hunk ' || g)::bytea), 'hex'), 'function f' || g || '() { return ' || g || '; }',
        CASE WHEN g %% 3 = 0 THEN 'unknown' ELSE 'typescript' END, CASE WHEN g %% 5 = 0 THEN NULL ELSE %s END,
        CASE WHEN g %% 5 = 0 THEN NULL WHEN g %% 2 = 0 THEN 'voyage-4' ELSE 'voyage-code-3' END, g %% 7 = 0,
        now() - g * interval '1 day'
      FROM generate_series(1, 25) g;
      INSERT INTO code_snippet_occurrences (content_hash, repo, owner, pr_number, pr_title, file_path, start_line,
        end_line, function_context)
      SELECT encode(sha256(('hunk ' || (g %% 25 + 1))::bytea), 'hex'), 'xbmc/xbmc', 'xbmc', 2147483647 - g,
        CASE WHEN g %% 4 = 0 THEN NULL ELSE 'PR ' || g END, 'xbmc/f' || g || '.cpp', g, g + g %% 3,
        CASE WHEN g %% 2 = 0 THEN 'f' || g END
      FROM generate_series(1, 60) g;
      DELETE FROM code_snippet_occurrences WHERE id = 60;
      DELETE FROM code_snippet_occurrences WHERE content_hash = encode(sha256('hunk 25'::bytea), 'hex');
      DELETE FROM code_snippets WHERE id = 25
      """.formatted(vector("g"));

  static final String SNIPPET_COLUMNS = "id, content_hash, embedded_text, language, embedding::halfvec(1024),"
      + " embedding_model, tsv, stale, created_at";

  static final String OCCURRENCE_COLUMNS = "id, content_hash, repo, owner, pr_number, pr_title, file_path,"
      + " start_line, end_line, function_context, created_at";

  @Test
  void codeSnippetsBecomeOur024OnlineWithTheirRowsVectorsAndIdsTwice() throws Exception {
    List<String> snippets = AdoptStateTablesTest.ours("adoptsa24ours", 24, "code_snippets");
    List<String> occurrences = AdoptStateTablesTest.ours("adoptsa24ourso", 24, "code_snippet_occurrences");
    withDatabase("adoptsa24", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(SNIPPETS);
        convertOnline(c, 24, 1); // cut before the swap, then run again from the start (`up` after a stop)
        st.execute("UPDATE code_snippets SET embedding = " + vector("99") + " WHERE id = 3"); // the bot meanwhile
        String before = rows(c, "code_snippets", SNIPPET_COLUMNS) + " "
            + rows(c, "code_snippet_occurrences", OCCURRENCE_COLUMNS);
        var sums = KodiaiAdoption.sums(c, KodiaiAdoption.provedTables("024-code-snippets.sql"));
        convertOnline(c, 24);
        assertEquals(before, rows(c, "code_snippets", SNIPPET_COLUMNS) + " "
            + rows(c, "code_snippet_occurrences", OCCURRENCE_COLUMNS), "every row kept, vectors as halfvec");
        assertSameRows(sums, KodiaiAdoption.sums(c, List.of("code_snippets", "code_snippet_occurrences")));
        assertOurs(c, snippets, "code_snippets", "024");
        assertOurs(c, occurrences, "code_snippet_occurrences", "024");
        assertEquals("p", one(st, "SELECT attstorage FROM pg_attribute WHERE attrelid = 'code_snippets'::regclass"
            + " AND attname = 'embedding'"), "the halfvec stored inline, as our 024");
        List<String> catalog = snapshot(c);
        convertOnline(c, 24);
        assertEquals(catalog, snapshot(c), "run again after a complete run: nothing changes");
        afterConversion(st);
      }
    });
  }

  /** The bot's writes and nearest-snippet query on the converted tables: ids continue, tsv kept by trigger. */
  static void afterConversion(Statement st) throws SQLException {
    assertEquals("26 true", one(st, "INSERT INTO code_snippets (content_hash, embedded_text, embedding) VALUES"
        + " (encode(sha256('new'::bytea), 'hex'), 'return value', " + vector("26") + ") RETURNING id || ' ' ||"
        + " (tsv = to_tsvector('english', 'return value'))"), "the identity continues kodiai's sequence (25 used)");
    assertEquals("61", one(st, "INSERT INTO code_snippet_occurrences (content_hash, repo, owner, pr_number,"
        + " file_path, start_line, end_line) VALUES (encode(sha256('new'::bytea), 'hex'), 'r', 'o', 1, 'f', 1, 1)"
        + " RETURNING id"), "the identity continues kodiai's sequence (60 was used, then deleted)");
    assertEquals("26", one(st, "SELECT id FROM code_snippets ORDER BY embedding <=> " + vector("26")
        + " LIMIT 1"), "the bot's query with a float32 vector finds the nearest");
  }

  @Test
  void aSnippetOurChecksRefuseStopsTheRunBeforeItsWorkAndItResumes() throws Exception {
    withDatabase("adoptsa24bad", url -> {
      kodiaiAt020(url);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(SNIPPETS);
        st.execute("INSERT INTO code_snippets (content_hash, embedded_text) VALUES ('ABC', 'x')");
        String before = rows(c, "code_snippets", SNIPPET_COLUMNS);
        Exception e = assertThrows(SQLException.class, () -> convertOnline(c, 24));
        assertTrue(e.getMessage().contains("code_snippets_content_hash_check"), e.getMessage());
        assertEquals(before, rows(c, "code_snippets", SNIPPET_COLUMNS), "no row changed");
        assertEquals("f", valid(st, "code_snippets_content_hash_check"), "left NOT VALID: new writes are checked");
        assertEquals("vector(1024)", one(st, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE"
            + " attrelid = 'code_snippets'::regclass AND attname = 'embedding'"), "stopped before the batches");
        st.execute("UPDATE code_snippets SET content_hash = encode(sha256('abc'::bytea), 'hex') WHERE"
            + " content_hash = 'ABC'");
        convertOnline(c, 24);
        assertOurs(c, AdoptStateTablesTest.ours("adoptsa24badours", 24, "code_snippets"), "code_snippets", "024");
      }
    });
  }

  static final List<String> TABLES = List.of("code_snippets", "code_snippet_occurrences", "llm_cost_events",
      "wiki_page_popularity", "wiki_citation_events", "wiki_pr_evidence", "wiki_update_suggestions", "guardrail_audit");

  /** These tables' rows in the forms above (as ours keeps them), one string. */
  static String allRows(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      return rows(c, "code_snippets", SNIPPET_COLUMNS) + " " + rows(c, "code_snippet_occurrences", OCCURRENCE_COLUMNS)
          + " " + rows(c, "llm_cost_events", COST_COLUMNS) + " " + rows(c, "wiki_page_popularity") + " "
          + rows(c, "wiki_citation_events") + " " + one(st, EVIDENCE_DECODED) + " " + one(st, SUGGESTIONS_DECODED)
          + " " + rows(c, "guardrail_audit", AUDIT_COLUMNS);
    }
  }

  /** These tables' catalogs on a database of ours at the latest version. */
  static List<String> oursAtTheLatest() throws Exception {
    List<String> out = new java.util.ArrayList<>();
    withDatabase("adoptsaupours", url -> {
      Migrations.run(url, dir, null);
      try (Connection c = DbClient.open(url)) {
        for (String t : TABLES) out.addAll(AdoptStateTablesTest.catalogOf(c, t));
      }
    });
    return out;
  }

  @Test
  void upConvertsTheseTablesThroughTheRunnerWithTheirRowsProved() throws Exception {
    List<String> ours = oursAtTheLatest();
    withDatabase("adoptsaup", url -> {
      kodiaiDatabase(url, 5);
      String before;
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        for (String rows : List.of(POPULARITY, EVIDENCE, SUGGESTIONS, COSTS, AUDITS, SNIPPETS)) st.execute(rows);
        before = allRows(c);
      }
      var up = AdoptMigrateUpTest.migrate(url, dir, "up");
      assertEquals(0, up.code(), up.toString());
      for (String m : List.of("024-code-snippets.sql", "025-llm-cost-events.sql", "027-wiki-page-popularity.sql",
          "028-wiki-pr-evidence.sql", "029-wiki-update-suggestions.sql", "031-guardrail-audit.sql")) {
        assertTrue(up.out().contains("applied " + m + " by converting kodiai's objects with"), m + ": " + up);
      }
      for (String t : List.of("code_snippets", "code_snippet_occurrences", "llm_cost_events", "guardrail_audit")) {
        assertTrue(up.out().lines().anyMatch(l -> l.startsWith(t + " ") && l.endsWith(": equal")), t + ": " + up);
      }
      try (Connection c = DbClient.open(url)) {
        assertEquals(before, allRows(c), "every row kept");
        List<String> have = new java.util.ArrayList<>();
        for (String t : TABLES) have.addAll(AdoptStateTablesTest.catalogOf(c, t));
        assertEquals(ours, have, CatalogSnapshot.diff(ours, have));
      }
    });
  }
}
