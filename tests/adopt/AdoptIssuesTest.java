// Issue 23, conversions of kodiai's review clusters (013 + 036: our 052), issue corpus (014: our 053) and issue
// triage tables (016-019 + 048: our 055), migrations/from-kodiai/<F> joined in header order as `up` joins them:
// kodiai's tables as its runner leaves them (bench/KodiaiFixtureIssues) become exactly what our migration creates
// (the catalog of those tables at that version), every row kept (vectors as halfvec, reals as doubles, JSON the
// bot double-encoded decoded once), kodiai's sequences continued; a row our CHECKs refuse stops the conversion
// with nothing half-applied; run twice, nothing changes; the online ones cut midway resume.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class AdoptIssuesTest extends AdoptSupport {
  static final String[] CLUSTER_TABLES = {"review_clusters", "review_cluster_assignments", "cluster_run_state",
      "suggestion_cluster_models"};
  static final String[] ISSUE_TABLES = {"issues", "issue_comments"};
  static final String[] TRIAGE_TABLES = {"issue_triage_state", "issue_outcome_feedback", "triage_threshold_state",
      "triage_comment_reactions"};

  /** The catalog lines naming one of the tables (columns, keys, indexes, triggers, their functions, comments). */
  static List<String> catalogOf(Connection c, String... tables) throws SQLException {
    Pattern p = Pattern.compile("(?<![a-z_])(" + String.join("|", tables) + ")(?![a-z])");
    return snapshot(c).stream().filter(l -> p.matcher(l).find()).toList();
  }

  /** The same on a database of ours migrated to `version`. */
  static List<String> ours(String hint, int version, String... tables) throws Exception {
    List<List<String>> out = new java.util.ArrayList<>();
    withDatabase(hint, url -> {
      Migrations.run(url, dir, version);
      try (Connection c = DbClient.open(url)) { out.add(catalogOf(c, tables)); }
    });
    assertTrue(out.get(0).size() > tables.length * 3, "tables at " + version + ": " + out.get(0));
    return out.get(0);
  }

  /** The SQL `up` runs for our migration `version` (the kodiai files' conversions joined, the online kit in them). */
  static String conversionOf(int version) {
    return AdoptSliceATablesTest.conversionOf(version);
  }

  /** As the runner runs a no-transaction conversion: statement by statement, each committed on its own. */
  static void convertOnline(Connection c, int version) throws Exception {
    convertOnline(c, version, Integer.MAX_VALUE);
  }

  /** The statements before the first one that contains `cut` only (a run killed there). */
  static void convertOnline(Connection c, int version, String cut) throws Exception {
    var statements = MigrationSource.split(conversionOf(version));
    int at = 0;
    while (at < statements.size() && !statements.get(at).sql().contains(cut)) at++;
    assertTrue(at < statements.size(), "no statement contains " + cut);
    try (Statement st = c.createStatement()) {
      for (var s : statements.subList(0, at)) st.execute(s.sql());
    }
  }

  static void convertOnline(Connection c, int version, int count) throws Exception {
    var statements = MigrationSource.split(conversionOf(version));
    try (Statement st = c.createStatement()) {
      for (var s : statements.subList(0, Math.min(count, statements.size()))) st.execute(s.sql());
    }
  }

  /** The conversion in one transaction (a transactional conversion, as the runner runs it). */
  static void convertInOneTransaction(Connection c, int version) throws Exception {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute(conversionOf(version));
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  static String one(Statement st, String sql) throws SQLException {
    try (var rs = st.executeQuery(sql)) {
      assertTrue(rs.next(), sql);
      return rs.getString(1);
    }
  }

  /** kodiai's review_comments key (the slice-A fixture may give it one) and rows for the assignments to reference. */
  static void reviewComments(Statement st) throws SQLException {
    st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'review_comments'::regclass"
        + " AND contype = 'p') THEN ALTER TABLE review_comments ADD PRIMARY KEY (id); END IF; END $$");
    st.execute("INSERT INTO review_comments (id, created_at, repo, owner, pr_number, comment_github_id, thread_id,"
        + " author_login, body, chunk_index, chunk_text, token_count, stale, github_created_at, deleted)"
        + " SELECT g, now(), 'o/r', 'o', g, 4153840487 + g, 't' || g, 'u', 'b', 0, 'c', 1, false, now(), false"
        + " FROM generate_series(1, 40) g");
  }

  static final String CLUSTERS = """
      INSERT INTO review_clusters (repo, slug, label, centroid, member_count, member_count_at_label, file_paths,
          pinned, retired)
        SELECT 'o/r' || g % 2, 'slug-' || g, repeat('label ', g), CASE WHEN g % 3 = 0 THEN NULL
            ELSE (SELECT array_agg((sin(g * i) / 3)::real) FROM generate_series(1, 1024) i)::vector END,
          g, g - 1, CASE WHEN g % 4 = 0 THEN '{}' ELSE ARRAY['src/a' || g || '.ts', NULL] END, g % 5 = 0, g % 2 = 0
        FROM generate_series(1, 24) g;
      INSERT INTO review_clusters (id, repo, slug, label, member_count) VALUES (4153840487, 'o/big', 'big', 'big', 0);
      SELECT setval('review_clusters_id_seq', 4153840490);
      INSERT INTO review_cluster_assignments (cluster_id, review_comment_id, probability)
        SELECT 1 + g % 24, g, CASE g % 4 WHEN 0 THEN 1 WHEN 1 THEN 0 ELSE (g / 41.0)::real END
        FROM generate_series(1, 40) g;
      DELETE FROM review_cluster_assignments WHERE id = 40;
      INSERT INTO cluster_run_state (last_run_at, clusters_discovered, comments_processed, labels_generated, status)
        VALUES (now(), 24, 40, 12, 'completed');
      INSERT INTO suggestion_cluster_models (repo, positive_centroids, negative_centroids, member_count,
          positive_member_count, negative_member_count, expires_at)
        SELECT 'o/r' || g, CASE WHEN g % 2 = 0 THEN to_jsonb('[[0.25, -1.5], [3e-7, 2]]'::text)
            ELSE '[[0.5, 0.125]]'::jsonb END,
          CASE WHEN g % 3 = 0 THEN to_jsonb('[]'::text) ELSE '[]'::jsonb END, 3, 2, 1, now() + interval '1 day'
        FROM generate_series(1, 6) g
      """;

  static final String CLUSTER_ROWS = "id, created_at, updated_at, repo, slug, label, centroid::halfvec(1024),"
      + " member_count, member_count_at_label, file_paths, label_updated_at, pinned, retired";
  static final String ASSIGNMENT_ROWS = "id, cluster_id, review_comment_id, probability::float8, assigned_at";
  static final String MODEL_ROWS = "id, created_at, updated_at, repo, " + decoded("positive_centroids") + ", "
      + decoded("negative_centroids") + ", member_count, positive_member_count, negative_member_count, built_at,"
      + " expires_at";

  /** A jsonb column's value with what the bot double-encoded decoded once. */
  static String decoded(String col) {
    return "CASE WHEN jsonb_typeof(" + col + ") = 'string' THEN (" + col + " #>> '{}')::jsonb ELSE " + col + " END";
  }

  /** Every value of the four tables, in the form both sides share. */
  static List<String> clusterRows(Connection c) throws SQLException {
    return List.of(AdoptSliceBTablesTest.rowsOf(c, "review_clusters", CLUSTER_ROWS),
        AdoptSliceBTablesTest.rowsOf(c, "review_cluster_assignments", ASSIGNMENT_ROWS),
        AdoptStateTablesTest.rowsOf(c, "cluster_run_state"),
        AdoptSliceBTablesTest.rowsOf(c, "suggestion_cluster_models", MODEL_ROWS));
  }

  /** kodiai's tables with rows, our 050 (applied by `up` before 052), kodiai's review_comments key. */
  static void clustersAsKodiai(String url, Statement st) throws Exception {
    kodiaiDatabase(url, 5);
    reviewComments(st);
    st.execute(CLUSTERS);
    AdoptStateTablesTest.convertInOneTransaction(st.getConnection(), "../050-jsonb-unwrap-string.sql");
  }

  @Test
  void reviewClustersBecomeOur052OnlineWithTheirRowsAndTheirIds() throws Exception {
    List<String> ours = ours("adoptis52ours", 52, CLUSTER_TABLES);
    withDatabase("adoptis52", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        clustersAsKodiai(url, st);
        List<String> rows = clusterRows(c);
        var sums = KodiaiAdoption.sums(c, List.of("review_clusters", "review_cluster_assignments"));
        convertOnline(c, 52);
        assertEquals(rows, clusterRows(c), "every row kept");
        assertSameRows(sums, KodiaiAdoption.sums(c, List.of("review_clusters", "review_cluster_assignments")));
        assertEquals("", CatalogSnapshot.diff(ours, catalogOf(c, CLUSTER_TABLES)), "as our 052 creates them");
        assertEquals("p", one(st, "SELECT attstorage FROM pg_attribute WHERE attrelid = 'review_clusters'::regclass"
            + " AND attname = 'centroid'"), "centroid stored inline");
        convertOnline(c, 52);
        assertEquals("", CatalogSnapshot.diff(ours, catalogOf(c, CLUSTER_TABLES)), "run again: nothing changes");
        assertEquals(rows, clusterRows(c), "run again: every row kept");
        assertEquals("4153840491", one(st, "INSERT INTO review_clusters (repo, slug, label) VALUES ('o/r', 'n', 'n')"
            + " RETURNING id"), "the identity continues kodiai's sequence");
        assertEquals("41", one(st, "INSERT INTO review_cluster_assignments (cluster_id, review_comment_id)"
            + " VALUES (2, 40) RETURNING id"), "kodiai's sequence continued (40 was used, then deleted)");
        assertEquals("array", one(st, "INSERT INTO suggestion_cluster_models (repo, positive_centroids, expires_at)"
            + " VALUES ('n/r', to_jsonb('[[1]]'::text), now()) RETURNING jsonb_typeof(positive_centroids)"),
            "what the bot double-encodes is stored as the array");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("UPDATE review_cluster_assignments"
            + " SET probability = 1.5 WHERE id = 1"));
        assertTrue(e.getMessage().contains("review_cluster_assignments_probability_check"), e.getMessage());
      }
    });
  }

  @Test
  void aClusterOurChecksRefuseStopsAtItsValidateAndResumesOnceFixed() throws Exception {
    withDatabase("adoptis52bad", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        clustersAsKodiai(url, st);
        st.execute("UPDATE review_clusters SET member_count = -1 WHERE id = 3");
        List<String> rows = clusterRows(c);
        SQLException e = assertThrows(SQLException.class, () -> convertOnline(c, 52));
        assertTrue(e.getMessage().contains("review_clusters_counts_check"), e.getMessage());
        assertEquals(rows, clusterRows(c), "no row changed");
        String valid = "SELECT convalidated FROM pg_constraint WHERE conname = 'review_clusters_counts_check'";
        assertEquals("f", one(st, valid), "left NOT VALID: new writes are checked");
        st.execute("UPDATE review_clusters SET member_count = 0 WHERE id = 3");
        convertOnline(c, 52);
        assertEquals("t", one(st, valid), "run again once the row is fixed");
      }
    });
  }

  @Test
  void reviewClustersCutMidwayResume() throws Exception {
    List<String> ours = ours("adoptis52cutours", 52, CLUSTER_TABLES);
    String[] cuts = {"prepare('review_cluster_assignments'", "swap('review_cluster_assignments'",
        "bigserial_identity('suggestion_cluster_models')", "IF EXISTS idx_review_clusters_repo",
        "VALIDATE CONSTRAINT review_cluster_assignments_review_comment_id_fkey",
        "VALIDATE CONSTRAINT cluster_run_state"};
    for (int i = 0; i < cuts.length; i++) {
      String at = cuts[i];
      withDatabase("adoptis52cut" + i, url -> {
        try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
          clustersAsKodiai(url, st);
          List<String> rows = clusterRows(c);
          convertOnline(c, 52, at);
          try (Connection again = DbClient.open(url)) { convertOnline(again, 52); }
          assertEquals(rows, clusterRows(c), "cut before " + at + ", resumed: every row kept");
          assertEquals("", CatalogSnapshot.diff(ours, catalogOf(c, CLUSTER_TABLES)), "cut before " + at);
        }
      });
    }
  }

  static final String ISSUES = """
      INSERT INTO issues (repo, owner, issue_number, title, body, state, author_login, author_association,
          label_names, template_slug, comment_count, assignees, milestone, reaction_count, is_pull_request, locked,
          embedding, embedding_model, github_created_at, github_updated_at, closed_at)
        SELECT 'xbmc/xbmc', 'xbmc', g, CASE WHEN g = 7 THEN repeat('a long title ', 3000) ELSE 'Issue ' || g END,
          CASE WHEN g % 5 = 0 THEN NULL ELSE 'body of ' || g END, CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END,
          'user' || g % 4, CASE WHEN g % 2 = 0 THEN 'MEMBER' END,
          CASE WHEN g % 4 = 0 THEN '{}' ELSE ARRAY['bug', 'v' || g] END, NULL, g % 7,
          CASE g % 4 WHEN 0 THEN to_jsonb('["alice","bob"]'::text) WHEN 1 THEN '["carol"]'::jsonb
            WHEN 2 THEN NULL ELSE '[]'::jsonb END,
          CASE WHEN g % 6 = 0 THEN 'v21' END, g % 3, g % 8 = 0, g % 9 = 0,
          CASE WHEN g % 4 = 1 THEN NULL
            ELSE (SELECT array_agg((cos(g * i) / 2)::real) FROM generate_series(1, 1024) i)::vector END,
          CASE WHEN g % 4 = 2 THEN 'voyage-code-3' ELSE 'voyage-4' END, now() - g * interval '1 day',
          CASE WHEN g % 2 = 0 THEN now() END, CASE WHEN g % 3 = 0 THEN now() END
        FROM generate_series(1, 30) g;
      INSERT INTO issues (id, repo, owner, issue_number, title, author_login, github_created_at)
        VALUES (4153840487, 'xbmc/xbmc', 'xbmc', 2147483647, 'big', 'u', now());
      SELECT setval('issues_id_seq', 4153840490);
      INSERT INTO issue_comments (repo, issue_number, comment_github_id, author_login, author_association, body,
          embedding, embedding_model, github_created_at, github_updated_at)
        SELECT 'xbmc/xbmc', 1 + g % 30, 4153840487 + g, 'user' || g % 3, CASE WHEN g % 2 = 0 THEN 'NONE' END,
          CASE WHEN g = 5 THEN repeat('x', 50000) ELSE 'comment ' || g END,
          CASE WHEN g % 3 = 0 THEN NULL
            ELSE (SELECT array_agg((sin(g + i) / 4)::real) FROM generate_series(1, 1024) i)::vector END,
          'voyage-4', now() - g * interval '1 hour', CASE WHEN g % 2 = 1 THEN now() END
        FROM generate_series(1, 45) g;
      DELETE FROM issue_comments WHERE id = 45
      """;

  static final String ISSUE_ROWS = "id, created_at, repo, owner, issue_number, title, body, state, author_login,"
      + " author_association, label_names, template_slug, comment_count, " + decoded("assignees") + ", milestone,"
      + " reaction_count, is_pull_request, locked,"
      + " embedding::halfvec(1024), embedding_model, search_tsv, github_created_at, github_updated_at, closed_at";
  static final String COMMENT_ROWS = "id, created_at, repo, issue_number, comment_github_id, author_login,"
      + " author_association, body, embedding::halfvec(1024), embedding_model, search_tsv, github_created_at,"
      + " github_updated_at";

  static List<String> issueRows(Connection c) throws SQLException {
    return List.of(AdoptSliceBTablesTest.rowsOf(c, "issues", ISSUE_ROWS),
        AdoptSliceBTablesTest.rowsOf(c, "issue_comments", COMMENT_ROWS));
  }

  static void issuesAsKodiai(String url, Statement st) throws Exception {
    kodiaiDatabase(url, 5);
    st.execute(ISSUES);
    AdoptStateTablesTest.convertInOneTransaction(st.getConnection(), "../050-jsonb-unwrap-string.sql");
  }

  /** kodiai 051's index, kept for our 066 (same definition). */
  static List<String> without051(List<String> catalog) {
    return catalog.stream().filter(l -> !l.contains("idx_issue_comments_repo_issue_created")).toList();
  }

  @Test
  void issuesBecomeOur053OnlineWithTheirRowsVectorsAndIds() throws Exception {
    List<String> ours = ours("adoptis53ours", 53, ISSUE_TABLES);
    withDatabase("adoptis53", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        issuesAsKodiai(url, st);
        List<String> rows = issueRows(c);
        var sums = KodiaiAdoption.sums(c, List.of(ISSUE_TABLES));
        convertOnline(c, 53);
        assertEquals(rows, issueRows(c), "every row kept");
        assertSameRows(sums, KodiaiAdoption.sums(c, List.of(ISSUE_TABLES)));
        List<String> catalog = catalogOf(c, ISSUE_TABLES);
        assertEquals("", CatalogSnapshot.diff(ours, without051(catalog)), "as our 053 creates them");
        assertTrue(catalog.stream().anyMatch(l -> l.contains("idx_issue_comments_repo_issue_created")), "051's kept");
        assertEquals("p p", one(st, "SELECT string_agg(attstorage::text, ' ') FROM pg_attribute WHERE attname ="
            + " 'embedding' AND attrelid IN ('issues'::regclass, 'issue_comments'::regclass)"), "stored inline");
        convertOnline(c, 53);
        assertEquals("", CatalogSnapshot.diff(ours, without051(catalogOf(c, ISSUE_TABLES))), "run again: no change");
        assertEquals(rows, issueRows(c), "run again: every row kept");
        botWritesAndReads(st);
      }
    });
  }

  /** The bot's statements on the converted tables: ids continue kodiai's, vectors and double-encoded JSON go in. */
  static void botWritesAndReads(Statement st) throws SQLException {
    String vec = "(SELECT array_agg(i / 1024.0)::vector FROM generate_series(1, 1024) i)";
    assertEquals("4153840491 array", one(st, "INSERT INTO issues (repo, owner, issue_number, title, author_login,"
        + " github_created_at, assignees, embedding) VALUES ('xbmc/xbmc', 'xbmc', 99, 'New', 'u', now(),"
        + " to_jsonb('[\"dave\"]'::text), " + vec + ") RETURNING id || ' ' || jsonb_typeof(assignees)"),
        "kodiai's sequence continued, the double-encoded array stored as the array");
    assertEquals("46", one(st, "INSERT INTO issue_comments (repo, issue_number, comment_github_id, author_login,"
        + " body, github_created_at) VALUES ('xbmc/xbmc', 1, 1, 'u', 'b', now()) RETURNING id"), "45 was used");
    assertEquals("99", one(st, "SELECT issue_number FROM issues WHERE embedding IS NOT NULL ORDER BY embedding <=> "
        + vec + " LIMIT 1"), "the bot's nearest-issue query");
    SQLException e = assertThrows(SQLException.class, () -> st.execute("UPDATE issues SET state = 'merged'"
        + " WHERE issue_number = 99"));
    assertTrue(e.getMessage().contains("issues_state_check"), e.getMessage());
  }

  @Test
  void anIssueOurChecksRefuseStopsAtItsValidateAndResumesOnceFixed() throws Exception {
    withDatabase("adoptis53bad", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        issuesAsKodiai(url, st);
        st.execute("UPDATE issues SET state = 'reopened' WHERE issue_number = 4");
        List<String> rows = issueRows(c);
        SQLException e = assertThrows(SQLException.class, () -> convertOnline(c, 53));
        assertTrue(e.getMessage().contains("issues_state_check"), e.getMessage());
        assertEquals(rows, issueRows(c), "no row changed");
        assertEquals("f", one(st, "SELECT convalidated FROM pg_constraint WHERE conname = 'issues_state_check'"),
            "left NOT VALID: new writes are checked");
        st.execute("UPDATE issues SET state = 'open' WHERE issue_number = 4");
        convertOnline(c, 53);
        assertEquals("t", one(st, "SELECT convalidated FROM pg_constraint WHERE conname = 'issues_state_check'"));
      }
    });
  }

  @Test
  void assigneesThatAreNotJsonStopTheConversionBeforeAnythingChanged() throws Exception {
    withDatabase("adoptis53json", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        issuesAsKodiai(url, st);
        st.execute("UPDATE issues SET assignees = to_jsonb('alice, bob'::text) WHERE issue_number = 2");
        List<String> catalog = snapshot(c);
        String rows = AdoptStateTablesTest.rowsOf(c, "issues");
        assertThrows(SQLException.class, () -> convertOnline(c, 53));
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertEquals(rows, AdoptStateTablesTest.rowsOf(c, "issues"), "no row changed");
      }
    });
  }

  @Test
  void issuesCutMidwayResume() throws Exception {
    List<String> ours = ours("adoptis53cutours", 53, ISSUE_TABLES);
    String[] cuts = {"SET assignees = assignees", "prepare('issue_comments'", "swap('issue_comments'",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_issue_comments_embedding_hnsw", "DROP TRIGGER trg_issues",
        "VALIDATE CONSTRAINT issues_counts_check"};
    for (int i = 0; i < cuts.length; i++) {
      String at = cuts[i];
      withDatabase("adoptis53cut" + i, url -> {
        try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
          issuesAsKodiai(url, st);
          List<String> rows = issueRows(c);
          convertOnline(c, 53, at);
          st.execute("INSERT INTO issues (repo, owner, issue_number, title, author_login, github_created_at,"
              + " assignees) VALUES ('xbmc/xbmc', 'xbmc', 500, 'midway', 'u', now(), to_jsonb('[\"e\"]'::text))");
          try (Connection again = DbClient.open(url)) { convertOnline(again, 53); }
          st.execute("DELETE FROM issues WHERE issue_number = 500");
          assertEquals(rows, issueRows(c), "cut before " + at + ", resumed: every row kept");
          assertEquals("", CatalogSnapshot.diff(ours, without051(catalogOf(c, ISSUE_TABLES))), "cut at " + at);
        }
      });
    }
  }

  static final String TRIAGE = """
      INSERT INTO issue_triage_state (repo, issue_number, triaged_at, delivery_id, duplicate_count, comment_github_id)
        SELECT 'xbmc/xbmc', g, now() - g * interval '1 hour', 'd-' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE g % 4 END,
          CASE WHEN g % 2 = 0 THEN 4153840487 + g END
        FROM generate_series(1, 20) g;
      INSERT INTO issue_triage_state (id, repo, issue_number, delivery_id) VALUES (4153840487, 'o/big', 1, 'big');
      INSERT INTO issue_outcome_feedback (repo, issue_number, triage_id, outcome, kodiai_predicted_duplicate,
          confirmed_duplicate, duplicate_of_issue_number, state_reason, label_names, delivery_id)
        SELECT 'xbmc/xbmc', g, CASE WHEN g % 4 = 0 THEN NULL ELSE g END,
          (ARRAY['duplicate', 'completed', 'not_planned', 'unknown'])[g % 4 + 1], g % 2 = 0, g % 4 = 0,
          CASE WHEN g % 4 = 0 THEN g + 100 END, CASE WHEN g % 3 = 0 THEN 'not_planned' END,
          CASE WHEN g % 2 = 0 THEN ARRAY['duplicate'] ELSE '{}' END, 'close-' || g
        FROM generate_series(1, 12) g;
      INSERT INTO triage_threshold_state (repo, alpha, beta_, sample_count)
        VALUES ('xbmc/xbmc', 3.25, 1.0000001, 4), ('o/r', 1, 1, 0);
      INSERT INTO triage_comment_reactions (repo, issue_number, triage_id, comment_github_id, thumbs_up, thumbs_down,
          observation_recorded, observation_direction)
        SELECT 'xbmc/xbmc', g, g, 4153840487 + g, g % 3, g % 2, g % 2 = 0, CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN 'up'
          ELSE 'down' END
        FROM generate_series(2, 20, 2) g;
      DELETE FROM issue_outcome_feedback WHERE issue_number = 12;
      SELECT setval('triage_threshold_state_id_seq', 70)
      """;

  static List<String> triageRows(Connection c) throws SQLException {
    List<String> out = new java.util.ArrayList<>();
    for (String t : TRIAGE_TABLES) out.add(AdoptStateTablesTest.rowsOf(c, t));
    return out;
  }

  /** kodiai 049's index, kept for our 066 (same definition). */
  static List<String> without049(List<String> catalog) {
    return catalog.stream().filter(l -> !l.contains("idx_issue_triage_recent_comment_reactions")).toList();
  }

  @Test
  void issueTriageBecomesOur055WithItsRowsAndItsIds() throws Exception {
    List<String> ours = ours("adoptis55ours", 55, TRIAGE_TABLES);
    withDatabase("adoptis55", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(TRIAGE);
        List<String> rows = triageRows(c);
        convertInOneTransaction(c, 55);
        assertEquals(rows, triageRows(c), "every row kept");
        List<String> catalog = catalogOf(c, TRIAGE_TABLES);
        assertEquals("", CatalogSnapshot.diff(ours, without049(catalog)), "as our 055 creates them");
        assertTrue(catalog.stream().anyMatch(l -> l.contains("idx_issue_triage_recent_comment_reactions")), "049's");
        assertEquals("4153840488", one(st, "INSERT INTO issue_triage_state (repo, issue_number, delivery_id)"
            + " VALUES ('n/r', 1, 'n') RETURNING id"), "past kodiai's largest id");
        assertEquals("13", one(st, "INSERT INTO issue_outcome_feedback (repo, issue_number, outcome, delivery_id)"
            + " VALUES ('n/r', 1, 'completed', 'n') RETURNING id"), "12 was used, then deleted");
        assertEquals("71", one(st, "INSERT INTO triage_threshold_state (repo) VALUES ('n/r') RETURNING id"),
            "where kodiai's sequence stood");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO triage_comment_reactions"
            + " (repo, issue_number, triage_id, comment_github_id, observation_direction) VALUES ('n/r', 9, 2, 1,"
            + " 'sideways')"));
        assertTrue(e.getMessage().contains("triage_comment_reactions_observation_direction_check"), e.getMessage());
      }
    });
  }

  @Test
  void aTriageRowOurChecksRefuseLeavesKodiaisTablesAsTheyWere() throws Exception {
    withDatabase("adoptis55bad", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(TRIAGE);
        st.execute("UPDATE issue_outcome_feedback SET outcome = 'wontfix' WHERE issue_number = 3");
        List<String> catalog = snapshot(c);
        List<String> rows = triageRows(c);
        SQLException e = assertThrows(SQLException.class, () -> convertInOneTransaction(c, 55));
        assertTrue(e.getMessage().contains("issue_outcome_feedback_outcome_check"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertEquals(rows, triageRows(c), "no row changed");
      }
    });
  }

  @Test
  void upProvesTheClusterAndIssueTablesAroundTheirConversionsOnly() {
    MigrationSource s = MigrationSource.load(dir);
    var m52 = s.byVersion(52);
    var m53 = s.byVersion(53);
    assertEquals(List.of("review_cluster_assignments", "review_clusters"), KodiaiAdoption.provedTables(
        m52.converted(List.of("013-review-clusters.sql", "036-suggestion-cluster-models.sql"), conversionOf(52))));
    assertEquals(List.of("issue_comments", "issues"),
        KodiaiAdoption.provedTables(m53.converted(List.of("014-issues.sql"), conversionOf(53))));
    assertEquals(List.of(), KodiaiAdoption.provedTables(m53), "applied as ours (no conversion): nothing to prove");
    assertEquals(List.of(), KodiaiAdoption.provedTables(s.byVersion(55).converted(List.of(), conversionOf(55))));
  }

  @Test
  void issuesCancelledInTheMiddleOfTheirBatchesResume() throws Exception {
    List<String> ours = ours("adoptis53cancelours", 53, ISSUE_TABLES);
    withDatabase("adoptis53cancel", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        issuesAsKodiai(url, st);
        // 6,000 comments with vectors: three batches of 2,000 rows, each committed
        st.execute("INSERT INTO issue_comments (repo, issue_number, comment_github_id, author_login, body, embedding,"
            + " github_created_at) SELECT 'xbmc/xbmc', 1 + g % 30, g, 'u', 'c' || g, (SELECT array_agg(random()::real)"
            + " FROM generate_series(1, 1024) WHERE g > 0)::vector, now() FROM generate_series(1, 6000) g");
        List<String> rows = issueRows(c);
        var result = new java.util.concurrent.CompletableFuture<SQLException>();
        try (Connection bot = DbClient.open(url); Statement holder = bot.createStatement()) {
          // once the conversion added the comments' new column, the bot holds a row of the last batch: the first
          // batches commit, the last waits (and retries) until it is cancelled
          Thread conversion = new Thread(() -> {
            try (Connection conv = DbClient.open(url)) {
              convertOnline(conv, 53);
              result.complete(null);
            } catch (Exception e) {
              result.complete(e instanceof SQLException q ? q : new SQLException(e));
            }
          });
          conversion.start();
          for (int i = 0; i < 3000 && !hasAdoptColumn(st); i++) Thread.sleep(10);
          bot.setAutoCommit(false);
          holder.execute("SELECT 1 FROM issue_comments WHERE id = 5500 FOR UPDATE");
          String midway = "SELECT count(embedding_adopt) FROM issue_comments";
          for (int i = 0; i < 600 && Long.parseLong(copied(st)) < 3900; i++) Thread.sleep(100);
          assertEquals("1", one(st, "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE query LIKE"
              + " 'CALL pg_temp.prepare(''issue_comments''%'"), "the conversion is in the comments' batches");
          SQLException e = result.get(60, java.util.concurrent.TimeUnit.SECONDS);
          assertNotNull(e, "cancelled");
          assertTrue(e.getMessage().contains("canceling statement"), e.getMessage());
          long kept = Long.parseLong(one(st, midway));
          assertTrue(kept >= 3900 && kept < 6000, "the first batches stay committed, the last not: " + kept);
          bot.rollback();
        }
        try (Connection again = DbClient.open(url)) { convertOnline(again, 53); }
        assertEquals(rows, issueRows(c), "every row kept");
        assertEquals("", CatalogSnapshot.diff(ours, without051(catalogOf(c, ISSUE_TABLES))), "as our 053 creates them");
      }
    });
  }

  static boolean hasAdoptColumn(Statement st) throws SQLException {
    return one(st, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'issue_comments'::regclass"
        + " AND attname = 'embedding_adopt'").equals("1");
  }

  /** How many comments have their halfvec copy (0 before the column exists). */
  static String copied(Statement st) throws SQLException {
    return hasAdoptColumn(st) ? one(st, "SELECT count(embedding_adopt) FROM issue_comments") : "0";
  }
}
