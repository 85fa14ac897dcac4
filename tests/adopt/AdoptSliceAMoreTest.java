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
}
