// Tests of migrations 004 (issue 13) and 067 (issue 21) on a real PostgreSQL: every jsonb column
// has a CHECK on its shape; a JSON string holding the right shape (what stock postgres.js sends
// for ${JSON.stringify(x)}) is stored as that shape, everything else is refused; JSON kept as text
// parses as its shape; rows written double-encoded before 004 are repaired by it, and a value it
// cannot repair stops it with nothing changed. The driver's side of the same
// contract is tested through postgres.js in tests/client/PostgresJsContractTest.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SchemaJsonShapeTest extends SchemaFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  /** table.column, the shape its store writes, and an INSERT with {} where the JSON goes. */
  record JsonColumn(String table, String column, String shape, String insert) {}

  /**
   * jsonb columns kodiai writes with `${JSON.stringify(x)}` and never reads: migration 067's
   * trigger stores the JSON a JSON string holds (once); the CHECK refuses every other shape.
   */
  static final List<JsonColumn> COLUMNS = List.of(
      new JsonColumn("reviews", "config_snapshot", "object",
          "INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('kodiai/json', 1, {})"),
      new JsonColumn("dep_bump_merge_history", "signals_json", "array",
          "INSERT INTO dep_bump_merge_history (repo, pr_number, signals_json) VALUES ('kodiai/json', (SELECT coalesce(max(pr_number), 0) + 1 FROM dep_bump_merge_history), {})"),
      new JsonColumn("dep_bump_merge_history", "merge_confidence_rationale_json", "array",
          "INSERT INTO dep_bump_merge_history (repo, pr_number, merge_confidence_rationale_json) VALUES ('kodiai/json', (SELECT coalesce(max(pr_number), 0) + 1 FROM dep_bump_merge_history), {})"));

  /** JSON kept as text since 067 (kodiai sends and reads the text); CHECK: it parses as the shape. */
  static final List<JsonColumn> TEXT_COLUMNS = List.of(
      new JsonColumn("suppression_log", "finding_ids", "array",
          "INSERT INTO suppression_log (review_id, pattern, finding_ids) VALUES ((SELECT min(id) FROM reviews), 'p', {})"),
      new JsonColumn("review_checkpoints", "checkpoint_data", "object",
          "INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data) VALUES ('k-' || gen_random_uuid(), 'kodiai/json', 1, {})"));

  /**
   * The jsonb columns of kodiai's tables of slice A (migrations 020-032). Their BEFORE triggers decode a
   * double-encoded value once, so the loop below does not fit them: KodiaiSliceAStoreQueriesTest tests each.
   */
  static final List<String> KODIAI_SLICE_A = List.of("webhook_queue.headers", "wiki_pr_evidence.issue_references",
      "wiki_update_suggestions.citing_prs", "wiki_update_suggestions.voice_scores", "wiki_style_cache.style_description",
      "guardrail_audit.removed_claims");
  /** The jsonb columns of issue 21's slice B (050-062), tested in KodiaiSliceBStoreQueriesTest. */
  static final List<String> SLICE_B_JSONB = List.of("embedding_repair_state.failure_counts", "issues.assignees",
      "review_graph_edges.attributes", "review_graph_nodes.attributes", "suggestion_cluster_models.negative_centroids",
      "suggestion_cluster_models.positive_centroids");

  @BeforeAll static void migrateTheClassDatabase() throws SQLException {
    migrateToLatest(db);
    try (Connection c = db.connect()) { insertReview(c, "kodiai/json", 1); }
  }

  /** Catalog-wide, so a jsonb column added later without its guard fails here. */
  @Test void everyJsonbColumnHasACheckOnItsShape() throws Exception {
    List<String> jsonb = new ArrayList<>(), unguarded = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("""
             SELECT a.attrelid::regclass || '.' || a.attname,
                    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = a.attrelid AND k.contype = 'c'
                            AND k.conkey = ARRAY[a.attnum]
                            AND pg_get_constraintdef(k.oid) ~ ('jsonb_typeof\\(' || quote_ident(a.attname) || '\\) = ''(object|array)''::text'))
             FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
             WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'r' AND a.atttypid = 'jsonb'::regtype
               AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY 1""")) {
      while (rs.next()) {
        jsonb.add(rs.getString(1));
        if (!rs.getBoolean(2)) unguarded.add(rs.getString(1));
      }
    }
    List<String> known = new ArrayList<>(KODIAI_SLICE_A);
    known.addAll(SLICE_B_JSONB);
    COLUMNS.forEach(j -> known.add(j.table() + "." + j.column()));
    assertEquals(known.stream().sorted().toList(), jsonb.stream().sorted().toList(), "the jsonb columns this test knows");
    assertEquals(List.of(), unguarded, "jsonb columns without a shape CHECK");
  }

  /** A good value of the column's shape, and one of the other shape, as JSON text. */
  private static String good(JsonColumn j) { return j.shape().equals("object") ? "{\"a\": [1, 2]}" : "[\"title\", \"sender\"]"; }
  private static String other(JsonColumn j) { return j.shape().equals("object") ? "[1]" : "{\"a\": 1}"; }

  private static void assertRefused(Connection c, JsonColumn j, String value, String sqlState) {
    SQLException e = assertThrows(SQLException.class, () -> exec(c, j.insert().replace("{}", value)), j + " " + value);
    assertEquals(sqlState, e.getSQLState(), j.column() + " = " + value + ": " + e.getMessage());
    if (sqlState.equals("23514")) assertTrue(e.getMessage().contains(j.table() + "_" + j.column() + "_check"), e.getMessage());
  }

  @Test void eachJsonbColumnTakesItsShapeOnceEncodedOrNotButRefusesEverythingElse() throws Exception {
    try (Connection c = db.connect()) {
      for (JsonColumn j : COLUMNS) {
        String g = "'" + good(j) + "'", o = "'" + other(j) + "'";
        exec(c, j.insert().replace("{}", g));
        exec(c, j.insert().replace("{}", "NULL"));
        // what stock postgres.js sends for ${JSON.stringify(value)}: stored as the value itself
        exec(c, j.insert().replace("{}", "to_jsonb(" + g + "::text)"));
        assertEquals(0, longOf(c, "SELECT count(*) FROM " + j.table() + " WHERE jsonb_typeof(" + j.column() + ") = 'string'"));
        for (String bad : List.of("to_jsonb(" + o + "::text)", "to_jsonb(to_jsonb(" + g + "::text)::text)", "'42'", "'true'", "'null'", o)) {
          assertRefused(c, j, bad, "23514");
        }
        assertRefused(c, j, "to_jsonb('medium'::text)", "22P02");
      }
    }
  }

  @Test void eachJsonTextColumnKeepsTheTextOfItsShapeAndRefusesEverythingElse() throws Exception {
    try (Connection c = db.connect()) {
      for (JsonColumn j : TEXT_COLUMNS) {
        String g = good(j);
        exec(c, j.insert().replace("{}", "'" + g + "'"));
        assertEquals(1, longOf(c, "SELECT count(*) FROM " + j.table() + " WHERE " + j.column() + " = '" + g + "'"), "kept verbatim");
        if (!j.column().equals("checkpoint_data")) exec(c, j.insert().replace("{}", "NULL")); // NOT NULL there
        String doubleEncoded = "'\"" + g.replace("\"", "\\\"") + "\"'";
        for (String bad : List.of(doubleEncoded, "'42'", "'true'", "'null'", "'" + other(j) + "'")) assertRefused(c, j, bad, "23514");
        assertRefused(c, j, "'medium'", "22P02");
      }
    }
  }

  @Test void rowsWrittenDoubleEncodedBefore004AreRepairedByIt() throws Exception {
    withDatabase("jsonrepair", url -> {
      assertEquals(3, Migrations.run(url, dir, 3));
      try (Connection c = DbClient.open(url)) {
        insertReview(c, "kodiai/old", 1);
        // what stock postgres.js stored for ${JSON.stringify(value)}: the JSON text as a JSON string
        exec(c, "UPDATE reviews SET config_snapshot = to_jsonb('{\"model\": \"claude\", \"n\": 3}'::text)");
        exec(c, "INSERT INTO dep_bump_merge_history (repo, pr_number, signals_json, merge_confidence_rationale_json) VALUES"
            + " ('kodiai/old', 1, to_jsonb('[\"title\",\"sender\"]'::text), to_jsonb('[\"patch\"]'::text)),"
            + " ('kodiai/old', 2, '[\"already\"]', NULL)");
        exec(c, "INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data)"
            + " VALUES ('k1', 'kodiai/old', 1, to_jsonb('{\"findingCount\": 2}'::text))");
      }
      assertEquals(1, Migrations.run(url, dir, 4));
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        ResultSet rs = st.executeQuery("SELECT (SELECT config_snapshot::text FROM reviews),"
            + " (SELECT string_agg(signals_json::text || ' ' || coalesce(merge_confidence_rationale_json::text, 'NULL'), ' | ' ORDER BY pr_number) FROM dep_bump_merge_history),"
            + " (SELECT checkpoint_data::text FROM review_checkpoints)");
        assertTrue(rs.next());
        assertEquals("{\"n\": 3, \"model\": \"claude\"}", rs.getString(1));
        assertEquals("[\"title\", \"sender\"] [\"patch\"] | [\"already\"] NULL", rs.getString(2));
        assertEquals("{\"findingCount\": 2}", rs.getString(3));
      }
    });
  }

  @Test void aStringThatIsNotJsonStops004AndLeavesEverythingAsItWas() throws Exception {
    withDatabase("jsonstop", url -> {
      assertEquals(3, Migrations.run(url, dir, 3));
      try (Connection c = DbClient.open(url)) {
        exec(c, "INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('kodiai/a', 1, to_jsonb('{\"ok\": 1}'::text)),"
            + " ('kodiai/b', 2, to_jsonb('medium'::text))");
      }
      List<String> at3 = snapshot(url);
      MigrationException e = assertThrows(MigrationException.class, () -> Migrations.run(url, dir, 4));
      var noTx = assertInstanceOf(MigrationException.NoTransactionFailed.class, e.kind(), e.getMessage());
      var failed = assertInstanceOf(MigrationException.StatementFailed.class, noTx.cause(), e.getMessage());
      assertEquals(List.of("004-jsonb-shape-checks.sql", "22P02"), List.of(failed.file(), failed.sqlState()), e.getMessage());
      assertEquals("", CatalogSnapshot.diff(at3, snapshot(url)), "no constraint of 004 was added");
      try (Connection c = DbClient.open(url)) {
        assertEquals(3, longOf(c, "SELECT max(version) FROM _migrations WHERE status = 'applied'"));
        assertEquals(2, longOf(c, "SELECT count(*) FROM reviews WHERE jsonb_typeof(config_snapshot) = 'string'"), "not half-repaired");
      }
    });
  }
}
