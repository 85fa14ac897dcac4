// Shared helpers of the Schema*Test classes (SchemaMigrationRoundTripTest,
// SchemaCheckTest, SchemaStoreQueriesTest, SchemaUpsertTest), which extend this class
// only to call its static helpers unqualified. It holds no tests and no JUnit
// lifecycle: each test class registers its own FreshDatabase and migrates it with
// migrateToLatest in its own @BeforeAll.

import static org.junit.jupiter.api.Assertions.*;

import com.pgvector.PGvector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

abstract class SchemaFixtures {
  static final long BIG_ID = 4_153_840_487L; // a real-world GitHub id above 2^31-1
  /** The working tree's migrations/ when the tests run from the repo (so edits are tested), else the bundled copy. */
  static Path dir = workingTreeMigrations();

  /** The number of migrations (001 up to the newest): a new migration needs no change here. */
  static final int LATEST = MigrationSource.load(dir).migrations.size();
  /** The newest version (not LATEST: versions may leave gaps, 012-019 are reserved). */
  static final int LATEST_VERSION = MigrationSource.load(dir).latestVersion();

  private static Path workingTreeMigrations() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
      if (Files.exists(p.resolve("migrations/001-initial-schema.sql"))) return p.resolve("migrations");
    return null;
  }

  /** Applies every migration to `db` (a test class's FreshDatabase) and checks that all were applied. */
  static void migrateToLatest(FreshDatabase db) {
    assertEquals(LATEST, Migrations.run(db.url(), dir, null), "every migration applied to the class's database");
  }

  interface UrlBody { void run(String url) throws Exception; }

  /** Runs body against a new, empty database, dropped afterwards. */
  static void withDatabase(String hint, UrlBody body) throws Exception {
    String name = FreshDatabase.create(hint);
    try {
      body.run(FreshDatabase.urlFor(name));
    } finally {
      FreshDatabase.drop(name);
    }
  }

  static Path migrationFile(String name) {
    Path base = dir != null ? dir : Path.of("migrations");
    return base.resolve(name);
  }

  static List<String> snapshot(String url) throws SQLException {
    try (Connection c = DbClient.open(url)) { return snapshot(c); }
  }

  static List<String> snapshot(Connection c) throws SQLException { return CatalogSnapshot.take(c); }

  static long insertReview(Connection c, String repo, int pr) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO reviews (repo, pr_number, head_sha, delivery_id, files_analyzed, lines_changed, findings_major,"
        + " findings_total, config_snapshot, duration_ms, model, conclusion) VALUES (?, ?, 'f00dbabe', 'delivery-' || ?, 12, 345, 1, 1, ?::jsonb, 93000, 'claude-sonnet-4', 'success') RETURNING id")) {
      ps.setString(1, repo);
      ps.setInt(2, pr);
      ps.setInt(3, pr);
      ps.setString(4, "{\"review\": {\"severity\": {\"minLevel\": \"medium\"}, \"maxComments\": 7}}");
      ResultSet rs = ps.executeQuery();
      rs.next();
      return rs.getLong(1);
    }
  }

  static long insertFinding(Connection c, long review, String title, Long commentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO findings (review_id, file_path, start_line, end_line, severity, category, confidence, title,"
        + " comment_id, comment_surface, review_output_key) VALUES (?, 'xbmc/utils/StringUtils.cpp', 120, 134, 'major', 'correctness', 82, ?, ?, 'inline', 'rok') RETURNING id")) {
      ps.setLong(1, review);
      ps.setString(2, title);
      ps.setObject(3, commentId);
      ResultSet rs = ps.executeQuery();
      rs.next();
      return rs.getLong(1);
    }
  }

  /** As the store writes reactions: ignore a reaction it has already recorded. Returns rows inserted. */
  static int insertReaction(Connection c, String repo, long review, long finding, long commentId, long reactionId, String content) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id,"
        + " reaction_content, reactor_login, reacted_at, severity, category, file_path, title)"
        + " SELECT ?, ?, f.id, ?, 'inline', ?, ?, 'octocat', now(), f.severity, f.category, f.file_path, f.title FROM findings f WHERE f.id = ?"
        + " ON CONFLICT (repo, comment_id, reaction_id) DO NOTHING")) {
      ps.setString(1, repo);
      ps.setLong(2, review);
      ps.setLong(3, commentId);
      ps.setLong(4, reactionId);
      ps.setString(5, content);
      ps.setLong(6, finding);
      return ps.executeUpdate();
    }
  }

  static long insertMemory(Connection c, String repo, Long finding, String text, float[] embedding, boolean stale) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO learning_memories (repo, owner, finding_id, review_id, source_repo, finding_text, severity, category,"
        + " file_path, outcome, embedding_model, embedding_dim, embedding, stale) VALUES (?, split_part(?, '/', 1), ?, NULL, ?, ?, 'major', 'correctness',"
        + " 'src/a.ts', 'thumbs_up', 'voyage-code-3', 1024, ?, ?) RETURNING id")) {
      ps.setString(1, repo);
      ps.setString(2, repo);
      ps.setObject(3, finding);
      ps.setString(4, repo);
      ps.setString(5, text);
      ps.setObject(6, embedding == null ? null : new PGvector(embedding));
      ps.setBoolean(7, stale);
      ResultSet rs = ps.executeQuery();
      rs.next();
      return rs.getLong(1);
    }
  }

  static float[] unitVector(Random rnd) {
    float[] v = new float[1024];
    double n = 0;
    for (int i = 0; i < v.length; i++) { v[i] = (float) rnd.nextGaussian(); n += v[i] * v[i]; }
    for (int i = 0; i < v.length; i++) v[i] /= (float) Math.sqrt(n);
    return v;
  }

  static float[] perturb(float[] q, float amount, Random rnd) {
    float[] noise = unitVector(rnd), v = new float[q.length];
    for (int i = 0; i < q.length; i++) v[i] = q[i] + amount * noise[i];
    return v;
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) { st.execute(sql); }
  }

  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      return ps.executeUpdate();
    }
  }

  static long longOf(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      ResultSet rs = ps.executeQuery();
      assertTrue(rs.next(), "a row from " + sql);
      return rs.getLong(1);
    }
  }

  static List<Long> ids(Connection c, String sql, String param) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, param);
      ResultSet rs = ps.executeQuery();
      while (rs.next()) out.add(rs.getLong(1));
    }
    return out;
  }

  static long count(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static void assertCheckViolation(Connection c, String sql) {
    SQLException e = assertThrows(SQLException.class, () -> exec(c, sql), sql);
    assertEquals("23514", e.getSQLState(), "a CHECK constraint rejects: " + sql + " (" + e.getMessage() + ")");
  }
}
