// Issue 21: one database, two runners. kodiai's own runner (src/db/migrate.ts at 24fba64a),
// restated below with its exact SQL, and `migrate` over the fixtures of
// tests/migration/kodiai-runner/ (kodiai-like files; ours, which carry three of them; the
// conversions of from-kodiai/), in both orders, directly and through PgBouncer in transaction mode.

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KodiaiRunnerTest {
  static final Path FIXTURES = KodiaiFilesTest.FIXTURES;
  static final Path KODIAI = FIXTURES.resolve("kodiai");

  @TempDir Path dir;
  String name, url;

  @BeforeEach void newDatabase() throws Exception {
    name = FreshDatabase.create("kodiairunner");
    url = FreshDatabase.urlFor(name);
    copy(FIXTURES.resolve("ours"), dir);
  }

  @AfterEach void dropDatabase() throws SQLException { FreshDatabase.drop(name); }

  static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()));
    }
  }

  /** Our fixture folder with the conversions of from-kodiai/ beside it. */
  void withConversions() throws IOException { copy(FIXTURES.resolve("from-kodiai"), dir.resolve("from-kodiai")); }

  MigrateTest.Run migrate(String dbUrl, String... args) {
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(List.of("--url", dbUrl, "--dir", dir.toString()));
    return MigrateTest.cli(a.toArray(String[]::new));
  }

  List<String> rows(String sql) throws SQLException { return MigrateTest.rows(url, sql); }

  /**
   * kodiai's runMigrations, restated: `SELECT name FROM _migrations` (no table yet: nothing
   * applied), then every .sql but .down.sql of its folder in file-name order whose name is absent,
   * each in one transaction that runs the file and `INSERT INTO _migrations (name) VALUES ($1)`.
   * Returns the files it applied.
   */
  static List<String> kodiaiRunner(String dbUrl, Path folder) throws Exception {
    List<String> files;
    try (Stream<Path> s = Files.list(folder)) {
      files = s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".sql")
          && !f.endsWith(".down.sql")).sorted().toList();
    }
    List<String> applied = new ArrayList<>();
    try (Connection c = DbClient.open(DbClient.parse(dbUrl), DbClient.Settings.fromEnv(Map.of()))) {
      Set<String> done = new HashSet<>();
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT name FROM _migrations")) {
        while (rs.next()) done.add(rs.getString(1));
      } catch (SQLException noTableYet) {
        // its first run: the table comes with its 001
      }
      for (String f : files) {
        if (done.contains(f)) continue;
        c.setAutoCommit(false);
        try (Statement st = c.createStatement(); PreparedStatement ps = c.prepareStatement("INSERT INTO _migrations"
            + " (name) VALUES ($1)"
            .replace("$1", "?"))) {
          st.execute(Files.readString(folder.resolve(f)));
          ps.setString(1, f);
          ps.executeUpdate();
          c.commit();
        } catch (SQLException e) {
          c.rollback();
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
        applied.add(f);
      }
    }
    return applied;
  }

  static final String FOREIGN_004 = "recorded by kodiai's runner: 004-issues.sql (kodiai's own files, not kodiai-db's:"
      + " left alone;"
      + " `migrate kodiai-drift` lists what kodiai-db does not carry)";

  // ------------------------------------------------------------- ours first

  @Test void afterOurUpKodiaisRunnerAppliesNoneOfTheFilesWeCarry() throws Exception {
    var up = migrate(url, "up");
    assertEquals(0, up.code(), up.toString());
    assertEquals(List.of("002-webhook-queue.sql|002-queue.sql|e2ea97eaf325",
        "003-reserved.sql|003-wiki.sql|b4296452b693",
        "003-wiki-pages.sql|003-wiki.sql|7b4ff1178058"),
        rows("SELECT name, provided_by, checksum FROM _migrations WHERE status = 'provided' AND version IS NULL ORDER"
            + " BY name"),
        "a row per declared kodiai file, also after the non-transactional 003");
    assertEquals(List.of("004-issues.sql"), kodiaiRunner(url, KODIAI), "only the file kodiai-db does not carry");
    assertEquals(List.of(), kodiaiRunner(url, KODIAI), "and nothing on its next start");
    for (String verb : List.of("up", "validate", "status")) assertEquals(0, migrate(url, verb).code(), verb);
    var status = migrate(url, "status");
    assertTrue(status.outLines().contains(FOREIGN_004), status.toString());
    assertFalse(status.out().contains("a database built by kodiai's own runner"), "ours built it: " + status);
    assertTrue(status.outLines().contains("recorded for kodiai's runner: 002-webhook-queue.sql (by 002-queue.sql),"
        + " 003-reserved.sql"
        + " (by 003-wiki.sql), 003-wiki-pages.sql (by 003-wiki.sql) (carried by kodiai-db: kodiai's runner skips"
        + " them)"),
        status.toString());
    assertTrue(status.outLines().contains("3 applied, 0 pending, 0 modified, 0 file missing, 0 failed"),
        status.toString());
    assertFalse(status.out().contains("delete the wrong one"));
  }

  @Test void downRemovesTheRowsItRecordedForKodiaisRunnerWhichThenAppliesThoseFiles() throws Exception {
    assertEquals(0, migrate(url, "up").code());
    var down = migrate(url, "down", "1");
    assertEquals(0, down.code(), down.toString());
    assertEquals(List.of("001-initial-schema.sql"), rows("SELECT name FROM _migrations ORDER BY name"));
    assertEquals(List.of("002-webhook-queue.sql", "003-reserved.sql", "003-wiki-pages.sql",
        "004-issues.sql"), kodiaiRunner(url, KODIAI));
    // kodiai's runner applied what 002 and 003 carry, and there is no conversion: up refuses, one line per file,
    // nothing changed.
    var up = migrate(url, "up");
    assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
    assertEquals(new MigrationException.Invalid(List.of(
        new MigrationException.NoConversion("002-queue.sql", "002-webhook-queue.sql"),
        new MigrationException.NoConversion("003-wiki.sql", "003-reserved.sql"),
        new MigrationException.NoConversion("003-wiki.sql", "003-wiki-pages.sql"))), up.kind());
    // the one test of this kind's lines
    assertEquals(List.of("migrate: error: 002-queue.sql carries kodiai's 002-webhook-queue.sql, which kodiai's runner"
        + " already applied"
        + " itself, and there is no from-kodiai/002-webhook-queue.sql to convert kodiai's objects to kodiai-db's;"
        + " nothing ran",
        "migrate: error: 003-wiki.sql carries kodiai's 003-reserved.sql, which kodiai's runner already applied itself,"
            + " and there is no"
        + " from-kodiai/003-reserved.sql to convert kodiai's objects to kodiai-db's; nothing ran",
        "migrate: error: 003-wiki.sql carries kodiai's 003-wiki-pages.sql, which kodiai's runner already applied"
            + " itself, and there is no"
        + " from-kodiai/003-wiki-pages.sql to convert kodiai's objects to kodiai-db's; nothing ran"), up.errLines());
    assertEquals(5, rows("SELECT name FROM _migrations").size(), "nothing recorded");
    assertEquals(ExitCode.VALIDATION, migrate(url, "validate").code());
    assertEquals(0, migrate(url, "status").code(), "status still shows the database");
  }

  // ------------------------------------------------------------- kodiai's runner first

  @Test void afterKodiaisRunnerOurUpConvertsWhatItCarriesAndLeavesTheRest() throws Exception {
    withConversions();
    assertEquals(List.of("001-initial-schema.sql", "002-webhook-queue.sql", "003-reserved.sql",
        "003-wiki-pages.sql", "004-issues.sql"),
        kodiaiRunner(url, KODIAI));
    var status = migrate(url, "status");
    assertEquals(0, status.code(), status.toString());
    assertEquals("a database built by kodiai's own runner, files 001-004", status.outLines().get(0));
    assertTrue(status.outLines().contains(MigrateTest.statusLine("002", "queue", "pending+", "-")), status.toString());
    assertTrue(status.out().contains("recorded by kodiai's runner: 002-webhook-queue.sql, 003-reserved.sql,"
        + " 003-wiki-pages.sql,"
        + " 004-issues.sql"), status.toString());
    assertEquals(0, migrate(url, "validate").code());
    var up = migrate(url, "up");
    assertEquals(0, up.code(), up.toString());
    assertEquals("migrate: a database built by kodiai's own runner, files 001-004", up.outLines().get(0));
    MigrateTest.assertMatches("applied 002-queue\\.sql by converting kodiai's objects with"
        + " from-kodiai/002-webhook-queue\\.sql"
        + " \\(\\d+ ms\\)", up.outLines().get(2));
    String conv003 = Files.readString(FIXTURES.resolve("from-kodiai/003-reserved.sql")) + "\n"
        + Files.readString(FIXTURES.resolve("from-kodiai/003-wiki-pages.sql"));
    assertEquals(List.of("001-initial-schema.sql|1|from-kodiai:" + MigrationSource.checksum(Files.readString(
            FIXTURES.resolve("from-kodiai/001-initial-schema.sql"))),
        "002-queue.sql|2|from-kodiai:"
            + MigrationSource.checksum(Files.readString(FIXTURES.resolve("from-kodiai/002-webhook-queue.sql"))),
        "003-wiki.sql|3|from-kodiai:" + MigrationSource.checksum(conv003)),
        rows("SELECT name, version, checksum FROM _migrations WHERE version IS NOT NULL AND status = 'applied' ORDER"
            + " BY version"));
    assertEquals(List.of("002-webhook-queue.sql|002-queue.sql", "003-reserved.sql|003-wiki.sql",
        "003-wiki-pages.sql|003-wiki.sql"),
        rows("SELECT name, provided_by FROM _migrations WHERE status = 'provided' ORDER BY name"));
    assertEquals(List.of("k_reviews|bigint", "webhook_queue|bigint", "wiki_pages|bigint"),
        rows("SELECT table_name, data_type"
        + " FROM information_schema.columns WHERE column_name = 'id' AND table_name <> '_migrations' AND table_name <>"
        + " 'issues'"
        + " ORDER BY 1"), "the conversions ran");
    assertEquals(List.of("f"), rows("SELECT to_regclass('idx_webhook_queue_id') IS NOT NULL"));
    for (String verb : List.of("up", "validate", "status")) {
      var r = migrate(url, verb);
      assertEquals(0, r.code(), verb + ": " + r);
      assertFalse(r.out().contains("pending+"), r.toString());
    }
    assertTrue(migrate(url, "status").outLines().contains(FOREIGN_004));
    assertEquals(List.of(), kodiaiRunner(url, KODIAI), "kodiai's runner finds every file recorded");
  }

  @Test void aMigrationConvertsAllTheFilesItCarriesOrNone() throws Exception {
    withConversions();
    kodiaiRunner(url, KODIAI);
    MigrateTest.exec(url, "DELETE FROM _migrations WHERE name = '003-reserved.sql'");
    var v = migrate(url, "validate");
    assertEquals(ExitCode.VALIDATION, v.code(), v.toString());
    // `validate` prints each problem on a line; this is the one test of MixedRunners's
    assertEquals(List.of("migrate: invalid: 003-wiki.sql carries kodiai's 003-wiki-pages.sql (applied by kodiai's"
        + " runner)"
        + " and 003-reserved.sql (not applied by it): convert all or none; apply 003-reserved.sql with kodiai's runner"
        + " first; nothing ran"), v.errLines());
    var up = migrate(url, "up");
    assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
    assertEquals(new MigrationException.Invalid(List.of(new MigrationException.MixedRunners("003-wiki.sql",
        List.of("003-wiki-pages.sql"), "003-reserved.sql"))), up.kind());
    assertEquals(List.of("4"), rows("SELECT count(*) FROM _migrations"), "nothing ran, nothing recorded");
    assertEquals(List.of("integer"), rows("SELECT data_type FROM information_schema.columns WHERE table_name ="
        + " 'k_reviews'"
        + " AND column_name = 'id'"), "no conversion ran either");
  }

  /** kodiai's runner records a carried file while ours runs (simulated inside ours): ours rolls back, says so. */
  @Test void aRowKodiaisRunnerWritesMeanwhileRollsOursBack() throws Exception {
    Path other = dir.resolve("raced");
    Files.createDirectories(other);
    MigrateTest.write(other, "001-a.sql", "-- kodiai: 004-x.sql 0123456789ab\nCREATE TABLE a (id int);\n"
        + "INSERT INTO _migrations (name) VALUES ('004-x.sql');\n");
    var up = MigrateTest.cli("up", "--url", url, "--dir", other.toString());
    assertEquals(ExitCode.FAILED, up.code(), up.toString());
    assertEquals(new MigrationException.Collision("001-a.sql", "004-x.sql"), up.kind());
    assertFalse(MigrateTest.exists(url, "a"));
  }

  @Test void anEditedConversionIsAnEditOfItsMigration() throws Exception {
    withConversions();
    kodiaiRunner(url, KODIAI);
    assertEquals(0, migrate(url, "up").code());
    Files.writeString(dir.resolve("from-kodiai/002-webhook-queue.sql"), "-- edited\nSELECT 1;\n");
    var v = migrate(url, "validate");
    assertEquals(ExitCode.VALIDATION, v.code(), v.toString());
    assertTrue(v.err().contains("002-queue.sql was edited after it was applied"), v.toString());
  }

  @Test void aRowOfAFileWeDoNotHaveHasNoVersionOfOurs() throws Exception {
    assertEquals(0, migrate(url, "up", "--to", "1").code());
    MigrateTest.exec(url, "INSERT INTO _migrations (name) VALUES ('002-webhook-queue.sql'), ('009-later.sql')");
    var status = migrate(url, "status");
    assertEquals(0, status.code(), status.toString());
    assertTrue(status.outLines().contains(MigrateTest.statusLine("002", "queue", "pending+", "-")), status.toString());
    assertTrue(status.outLines().contains(MigrateTest.statusLine("003", "wiki", "pending", "-")), status.toString());
    assertFalse(status.out().contains("newer"), "009-later.sql is kodiai's, not a newer migration of ours");
    var down = migrate(url, "down", "0");
    assertEquals(0, down.code(), down.toString());
    assertEquals(List.of("002-webhook-queue.sql", "009-later.sql"), rows("SELECT name FROM _migrations ORDER BY name"),
        "down leaves kodiai's runner's rows alone");
  }

  // ------------------------------------------------------------- through PgBouncer, transaction mode

  @Test void bothOrdersThroughPgBouncerInTransactionMode() throws Exception {
    String pooled = TestPooler.url(name, TestPooler.Mode.TRANSACTION);
    var up = migrate(pooled, "up", "--to", "2"); // 003 has no transaction: refused through a pooler
    assertEquals(0, up.code(), up.toString());
    assertEquals(List.of("003-reserved.sql", "003-wiki-pages.sql", "004-issues.sql"), kodiaiRunner(pooled, KODIAI),
        "not 001 nor 002-webhook-queue.sql");
    // validate: 003 carries what kodiai's runner applied, with no conversion
    assertEquals(0, migrate(pooled, "status").code());

    String other = FreshDatabase.create("kodiairunnerpool");
    try {
      withConversions();
      String pooledOther = TestPooler.url(other, TestPooler.Mode.TRANSACTION);
      assertEquals(5, kodiaiRunner(pooledOther, KODIAI).size());
      var convert = migrate(pooledOther, "up", "--to", "2");
      assertEquals(0, convert.code(), convert.toString());
      for (String verb : List.of("status", "validate")) assertEquals(0, migrate(pooledOther, verb).code(), verb);
      assertEquals(List.of("002-webhook-queue.sql|002-queue.sql"), MigrateTest.rows(FreshDatabase.urlFor(other),
          "SELECT name, provided_by FROM _migrations WHERE status = 'provided'"));
      assertEquals(List.of(), kodiaiRunner(pooledOther, KODIAI));
    } finally {
      FreshDatabase.drop(other);
    }
  }
}
