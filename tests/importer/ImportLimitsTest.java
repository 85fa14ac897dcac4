// Issue 10, item 10: migration 005 lets every title / file path a SQLite file can hold in,
// keeps the repo + title and file path lookups on an index (EXPLAIN), and rolls back to
// exactly the schema before it. Also: the importer's JSON reading agrees with jsonb.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ImportLimitsTest extends ImportFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @BeforeAll static void migrate() { migrateToLatest(db); }

  static String incompressible(int chars, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder();
    while (sb.length() < chars) sb.append(Long.toString(r.nextLong(), 36));
    return sb.substring(0, chars);
  }

  @Test void migration005RollsBackToExactlyTheSchemaBeforeIt() throws Exception {
    withDatabase("limits005", url -> {
      Migrations.run(url, migrations(), 3);
      List<String> at3 = snapshot(url);
      Migrations.run(url, migrations(), 5);
      List<String> at5 = snapshot(url);
      assertNotEquals(at3, at5);
      Migrations.rollback(url, migrations(), 3);
      assertEquals("", CatalogSnapshot.diff(at3, snapshot(url)));
      try (Connection c = DbClient.open(url)) { // and 003's btree refuses what 005 takes
        long review = insertReview(c, "acme/api", 1);
        long finding = insertFinding(c, review, "t", null);
        SQLException e = assertThrows(SQLException.class, () -> exec(c, "INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface,"
            + " reaction_id, reaction_content, reactor_login, severity, category, file_path, title) VALUES ('acme/api', " + review + ", " + finding
            + ", 1, 's', 1, '+1', 'u', 'minor', 'style', 'f', '" + incompressible(3000, 1) + "')"));
        assertTrue(e.getMessage().contains("idx_feedback_reactions_repo_title"), e.getMessage());
      }
    });
  }

  @Test void longTitlesAndPathsFitAndTheLookupsStayOnAnIndex() throws Exception {
    try (Connection c = db.connect()) {
      long review = insertReview(c, "acme/api", 1);
      String longTitle = incompressible(8000, 2), longPath = "src/" + incompressible(5000, 3);
      long finding;
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (?, ?, 'minor', 'style', 1, ?) RETURNING id")) {
        ps.setLong(1, review); ps.setString(2, longPath); ps.setString(3, longTitle);
        try (ResultSet rs = ps.executeQuery()) { rs.next(); finding = rs.getLong(1); }
      }
      // Realistic volume: 20,000 reactions over 50 repos and 2,000 titles.
      exec(c, "INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id, reaction_content, reactor_login,"
          + " severity, category, file_path, title) SELECT 'org/repo-' || (i % 50), " + review + ", " + finding + ", i, 's', i, '+1', 'u', 'minor', 'style', 'f',"
          + " 'Title number ' || (i % 2000) FROM generate_series(1, 20000) i");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id,"
          + " reaction_content, reactor_login, severity, category, file_path, title) VALUES ('acme/api', ?, ?, 1, 's', 1, '+1', 'u', 'minor', 'style', 'f', ?)")) {
        ps.setLong(1, review); ps.setLong(2, finding); ps.setString(3, longTitle);
        ps.executeUpdate();
      }
      exec(c, "ANALYZE feedback_reactions", "ANALYZE findings");
      try (Statement st = c.createStatement()) {
        String plan = plan(st, "SELECT reaction_content, count(*) FROM feedback_reactions WHERE repo = 'org/repo-7' AND title = 'Title number 7' GROUP BY 1");
        assertTrue(plan.contains("idx_feedback_reactions_title_hash"), plan);
        assertFalse(plan.contains("Seq Scan"), plan);
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM feedback_reactions WHERE repo = 'acme/api' AND title = ?")) {
          ps.setString(1, longTitle);
          try (ResultSet rs = ps.executeQuery()) { rs.next(); assertEquals(1, rs.getLong(1)); }
        }
        exec(c, "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) SELECT " + review + ", 'src/f' || i || '.ts', 'minor', 'style', 1, 't' FROM generate_series(1, 5000) i",
            "ANALYZE findings");
        plan = plan(st, "SELECT id FROM findings WHERE file_path = 'src/f7.ts'");
        assertTrue(plan.contains("idx_findings_file_path_hash"), plan);
      }
    }
  }

  private static String plan(Statement st, String sql) throws SQLException {
    StringBuilder sb = new StringBuilder();
    try (ResultSet rs = st.executeQuery("EXPLAIN " + sql)) { while (rs.next()) sb.append(rs.getString(1)).append('\n'); }
    return sb.toString();
  }

  /** JsonText predicts jsonb::text exactly, and refuses what jsonb refuses. */
  @Test void jsonTextAgreesWithJsonb() throws Exception {
    List<String> valid = List.of("{}", "[]", "1", "-0", "-0.0", "1e2", "1.5E+1", "2.50", "1E-3", "123456789012345678901234567890", "0.1e-20", "\"x\"", "true", "null",
        "{\"b\": 1, \"a\": 2, \"aa\": 3, \"a\": 4}", " [ 1 ,\n\t2 ] ", "{\"é\": \"\\u00e9\\/\\b\\f\\n\\r\\t\\u001f\\u007f\\\"\\\\\", \"z\": [{}, [], null]}",
        "\"\\ud83d\\ude00 😀 中\"", "{\"\": \"\"}", "[1.0, 10, 1e0, 0e5]",
        "{\"é\": 1, \"ab\": 2}", "{\"ü\": 1, \"zz\": 2, \"\u00ff\": 3, \"~~\": 4}"); // keys by unsigned bytes: é (0xc3 0xa9) after ab
    List<String> invalid = List.of("", "{", "{\"a\": 1,}", "[1,]", "01", "1.", ".5", "+1", "NaN", "Infinity", "'a'", "{a: 1}", "\"\\u0000\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"a\tb\"", "[1] x", "\"\\x41\"", "tru");
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT ?::jsonb::text")) {
      c.setAutoCommit(false);
      for (String v : valid) {
        ps.setString(1, v);
        String pg;
        try (ResultSet rs = ps.executeQuery()) { rs.next(); pg = rs.getString(1); }
        assertEquals(pg, JsonText.parse(v).canonical(), v);
      }
      for (String v : invalid) {
        assertThrows(JsonText.Invalid.class, () -> JsonText.parse(v), v);
        exec(c, "SAVEPOINT j");
        ps.setString(1, v);
        assertThrows(SQLException.class, ps::executeQuery, "jsonb refuses " + v);
        exec(c, "ROLLBACK TO SAVEPOINT j");
      }
    }
  }
}
