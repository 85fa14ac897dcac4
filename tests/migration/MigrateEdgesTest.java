import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * migrate.java in-process, continued: rollback, dry runs, the earlier runner's table,
 * `new`, connection and server failures, the lock timeout, the library API and the
 * bundled migrations. Helpers live in MigrateTest.
 */
class MigrateEdgesTest {
  @TempDir Path dir;
  String name, url;

  @BeforeEach void newDatabase() throws SQLException { name = FreshDatabase.create("migedge"); url = FreshDatabase.urlFor(name); }
  @AfterEach void dropDatabase() throws SQLException { FreshDatabase.drop(name); }

  MigrateTest.Run run(String... args) {
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(List.of("--url", url, "--dir", dir.toString()));
    return MigrateTest.cli(a.toArray(String[]::new));
  }

  void threeTables() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE a (id int);\n", "001-a.down.sql", "DROP TABLE a;\n",
        "002-b.sql", "CREATE TABLE b (id int);\n", "002-b.down.sql", "DROP TABLE b;\n",
        "003-c.sql", "CREATE TABLE c (id int);\n", "003-c.down.sql", "DROP TABLE c;\n");
  }

  List<String> tables() throws SQLException {
    return MigrateTest.rows(url, "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1");
  }

  static void assertMatches(String regex, String actual) { MigrateTest.assertMatches(regex, actual); }

  // ------------------------------------------------------------- down

  @Test void downRollsBackNewestFirstAndSaysWhatItWillDo() throws Exception {
    threeTables();
    assertEquals(0, run("up").code());
    var r = run("down", "1");
    assertEquals(0, r.code(), r.toString());
    var lines = r.outLines();
    assertEquals("rolling back 2: 003-c, 002-b", lines.get(0));
    assertMatches("rolled back 003-c\\.sql \\(\\d+ ms\\)", lines.get(1));
    assertMatches("rolled back 002-b\\.sql \\(\\d+ ms\\)", lines.get(2));
    assertMatches("migrate: 2 rolled back, at version 1 \\([\\d.,]+ s\\)", lines.get(3));
    assertEquals(List.of("_migrations", "a"), tables());
    assertEquals(List.of("1"), MigrateTest.rows(url, "SELECT version FROM _migrations"));
  }

  @Test void downWithAMissingDownFileRollsBackNothing() throws Exception {
    threeTables();
    Files.delete(dir.resolve("002-b.down.sql"));
    assertEquals(0, run("up").code());
    var r = run("down", "0");
    assertEquals(ExitCode.VALIDATION, r.code(), r.toString());
    assertEquals(List.of(new MigrationException.NoDownFile("002-b.sql")),
        r.kind(MigrationException.RollbackRefused.class).problems());
    // the one test of this kind's line
    assertEquals(List.of("migrate: error: nothing rolled back: 002-b.sql has no down file 002-b.down.sql"), r.errLines());
    assertEquals(List.of("_migrations", "a", "b", "c"), tables(), "003 was not rolled back either");
    assertEquals(3, MigrateTest.tracked(url).size());
  }

  @Test void aFailingDownFileLeavesItsMigrationApplied() throws Exception {
    threeTables();
    Files.writeString(dir.resolve("003-c.down.sql"), "DROP TABLE c;\nDROP TABLE no_such_table;\n");
    assertEquals(0, run("up").code());
    var r = run("down", "1");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    var failed = r.kind(MigrationException.StatementFailed.class);
    assertEquals(List.of("003-c.down.sql", 2, "42P01"), List.of(failed.file(), failed.line(), failed.sqlState()));
    assertEquals(List.of("_migrations", "a", "b", "c"), tables(), "the DROP TABLE c before the error was rolled back");
    assertEquals(3, MigrateTest.tracked(url).size());
  }

  @Test void downZeroWorksWhen001DropsTheTrackingTableItself() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE IF NOT EXISTS _migrations (id serial PRIMARY KEY, name text NOT NULL UNIQUE,"
            + " applied_at timestamptz NOT NULL DEFAULT now());\nCREATE TABLE a (id int);\n",
        "001-a.down.sql", "DROP TABLE a;\nDROP TABLE _migrations;\n",
        "002-b.sql", "CREATE TABLE b (id int);\n", "002-b.down.sql", "DROP TABLE b;\n");
    assertEquals(0, run("up").code());
    var r = run("down", "0");
    assertEquals(0, r.code(), r.toString());
    assertMatches("migrate: 2 rolled back, at version 0 \\([\\d.,]+ s\\)", r.outLines().get(3));
    assertEquals(List.of(), tables(), "an empty database");
    var s = run("status");
    assertEquals("0 applied, 2 pending, 0 modified, 0 file missing, 0 failed", s.outLines().get(3));
    assertEquals(0, run("up").code(), "and it can be migrated again");
    assertEquals(2, MigrateTest.tracked(url).size());
  }

  // ------------------------------------------------------------- dry runs

  @Test void dryRunsChangeNothing() throws Exception {
    threeTables();
    MigrateTest.write(dir, "004-d.sql", "-- migrate:no-transaction\nCREATE TABLE d (id int);\n");
    var up = run("up", "--dry-run");
    assertEquals(0, up.code(), up.toString());
    assertEquals(List.of("would apply 001-a.sql", "would apply 002-b.sql", "would apply 003-c.sql", "would apply 004-d.sql (no transaction)"),
        up.outLines().subList(0, 4));
    assertMatches("migrate: dry run: 0 applied, 4 pending, at version 0 \\([\\d.,]+ s\\)", up.outLines().get(4));
    assertEquals(List.of(), tables(), "not even the tracking table");

    assertEquals(0, run("up", "--to", "3").code());
    var before = MigrateTest.rows(url, "SELECT id, name, version, checksum, applied_at FROM _migrations ORDER BY id");
    var down = run("down", "1", "--dry-run");
    assertEquals(0, down.code(), down.toString());
    assertEquals(List.of("would roll back 003-c.sql with 003-c.down.sql", "would roll back 002-b.sql with 002-b.down.sql"),
        down.outLines().subList(0, 2));
    assertMatches("migrate: dry run: 0 rolled back, at version 3 \\([\\d.,]+ s\\)", down.outLines().get(2));
    assertEquals(List.of("_migrations", "a", "b", "c"), tables());
    assertEquals(before, MigrateTest.rows(url, "SELECT id, name, version, checksum, applied_at FROM _migrations ORDER BY id"));
    assertEquals(List.of("would apply 004-d.sql (no transaction)"), run("up", "--dry-run").outLines().subList(0, 1));
    assertFalse(MigrateTest.exists(url, "d"));
  }

  // ------------------------------------------------------------- the earlier runner's _migrations

  @Test void adoptsTheEarlierRunnersTableWithoutReapplying() throws Exception {
    threeTables();
    Files.delete(dir.resolve("003-c.sql"));
    Files.delete(dir.resolve("003-c.down.sql"));
    // What kodiai's earlier runner left: (id, name = file name, applied_at), no checksums.
    MigrateTest.exec(url, "CREATE TABLE _migrations (id serial PRIMARY KEY, name text NOT NULL UNIQUE, applied_at timestamptz NOT NULL DEFAULT now());"
        + "INSERT INTO _migrations (name, applied_at) VALUES ('001-a.sql', '2024-05-01T10:00:00Z'), ('002-b.sql', '2024-06-01T10:00:00Z');"
        + "CREATE TABLE a (id int); CREATE TABLE b (id int);");
    var s = run("status");
    assertEquals(0, s.code(), s.toString());
    assertEquals(MigrateTest.statusLine("001", "a", "applied", "2024-05-01T10:00:00Z"), s.outLines().get(1));
    assertEquals("2 applied, 0 pending, 0 modified, 0 file missing, 0 failed", s.outLines().get(3));
    assertEquals(0, run("validate").code());
    assertEquals(List.of("3"), MigrateTest.rows(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = '_migrations'"),
        "status and validate change nothing");

    var up = run("up"); // nothing pending: adopts the rows (CREATE TABLE a would fail if 001 ran again)
    assertEquals(0, up.code(), up.toString());
    assertMatches("migrate: 0 applied, 0 pending, at version 2 .*", up.out().strip());
    String sum1 = MigrationSource.checksum(Files.readString(dir.resolve("001-a.sql")));
    String sum2 = MigrationSource.checksum(Files.readString(dir.resolve("002-b.sql")));
    long may = java.time.Instant.parse("2024-05-01T10:00:00Z").getEpochSecond(), june = java.time.Instant.parse("2024-06-01T10:00:00Z").getEpochSecond();
    assertEquals(List.of("1|001-a.sql|" + sum1 + "|applied|" + may, "2|002-b.sql|" + sum2 + "|applied|" + june), MigrateTest.rows(url,
        "SELECT version, name, checksum, status, extract(epoch FROM applied_at)::bigint FROM _migrations ORDER BY id"), "applied_at is kept");

    MigrateTest.write(dir, "003-c.sql", "CREATE TABLE c (id int);\n");
    var next = run("up");
    assertEquals(0, next.code(), next.toString());
    assertMatches("applied 003-c\\.sql \\(\\d+ ms\\)", next.outLines().get(0));
    assertEquals(3, MigrateTest.tracked(url).size());
    Files.writeString(dir.resolve("001-a.sql"), "CREATE TABLE a (id bigint);\n");
    assertEquals(ExitCode.VALIDATION, run("validate").code(), "adopted rows are now protected by their checksum");
  }

  @Test void adoptsOldRowsAndAppliesPendingInOneRun() throws Exception {
    threeTables();
    MigrateTest.exec(url, "CREATE TABLE _migrations (id serial PRIMARY KEY, name text NOT NULL UNIQUE, applied_at timestamptz NOT NULL DEFAULT now());"
        + "INSERT INTO _migrations (name) VALUES ('001-a.sql'); CREATE TABLE a (id int);");
    var up = run("up");
    assertEquals(0, up.code(), up.toString());
    assertEquals(3, up.outLines().size(), up.toString());
    assertEquals(List.of("1|applied|" + MigrationSource.checksum("CREATE TABLE a (id int);\n"),
        "2|applied|" + MigrationSource.checksum("CREATE TABLE b (id int);\n"),
        "3|applied|" + MigrationSource.checksum("CREATE TABLE c (id int);\n")), MigrateTest.tracked(url));
  }

  // ------------------------------------------------------------- new

  @Test void newCreatesTheNextPairOfFiles() throws Exception {
    var first = MigrateTest.cli("new", "add-thing", "--dir", dir.toString());
    assertEquals(0, first.code(), first.toString());
    assertEquals(List.of("created " + dir.resolve("001-add-thing.sql"), "created " + dir.resolve("001-add-thing.down.sql")), first.outLines());
    MigrateTest.write(dir, "007-x.sql", "SELECT 1;\n");
    var r = MigrateTest.cli("new", "review_index", "--dir", dir.toString());
    assertEquals(0, r.code(), r.toString());
    assertTrue(Files.readString(dir.resolve("008-review_index.sql")).contains("-- migrate:no-transaction"), "documents the marker");
    assertTrue(Files.exists(dir.resolve("008-review_index.down.sql")));
    var source = MigrationSource.load(dir);
    assertEquals(8, source.latestVersion());
    assertTrue(source.byVersion(8).transactional(), "the template itself is transactional");
    assertTrue(source.byVersion(8).hasDown());
    var bad = MigrateTest.cli("new", "Add Thing", "--dir", dir.toString());
    assertEquals(ExitCode.USAGE, bad.code());
    assertEquals(new MigrationException.BadName("Add Thing"), bad.kind());
    assertEquals(List.of("migrate: error: NAME must be lowercase letters, digits, '-' or '_', got 'Add Thing'"), bad.errLines());
  }

  // ------------------------------------------------------------- connection and server failures

  static final String NO_URL = "migrate: error: no database URL: set DATABASE_URL or pass --url"
      + " (form: postgresql://USER@HOST:5432/DB?sslmode=verify-full, with the password as USER:PASSWORD,"
      + " percent-encoded)";

  @Test void missingOrMalformedUrlIsAUsageErrorOnOneLine() throws Exception {
    threeTables();
    var none = MigrateTest.cli("up", "--url=", "--dir", dir.toString());
    assertEquals(ExitCode.USAGE, none.code(), none.toString());
    assertEquals(List.of(NO_URL), none.errLines());
    var bad = MigrateTest.cli("status", "--url", "mysql://root:hunter2@db.invalid/app", "--dir", dir.toString());
    assertEquals(ExitCode.USAGE, bad.code(), bad.toString());
    assertEquals(List.of("migrate: error: malformed database URL mysql://root:***@db.invalid/app:"
        + " it must start with postgresql://, postgres:// or jdbc:postgresql://"), bad.errLines());
    var port = MigrateTest.cli("status", "--url", "postgresql://u:hunter2@127.0.0.1:99999/d", "--dir", dir.toString());
    assertEquals(ExitCode.USAGE, port.code());
    assertFalse((port.out() + port.err()).contains("hunter2"), port.toString());
  }

  @Test void wrongPasswordIsExit3WithoutThePassword() throws Exception {
    threeTables();
    DbClient.Target t = DbClient.parse(url);
    String wrong = "Wr0ng-" + t.password() + "-pw";
    String bad = "postgresql://" + t.user() + ":" + wrong + "@" + t.host() + ":" + t.port() + "/" + t.database();
    boolean refused;
    try (Connection c = DbClient.open(bad)) { refused = false; } catch (DbClient.DbException e) { refused = true; }
    assumeTrue(refused, "the test server does not check passwords");
    var r = MigrateTest.cli("up", "--url", bad, "--dir", dir.toString());
    assertEquals(ExitCode.CANNOT_CONNECT, r.code(), r.toString());
    assertEquals(List.of("migrate: error: authentication failed for user " + t.user() + " at " + t.host() + ":" + t.port() + "/"
        + t.database() + ": check the user and password in the database URL"), r.errLines());
    assertFalse((r.out() + r.err()).contains(wrong));
    assertEquals(List.of(), tables());
  }

  @Test void closedPortAndMissingDatabaseAreExit3() throws Exception {
    threeTables();
    DbClient.Target t = DbClient.parse(url);
    int closed = LocalCluster.freePort(); // free a moment ago: nothing listens there
    long t0 = System.nanoTime();
    var r = MigrateTest.cli("up", "--url", "postgresql://" + t.user() + ":" + t.password() + "@127.0.0.1:" + closed + "/x", "--dir", dir.toString());
    assertEquals(ExitCode.CANNOT_CONNECT, r.code(), r.toString());
    assertEquals(List.of("migrate: error: cannot connect to 127.0.0.1:" + closed + "/x: connection refused"
        + " (is PostgreSQL running and listening there?)"), r.errLines());
    assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused at once");
    var missing = MigrateTest.cli("status", "--url", FreshDatabase.urlFor("no_such_db_xyz"), "--dir", dir.toString());
    assertEquals(ExitCode.CANNOT_CONNECT, missing.code(), missing.toString());
    assertEquals(1, missing.errLines().size(), missing.toString());
    assertTrue(missing.err().contains("database \"no_such_db_xyz\" does not exist"), missing.toString());
    assertFalse(missing.err().contains(t.password()));
  }

  @Test void missingExtensionIsNamedAndNothingIsApplied() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE a (id int);\n",
        "002-ext.sql", "CREATE EXTENSION IF NOT EXISTS vector_missing_xyz;\nCREATE TABLE e (v int);\n");
    var r = run("up");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    assertEquals(new MigrationException.ExtensionMissing("vector_missing_xyz", "002-ext.sql"), r.kind());
    assertEquals(List.of("migrate: error: extension \"vector_missing_xyz\" is not available on this server (needed by 002-ext.sql):"
        + " install it on the server; nothing was applied"), r.errLines());
    assertEquals(List.of(), tables(), "001 was not applied either; no tracking table");
  }

  @Test void lockTimeoutIsExit4AndNamesTheHolder() throws Exception {
    threeTables();
    try (Connection holder = DbClient.open(url); Statement st = holder.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT pg_backend_pid(), pg_advisory_lock(" + Migrator.LOCK_KEY + ")");
      rs.next();
      int pid = rs.getInt(1);
      long t0 = System.nanoTime();
      var r = run("up", "--lock-timeout", "1");
      double s = (System.nanoTime() - t0) / 1e9;
      assertEquals(ExitCode.LOCK_TIMEOUT, r.code(), r.toString());
      String holderText = "pid " + pid + " \\(kodiai-db from 127\\.0\\.0\\.1, connected \\d+ s ago\\)";
      assertEquals(1, r.errLines().size(), r.toString());
      assertEquals(1, r.kind(MigrationException.LockTimeout.class).seconds());
      assertMatches("migrate: error: gave up after 1 s waiting for the migration lock, held by " + holderText
          + "; wait for that run to finish, or raise --lock-timeout", r.errLines().get(0));
      assertMatches("waiting for the migration lock, held by " + holderText, r.outLines().get(0));
      assertTrue(s >= 1 && s < 4, "waited about 1 s, took " + s);
      assertEquals(List.of(), tables());
    }
  }

  @Test void earlierCommitsAreDurableWhenALaterMigrationFails() throws Exception {
    // All commits but the last skip the WAL flush wait; an error path must flush them itself.
    // The test cluster runs with synchronous_commit off and the WAL writer flushes within
    // 200 ms, so: synchronous commits for this database, a slow WAL writer for the test.
    boolean superuser = MigrateTest.rows(url, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").get(0).equals("t");
    assumeTrue(superuser, "needs a superuser to slow the WAL writer down");
    MigrateTest.exec(url, "ALTER DATABASE " + name + " SET synchronous_commit = on");
    MigrateTest.exec(url, "ALTER SYSTEM SET wal_writer_delay = '10s'");
    MigrateTest.exec(url, "ALTER SYSTEM SET autovacuum = off"); // no other WAL writer during the check
    MigrateTest.exec(url, "SELECT pg_reload_conf()");
    try {
      MigrateTest.write(dir, "001-a.sql", "CREATE TABLE a (id int);\n", "002-b.sql", "CREATE TABLE b (id int);\n",
          "003-c.sql", "CREATE TABLE c (id int);\nSELECT 1/0;\n");
      // Checked from a session opened (and its caches warmed) before: a new session could
      // itself write WAL (pruning the catalog rows 003 left dead) and blur the comparison.
      try (Connection check = DbClient.open(url); Statement st = check.createStatement()) {
        String sql = "SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()";
        st.execute(sql);
        var e = assertThrows(MigrationException.class, () -> Migrations.run(url, dir, null));
        var failed = assertInstanceOf(MigrationException.StatementFailed.class, e.kind());
        assertEquals(List.of("003-c.sql", 2, "22012"), List.of(failed.file(), failed.line(), failed.sqlState()));
        ResultSet rs = st.executeQuery(sql);
        rs.next();
        assertTrue(rs.getBoolean(1), "all WAL written so far (001 and 002's commits among it) is flushed");
      }
      assertEquals(2, MigrateTest.tracked(url).size());
    } finally {
      MigrateTest.exec(url, "ALTER SYSTEM RESET wal_writer_delay");
      MigrateTest.exec(url, "ALTER SYSTEM RESET autovacuum");
      MigrateTest.exec(url, "SELECT pg_reload_conf()");
    }
  }

  // ------------------------------------------------------------- library API, bundled migrations, help

  @Test void libraryApiIsQuietAndThrowsWithExitCodes() throws Exception {
    threeTables();
    PrintStream out = System.out;
    var captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertEquals(2, Migrations.run(url, dir, 2));
      assertEquals(1, Migrations.run(url, dir, null));
      assertEquals(0, Migrations.run(url, dir, null));
      assertEquals(2, Migrations.rollback(url, dir, 1));
      assertEquals(List.of("_migrations", "a"), tables());
    } finally {
      System.setOut(out);
    }
    assertEquals("", captured.toString(StandardCharsets.UTF_8));
    Files.writeString(dir.resolve("002-b.sql"), "CREATE TABLE b (id int);\nSELECT 1/0;\n");
    var e = assertThrows(MigrationException.class, () -> Migrations.run(url, dir, null));
    assertEquals(ExitCode.FAILED, e.exitCode);
    var failed = assertInstanceOf(MigrationException.StatementFailed.class, e.kind());
    assertEquals(List.of("002-b.sql", 2, "22012"), List.of(failed.file(), failed.line(), failed.sqlState()));
    assertEquals(ExitCode.USAGE, assertThrows(Failure.class, () -> Migrations.run(null, dir, null)).exitCode);
    assertEquals(new MigrationException.BadTarget(-1),
        assertThrows(MigrationException.class, () -> Migrations.rollback(url, dir, -1)).kind());
    MigrateTest.write(dir, "9-Bad.sql", "");
    assertInstanceOf(MigrationException.InvalidFiles.class,
        assertThrows(MigrationException.class, () -> Migrations.run(url, dir, null)).kind());
  }

  @Test void bundledMigrationsGoUpAndAllTheWayDown() throws Exception {
    var bundled = MigrationSource.load(null);
    int n = bundled.migrations.size();
    assertTrue(n >= 1 && bundled.byVersion(1) != null, "001 is bundled");
    assertEquals(n, Migrations.run(url, null, null));
    var s = MigrateTest.cli("status", "--url", url);
    assertEquals(0, s.code(), s.toString());
    // header, one line per migration, the kodiai files the bundled ones carry (issue 21), the summary
    assertEquals(n + 3, s.outLines().size(), s.toString());
    for (int i = 1; i <= n; i++) assertMatches("\\d{3} +\\S+ +applied +\\d{4}-.*Z", s.outLines().get(i));
    assertTrue(s.outLines().get(n + 1).startsWith("recorded for kodiai's runner: 004-webhook-queue.sql (by "),
        s.toString());
    assertEquals(n + " applied, 0 pending, 0 modified, 0 file missing, 0 failed", s.outLines().get(n + 2));
    assertEquals(0, MigrateTest.cli("validate", "--url", url).code());
    assertTrue(MigrateTest.exists(url, "learning_memories"));

    var down = MigrateTest.cli("down", "0", "--url", url);
    assertEquals(0, down.code(), down.toString());
    assertMatches("migrate: " + n + " rolled back, at version 0 .*", down.outLines().get(down.outLines().size() - 1));
    assertEquals(List.of("0|0|0"), MigrateTest.rows(url, "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace),"
        + " (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),"
        + " (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')"), "an empty database");
    assertEquals(n, Migrations.run(url, null, null), "and up again");
  }

  @Test void helpDocumentsEveryExitCodeAndBadUsageIsExit2() {
    var h = MigrateTest.cli("--help");
    assertEquals(0, h.code());
    for (String line : List.of("Exit codes:", "  0  success", "  1  a migration failed", "  2  usage error", "  3  cannot connect or authenticate",
        "  4  timed out waiting for another runner's lock", "  5  validation failed"))
      assertTrue(h.out().contains(line), line + " in\n" + h.out());
    assertEquals(ExitCode.USAGE, MigrateTest.cli("down").code(), "VERSION is required");
    assertEquals(ExitCode.USAGE, MigrateTest.cli("frobnicate").code());
    assertEquals(ExitCode.USAGE, MigrateTest.cli("up", "--lock-timeout", "soon").code());
  }
}
