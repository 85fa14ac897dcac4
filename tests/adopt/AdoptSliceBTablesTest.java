// Issue 23, conversions of kodiai's slice-B state tables (migrations/from-kodiai/<F>): each takes the table as
// kodiai's runner leaves it (bench/KodiaiFixtureSliceB.AS_KODIAI) to what our carrying migration creates (the
// table's catalog on a database of ours migrated to that version), every row kept, kodiai's sequence
// continued; a row our checks refuse is refused afterwards. Run as the runner runs a transactional
// conversion: the file in one transaction (AdoptStateTablesTest's helpers).

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdoptSliceBTablesTest extends AdoptSupport {
  /** The table's catalog lines (AdoptStateTablesTest.catalogOf) and its comment. */
  static List<String> catalogOf(Connection c, String table) throws SQLException {
    List<String> lines = new java.util.ArrayList<>(AdoptStateTablesTest.catalogOf(c, table));
    try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT obj_description('" + table
        + "'::regclass, 'pg_class')")) {
      rs.next();
      lines.add("comment " + rs.getString(1));
    }
    return lines;
  }

  /** The table's catalog and comment on a database of ours migrated to `version`. */
  static List<String> ours(String hint, int version, String table) throws Exception {
    List<List<String>> out = new java.util.ArrayList<>();
    withDatabase(hint, url -> {
      Migrations.run(url, dir, version);
      try (Connection c = DbClient.open(url)) { out.add(catalogOf(c, table)); }
    });
    assertTrue(out.get(0).size() > 1, table + " at " + version);
    return out.get(0);
  }

  /** Count and checksum of the rows, each as `row(columns)`: a cast there compares across a type change. */
  static String rowsOf(Connection c, String table, String columns) throws SQLException {
    try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) || ' ' || coalesce(md5("
        + "string_agg(row(" + columns + ")::text, '|' ORDER BY id)), '-') FROM " + table)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static long nextId(Statement st, String insert) throws SQLException {
    try (var rs = st.executeQuery(insert + " RETURNING id")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void continuationFamilyStateBecomesOur061WithItsRowsAndItsIds() throws Exception {
    List<String> ours = ours("adoptb61ours", 61, "continuation_family_state");
    withDatabase("adoptb61", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO continuation_family_state (family_key, base_review_output_key,"
            + " authoritative_attempt_id, authoritative_attempt_ordinal, authoritative_outcome, final_stop_reason,"
            + " projection_status, superseded_by_attempt_id) SELECT 'fam-' || g, 'out-' || g, 'att-' || g, g,"
            + " 'merged', 'no-follow-up', 'canonical', CASE WHEN g % 2 = 0 THEN 'att-next' END"
            + " FROM generate_series(1, 20) g");
        // an id near 2^31 the bot got from its bigserial, then the sequence beyond it
        st.execute("INSERT INTO continuation_family_state (id, family_key, base_review_output_key,"
            + " authoritative_attempt_id, authoritative_attempt_ordinal, authoritative_outcome, final_stop_reason,"
            + " projection_status) VALUES (2147483647, 'big', 'out', 'att', 2147483647, 'superseded',"
            + " 'superseded-by-newer-attempt', 'degraded')");
        st.execute("SELECT setval('continuation_family_state_id_seq', 2147483650)");
        String before = AdoptStateTablesTest.rowsOf(c, "continuation_family_state");
        AdoptStateTablesTest.convertInOneTransaction(c, "039-continuation-family-state.sql");
        assertEquals(before, AdoptStateTablesTest.rowsOf(c, "continuation_family_state"), "every row kept");
        assertEquals(ours, catalogOf(c, "continuation_family_state"), "as our 061 creates it");
        assertEquals(2147483651L, nextId(st, "INSERT INTO continuation_family_state (family_key,"
            + " base_review_output_key, authoritative_attempt_id, authoritative_attempt_ordinal,"
            + " authoritative_outcome, final_stop_reason, projection_status) VALUES ('n', 'o', 'a', 1, 'blocked',"
            + " 'no-follow-up', 'pending')"), "the identity continues kodiai's sequence");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO continuation_family_state"
            + " (family_key, base_review_output_key, authoritative_attempt_id, authoritative_attempt_ordinal,"
            + " authoritative_outcome, final_stop_reason, projection_status) VALUES ('x', 'o', 'a', 0, 'blocked',"
            + " 'no-follow-up', 'pending')"));
        assertTrue(e.getMessage().contains("continuation_family_attempt_ordinal_check"), e.getMessage());
        assertEquals(before.replaceFirst(" .*", ""), String.valueOf(
            Long.parseLong(AdoptStateTablesTest.rowsOf(c, "continuation_family_state").replaceFirst(" .*", "")) - 1),
            "the refused row changed nothing");
      }
    });
  }

  @Test
  void reviewCacheEventsBecomesOur062WithItsRowsAndItsIds() throws Exception {
    List<String> ours = ours("adoptb62ours", 62, "review_cache_events");
    withDatabase("adoptb62", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO review_cache_events (delivery_id, repo, pr_number, cache_surface, status, reason,"
            + " fingerprint_version, safety_signal_names, bookkeeping_error_count) SELECT 'd-' || g, 'o/r',"
            + " CASE WHEN g % 3 = 0 THEN NULL ELSE g END, 'review-derived-prompt', 'hit',"
            + " CASE WHEN g % 2 = 0 THEN NULL ELSE 'safe-reuse' END, CASE WHEN g % 4 = 0 THEN 'v2' END,"
            + " CASE WHEN g % 5 = 0 THEN ARRAY['a', NULL, 'b'] ELSE '{}' END, g FROM generate_series(1, 30) g");
        st.execute("INSERT INTO review_cache_events (id, delivery_id, repo, pr_number, cache_surface, status)"
            + " VALUES (2147483648, 'big', 'o/r', 2147483647, 'retrieval-query-embedding', 'bypass')");
        st.execute("DELETE FROM review_cache_events WHERE id = 30");
        String before = AdoptStateTablesTest.rowsOf(c, "review_cache_events");
        AdoptStateTablesTest.convertInOneTransaction(c, "043-review-cache-telemetry.sql");
        assertEquals(before, AdoptStateTablesTest.rowsOf(c, "review_cache_events"), "every row kept");
        List<String> catalog = catalogOf(c, "review_cache_events");
        assertEquals(ours, catalog.stream().filter(l -> !l.contains("idx_review_cache_events_repo_created")).toList(),
            "as our 062 creates it");
        assertTrue(catalog.stream().anyMatch(l -> l.contains("idx_review_cache_events_repo_created")),
            "kodiai 049's index kept for our 066: " + catalog);
        assertEquals(2147483649L, nextId(st, "INSERT INTO review_cache_events (delivery_id, repo, cache_surface,"
            + " status) VALUES ('n', 'o/r', 'review-derived-prompt', 'miss')"), "past kodiai's largest id");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO review_cache_events"
            + " (delivery_id, repo, cache_surface, status, reason) VALUES ('x', 'o/r', 'review-derived-prompt',"
            + " 'hit', 'because')"));
        assertTrue(e.getMessage().contains("review_cache_events_reason_check"), e.getMessage());
      }
    });
  }

  @Test
  void reviewCacheEventsSequenceContinuesPastDeletedIds() throws Exception {
    withDatabase("adoptb62seq", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO review_cache_events (delivery_id, repo, cache_surface, status) SELECT 'd-' || g,"
            + " 'o/r', 'review-derived-prompt', 'hit' FROM generate_series(1, 10) g");
        st.execute("DELETE FROM review_cache_events WHERE id > 7"); // purged by age: 8-10 were used
        AdoptStateTablesTest.convertInOneTransaction(c, "043-review-cache-telemetry.sql");
        assertEquals(11, nextId(st, "INSERT INTO review_cache_events (delivery_id, repo, cache_surface, status)"
            + " VALUES ('n', 'o/r', 'review-derived-prompt', 'miss')"), "no id of kodiai's given twice");
      }
    });
  }

  static final String RULE_COLUMNS = "id, created_at, updated_at, repo, title, rule_text, status, origin,"
      + " signal_score::float8, member_count, cluster_centroid, activated_at, retired_at";

  @Test
  void generatedRulesBecomesOur059WithItsRowsItsScoresAndItsIds() throws Exception {
    List<String> ours = ours("adoptb59ours", 59, "generated_rules");
    withDatabase("adoptb59", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO generated_rules (repo, title, rule_text, status, signal_score, member_count,"
            + " cluster_centroid, activated_at) SELECT 'o/r', 'rule ' || g, 'text ' || g,"
            + " CASE WHEN g % 3 = 0 THEN 'active' ELSE 'pending' END, (g % 11) / 10.0, g,"
            + " CASE WHEN g % 2 = 0 THEN array_fill(g / 7.0, ARRAY[1024])::vector END,"
            + " CASE WHEN g % 3 = 0 THEN now() END FROM generate_series(1, 25) g");
        st.execute("INSERT INTO generated_rules (id, repo, title, rule_text, status, signal_score, retired_at)"
            + " VALUES (2147483647, 'o/r', 'big', 'x', 'retired', 0.3333333, now()),"
            + " (2147483648, 'o/r', 'one', 'y', 'pending', 1, NULL)");
        String before = rowsOf(c, "generated_rules", RULE_COLUMNS);
        AdoptStateTablesTest.convertInOneTransaction(c, "035-generated-rules.sql");
        assertEquals(before, rowsOf(c, "generated_rules", RULE_COLUMNS), "every row kept, scores as doubles");
        assertEquals(ours, catalogOf(c, "generated_rules"), "as our 059 creates it");
        assertEquals(2147483649L, nextId(st, "INSERT INTO generated_rules (repo, title, rule_text)"
            + " VALUES ('o/r', 'n', 'r')"
            + " ON CONFLICT (repo, title) DO NOTHING"), "past kodiai's largest id");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO generated_rules (repo,"
            + " title, rule_text, signal_score) VALUES ('o/r', 'x', 'r', 1.5)"));
        assertTrue(e.getMessage().contains("generated_rules_signal_score_check"), e.getMessage());
      }
    });
  }

  /** The conversions of the kodiai files one migration of ours declares, joined as `up` joins them, run as one. */
  static void convertJoined(Connection c, String... kodiaiFiles) throws Exception {
    List<String> sql = new java.util.ArrayList<>();
    for (String f : kodiaiFiles) sql.add(ConversionKit.read(dir, f));
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute(String.join("\n", sql));
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  static final String[] ISSUE_SYNC = {"015-issue-sync-state.sql", "038-issue-comment-watermark.sql"};

  @Test
  void issueSyncStateBecomesOur054WithItsRowsAndItsIds() throws Exception {
    List<String> ours = ours("adoptb54ours", 54, "issue_sync_state");
    withDatabase("adoptb54", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO issue_sync_state (repo, last_synced_at, last_page_cursor, total_issues_synced,"
            + " total_comments_synced, backfill_complete, comment_last_synced_at) SELECT 'o/r' || g,"
            + " CASE WHEN g % 2 = 0 THEN now() END, CASE WHEN g % 3 = 0 THEN 'Y3Vyc29yOnYy' END, g * 1000,"
            + " 2147483647 - g, g % 2 = 0, CASE WHEN g % 4 = 0 THEN now() END FROM generate_series(1, 12) g");
        st.execute("INSERT INTO issue_sync_state (id, repo) VALUES (2147483647, 'big/one')");
        st.execute("DELETE FROM issue_sync_state WHERE id = 12");
        String before = AdoptStateTablesTest.rowsOf(c, "issue_sync_state");
        convertJoined(c, ISSUE_SYNC);
        assertEquals(before, AdoptStateTablesTest.rowsOf(c, "issue_sync_state"), "every row kept");
        assertEquals(ours, catalogOf(c, "issue_sync_state"), "as our 054 creates it");
        assertEquals(2147483648L, nextId(st, "INSERT INTO issue_sync_state (repo) VALUES ('n/r')"),
            "past kodiai's largest int4 id");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO issue_sync_state (repo,"
            + " total_issues_synced) VALUES ('x/r', -1)"));
        assertTrue(e.getMessage().contains("issue_sync_state_counts_check"), e.getMessage());
      }
    });
  }

  @Test
  void issueSyncStateWithANegativeCountStaysAsKodiaiLeftIt() throws Exception {
    withDatabase("adoptb54bad", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO issue_sync_state (repo, total_comments_synced) VALUES ('o/r', 5), ('o/s', -5)");
        List<String> catalog = snapshot(c);
        String before = AdoptStateTablesTest.rowsOf(c, "issue_sync_state");
        SQLException e = assertThrows(SQLException.class, () -> convertJoined(c, ISSUE_SYNC));
        assertTrue(e.getMessage().contains("issue_sync_state_counts_check"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertEquals(before, AdoptStateTablesTest.rowsOf(c, "issue_sync_state"), "no row changed");
      }
    });
  }

  static final String REPAIR_COLUMNS = "id, corpus, repair_key, run_id, target_model, dry_run, resumed, status,"
      + " resume_ready, created_at, updated_at, batch_index, batches_total, last_row_id, processed, repaired,"
      + " skipped, failed, CASE WHEN jsonb_typeof(failure_counts) = 'string' THEN (failure_counts #>> '{}')::jsonb"
      + " ELSE failure_counts END, last_failure_class, last_failure_message";

  /** Our 050 (jsonb_unwrap_string), which `up` applies before it reaches 056's conversion. */
  static void our050(Connection c) throws Exception {
    AdoptStateTablesTest.convertInOneTransaction(c, "../050-jsonb-unwrap-string.sql");
  }

  @Test
  void embeddingRepairStateBecomesOur056WithItsRowsUnwrappedAndItsIds() throws Exception {
    List<String> ours = ours("adoptb56ours", 56, "embedding_repair_state");
    withDatabase("adoptb56", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        // failure_counts as the bot sends it: JSON.stringify text that postgres.js encodes again (a string)
        st.execute("INSERT INTO embedding_repair_state (corpus, repair_key, run_id, target_model, status,"
            + " batch_index, last_row_id, processed, failure_counts, last_failure_class) SELECT"
            + " (ARRAY['review_comments', 'learning_memories', 'code_snippets', 'issues'])[g % 4 + 1], 'k' || g,"
            + " 'run-' || g, CASE WHEN g % 2 = 0 THEN 'voyage-4' END, 'completed', CASE WHEN g % 3 = 0 THEN g END,"
            + " 9000000000 + g, g, CASE WHEN g % 2 = 0 THEN to_jsonb(jsonb_build_object('timeout', g)::text)"
            + " ELSE jsonb_build_object('rate_limit', g) END, CASE WHEN g % 5 = 0 THEN 'timeout' END"
            + " FROM generate_series(1, 16) g");
        st.execute("INSERT INTO embedding_repair_state (id, corpus, run_id, failure_counts) VALUES"
            + " (2147483647, 'canonical_code', 'big', to_jsonb('{}'::text))");
        String before = rowsOf(c, "embedding_repair_state", REPAIR_COLUMNS);
        our050(c);
        convertJoined(c, "029-embedding-repair-state.sql", "030-reserved.sql");
        assertEquals(before, rowsOf(c, "embedding_repair_state", REPAIR_COLUMNS), "every row kept, unwrapped");
        assertEquals(ours, catalogOf(c, "embedding_repair_state"), "as our 056 creates it");
        try (var rs = st.executeQuery("SELECT count(*) FILTER (WHERE jsonb_typeof(failure_counts) <> 'object'),"
            + " (SELECT failure_counts FROM embedding_repair_state WHERE repair_key = 'k2')::text"
            + " FROM embedding_repair_state")) {
          rs.next();
          assertEquals(0, rs.getInt(1), "every failure_counts an object");
          assertEquals("{\"timeout\": 2}", rs.getString(2));
        }
        assertEquals(2147483648L, nextId(st, "INSERT INTO embedding_repair_state (corpus, run_id, failure_counts)"
            + " VALUES ('issues', 'n', to_jsonb('{\"x\": 1}'::text))"), "past kodiai's largest int4 id");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO embedding_repair_state"
            + " (corpus, run_id, failure_counts) VALUES ('wiki', 'x', '{}')"));
        assertTrue(e.getMessage().contains("embedding_repair_state_corpus_check"), e.getMessage());
      }
    });
  }

  @Test
  void embeddingRepairStateWithAnUnknownCorpusStaysAsKodiaiLeftIt() throws Exception {
    withDatabase("adoptb56bad", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO embedding_repair_state (corpus, run_id, failure_counts) VALUES"
            + " ('issues', 'a', to_jsonb('{\"t\": 1}'::text)), ('issues_x', 'b', '{}')");
        our050(c);
        List<String> catalog = snapshot(c);
        String before = AdoptStateTablesTest.rowsOf(c, "embedding_repair_state");
        SQLException e = assertThrows(SQLException.class,
            () -> convertJoined(c, "029-embedding-repair-state.sql", "030-reserved.sql"));
        assertTrue(e.getMessage().contains("embedding_repair_state_corpus_check"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertEquals(before, AdoptStateTablesTest.rowsOf(c, "embedding_repair_state"), "no row changed");
      }
    });
  }

  static final String[] PROMPT_SECTIONS = {"038-prompt-section-events.sql", "042-prompt-section-budget-outcomes.sql"};

  @Test
  void promptSectionEventsBecomesOur060WithItsRowsAndItsIds() throws Exception {
    List<String> ours = ours("adoptb60ours", 60, "prompt_section_events");
    withDatabase("adoptb60", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO prompt_section_events (delivery_id, repo, task_type, prompt_kind, section_name,"
            + " section_position, char_count, estimated_tokens, truncated, budget_chars, included_tokens,"
            + " budget_status) SELECT CASE WHEN g % 4 = 0 THEN NULL ELSE 'd-' || (g / 5) END, 'o/r', 'review',"
            + " 'main', 's' || g, g % 5, g * 100, 2147483647 - g, g % 2 = 0, CASE WHEN g % 3 = 0 THEN g END,"
            + " CASE WHEN g % 3 = 1 THEN 0 END, CASE WHEN g % 3 = 0 THEN 'trimmed' END"
            + " FROM generate_series(1, 40) g");
        st.execute("INSERT INTO prompt_section_events (id, repo, task_type, prompt_kind, section_name,"
            + " section_position) VALUES (4294967296, 'o/r', 'mention', 'main', 'big', 0)");
        String before = AdoptStateTablesTest.rowsOf(c, "prompt_section_events");
        convertJoined(c, PROMPT_SECTIONS);
        assertEquals(before, AdoptStateTablesTest.rowsOf(c, "prompt_section_events"), "every row kept");
        List<String> catalog = catalogOf(c, "prompt_section_events");
        assertEquals(ours, catalog.stream().filter(l -> !l.contains("idx_prompt_section_events_repo_created")
            && !l.contains("idx_prompt_section_events_created_at")).toList(), "as our 060 creates it");
        assertEquals(2, catalog.stream().filter(l -> l.startsWith("index ") && (l.contains("_repo_created ")
            || l.contains("_created_at "))).count(), "kodiai 049's and 050's indexes kept for our 066: " + catalog);
        assertEquals(4294967297L, nextId(st, "INSERT INTO prompt_section_events (repo, task_type, prompt_kind,"
            + " section_name, section_position) VALUES ('o/r', 'review', 'main', 'n', 0)"), "past kodiai's ids");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO prompt_section_events"
            + " (repo, task_type, prompt_kind, section_name, section_position) VALUES ('o/r', 'r', 'm', 'x', -1)"));
        assertTrue(e.getMessage().contains("prompt_section_events_counts_check"), e.getMessage());
      }
    });
  }

  static final String[] CONTRIBUTORS = {"011-contributor-profiles.sql", "037-contributor-profile-trust.sql"};
  static final String PROFILE_COLUMNS = "id, github_username, slack_user_id, display_name, overall_tier,"
      + " overall_score::float8, opted_out, created_at, updated_at, last_scored_at, trust_marker";
  static final String EXPERTISE_COLUMNS = "id, profile_id, dimension, topic, score::float8, raw_signals,"
      + " last_active, created_at, updated_at";

  @Test
  void contributorProfilesAndExpertiseBecomeOur051WithTheirRowsAndIds() throws Exception {
    List<String> oursProfiles = ours("adoptb51ours", 51, "contributor_profiles");
    List<String> oursExpertise = ours("adoptb51oursx", 51, "contributor_expertise");
    withDatabase("adoptb51", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO contributor_profiles (github_username, slack_user_id, display_name, overall_tier,"
            + " overall_score, last_scored_at, trust_marker) SELECT 'user' || g, CASE WHEN g % 2 = 0 THEN 'U' || g"
            + " END, CASE WHEN g % 3 = 0 THEN 'Name ' || g END, (ARRAY['newcomer', 'developing', 'established',"
            + " 'senior'])[g % 4 + 1], g / 7.0, CASE WHEN g % 2 = 1 THEN now() END,"
            + " CASE WHEN g % 4 = 0 THEN 'v2:calibrated' END FROM generate_series(1, 12) g");
        st.execute("INSERT INTO contributor_profiles (id, github_username) VALUES (2147483648, 'big')");
        st.execute("INSERT INTO contributor_expertise (profile_id, dimension, topic, score, raw_signals,"
            + " last_active) SELECT p.id, CASE WHEN g % 2 = 0 THEN 'language' ELSE 'file_area' END, 't' || g,"
            + " g / 3.0, g, CASE WHEN g % 3 = 0 THEN now() END FROM contributor_profiles p,"
            + " generate_series(1, 3) g");
        String profiles = rowsOf(c, "contributor_profiles", PROFILE_COLUMNS);
        String expertise = rowsOf(c, "contributor_expertise", EXPERTISE_COLUMNS);
        convertJoined(c, CONTRIBUTORS);
        assertEquals(profiles, rowsOf(c, "contributor_profiles", PROFILE_COLUMNS), "every profile kept");
        assertEquals(expertise, rowsOf(c, "contributor_expertise", EXPERTISE_COLUMNS), "every expertise row kept");
        assertEquals(oursProfiles, catalogOf(c, "contributor_profiles"), "as our 051 creates it");
        assertEquals(oursExpertise, catalogOf(c, "contributor_expertise"), "as our 051 creates it");
        assertEquals(2147483649L, nextId(st, "INSERT INTO contributor_profiles (github_username) VALUES ('n')"),
            "past kodiai's largest id");
        assertEquals(40, nextId(st, "INSERT INTO contributor_expertise (profile_id, dimension, topic)"
            + " VALUES (1, 'language', 'new')"), "kodiai's sequence continued (its 39 were used)");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO contributor_expertise"
            + " (profile_id, dimension, topic) VALUES (1, 'mood', 'x')"));
        assertTrue(e.getMessage().contains("contributor_expertise_dimension_check"), e.getMessage());
      }
    });
  }
}
