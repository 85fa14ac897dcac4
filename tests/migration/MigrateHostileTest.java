import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * migrate under hostile input (issue 14): odd files, odd databases, interrupted runs, and
 * the runner's own promises that no other test would notice breaking (each test names the
 * defect or the planted bug it catches). In-process; real processes are in MigrateProcessTest.
 */
class MigrateHostileTest {
  @TempDir Path dir;
  String name, url;

  @BeforeEach void newDatabase() throws SQLException { name = FreshDatabase.create("mighostile"); url = FreshDatabase.urlFor(name); }
  @AfterEach void dropDatabase() throws SQLException { FreshDatabase.drop(name); }

  MigrateTest.Run run(String... args) {
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(List.of("--url", url, "--dir", dir.toString()));
    return MigrateTest.cli(a.toArray(String[]::new));
  }

  void write(String... nameThenContent) throws Exception { MigrateTest.write(dir, nameThenContent); }
  List<String> rows(String sql) throws SQLException { return MigrateTest.rows(url, sql); }
  List<String> versions() throws SQLException { return rows("SELECT version FROM _migrations ORDER BY version"); }

  // ------------------------------------------------------------- 1: syntax errors

  @Test void aSyntaxErrorInALaterFileIsBlamedOnThatFileAndLineAndKeepsTheEarlierOnes() throws Exception {
    write("001-a.sql", "CREATE TABLE a (id int);\n", "002-b.sql", "CREATE TABLE b (id int);\n",
        "003-c.sql", "CREATE TABLE c (id int);\n\nselect from from where;\n", "004-d.sql", "CREATE TABLE d (id int);\n");
    var r = run("up");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    var failed = r.kind(MigrationException.StatementFailed.class);
    assertEquals(List.of("003-c.sql", 3, "42601"), List.of(failed.file(), failed.line(), failed.sqlState()));
    assertEquals(List.of("1", "2"), versions(), "earlier migrations stay applied");
    assertTrue(MigrateTest.exists(url, "b") && !MigrateTest.exists(url, "c") && !MigrateTest.exists(url, "d"));
    assertEquals(2, r.outLines().stream().filter(l -> l.startsWith("applied ")).count(), r.toString());
  }

  @Test void aByteOrderMarkIsNotSql() throws Exception {
    write("001-a.sql", "CREATE TABLE a (id int);\n", "002-b.sql", "\uFEFFCREATE TABLE b (id int);\n");
    var r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals(List.of("1", "2"), versions());
    assertEquals(List.of(MigrationSource.checksum("CREATE TABLE b (id int);\n")), rows("SELECT checksum FROM _migrations WHERE version = 2"));
  }

  // ------------------------------------------------------------- 2: the session between migrations

  @Test void settingsDoNotLeakIntoTheNextMigrationAndTheRunnersOwnStay() throws Exception {
    write("001-s.sql", "CREATE SCHEMA other;\n",
        "002-leak.sql", "SET search_path = other, public;\nSET ROLE NONE;\nCREATE TEMP TABLE scratch (x int);\nSET statement_timeout = '20ms';\n",
        "003-t.sql", "CREATE TABLE t3 (id int);\nSELECT pg_sleep(0.05);\n"
            + "CREATE TABLE seen AS SELECT current_setting('statement_timeout') AS timeout, to_regclass('pg_temp.scratch') IS NULL AS no_temp;\n");
    var r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals(List.of("public"), rows("SELECT relnamespace::regnamespace FROM pg_class WHERE relname = 't3'"),
        "003's table lands where it would in a run of its own");
    assertEquals(List.of("0|t"), rows("SELECT timeout, no_temp FROM seen"), "statement_timeout is the runner's 0 again; no temp table");
  }

  @Test void theRunnersSessionHasNoStatementTimeoutForMigrationsWhateverTheDatabaseSays() throws Exception {
    // Planted bug caught here: migrate's session no longer zeroes statement_timeout.
    MigrateTest.exec(url, "ALTER DATABASE " + name + " SET statement_timeout = '1s'");
    write("001-a.sql", "CREATE TABLE seen (n int, timeout text);\nINSERT INTO seen VALUES (1, current_setting('statement_timeout'));\n",
        "002-b.sql", "INSERT INTO seen VALUES (2, current_setting('statement_timeout'));\n",
        "003-c.sql", "-- migrate:no-transaction\nINSERT INTO seen VALUES (3, current_setting('statement_timeout'));\n");
    var r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals(List.of("1|0", "2|0", "3|0"), rows("SELECT n, timeout FROM seen ORDER BY n"));
  }

  // ------------------------------------------------------------- 3: no second run to find a line

  @Test void aFailingMigrationRunsOnceAndAnErrorWithoutPositionNamesItsStatement() throws Exception {
    MigrateTest.exec(url, "CREATE SEQUENCE calls");
    write("001-a.sql", "CREATE TABLE a (id int);\n",
        "002-slow.sql", "SET LOCAL statement_timeout = '300ms';\nSELECT nextval('calls');\n\nSELECT pg_sleep(3);\n");
    var r = run("up");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    var failed = r.kind(MigrationException.StatementFailed.class);
    assertEquals(List.of("002-slow.sql", 4, "57014"), List.of(failed.file(), failed.line(), failed.sqlState()));
    assertEquals(List.of("1"), rows("SELECT last_value FROM calls"), "the failing migration ran once, not again to find its line");
    assertEquals(List.of("1"), versions());
  }

  @Test void aCheckAtCommitIsBlamedOnItsFile() throws Exception {
    write("001-a.sql", "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\n",
        "002-b.sql", "INSERT INTO c VALUES (42);\n");
    var r = run("up");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    assertEquals("23503", r.kind(MigrationException.CommitFailed.class).sqlState());
    assertTrue(r.err().startsWith("migrate: error: 002-b.sql (when it committed): ERROR: insert or update on table \"c\" violates"), r.err());
    assertEquals(List.of("1"), versions());
  }

  // ------------------------------------------------------------- 4: linear in statements (the figures: bench migrate)

  @Test void aFileOfManyStatementsAppliesInManyMessagesAndAnErrorDeepInsideNamesItsLine() throws Exception {
    int n = 3 * Batch.MAX_STATEMENTS + 7; // four messages, one open transaction
    StringBuilder sql = new StringBuilder("CREATE TABLE many (id int PRIMARY KEY);\n");
    for (int i = 1; i <= n; i++) sql.append("INSERT INTO many VALUES (").append(i).append(");\n");
    write("001-many.sql", sql.toString());
    var r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals(List.of(String.valueOf(n)), rows("SELECT count(*) FROM many"));
    write("002-dup.sql", sql.toString().replace("CREATE TABLE many", "CREATE TABLE many2").replace("INTO many ", "INTO many2 ")
        + "INSERT INTO many2 VALUES (" + (n - 1) + ");\n");
    r = run("up");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    assertEquals(n + 2, r.kind(MigrationException.StatementFailed.class).line(), r.toString());
    assertFalse(MigrateTest.exists(url, "many2"), "rolled back whole, across messages");
  }

  // ------------------------------------------------------------- 5: a failed down file without a transaction

  @Test void aFailedNonTransactionalDownFileIsRecordedAsFailed() throws Exception {
    write("001-a.sql", "CREATE TABLE a (id int);\n", "001-a.down.sql", "DROP TABLE a;\n",
        "002-b.sql", "CREATE TABLE b (id int);\n", "002-b.down.sql", "-- migrate:no-transaction\nDROP TABLE b;\nDROP TABLE nosuch;\n");
    assertEquals(0, run("up").code());
    var r = run("down", "1");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    var down = r.kind(MigrationException.DownNoTransactionFailed.class);
    assertEquals(3, assertInstanceOf(MigrationException.StatementFailed.class, down.cause()).line());
    assertEquals(List.of("migrate: error: 002-b.down.sql line 3: ERROR: table \"nosuch\" does not exist (SQLSTATE 42P01); 002-b.down.sql"
        + " ran without a transaction and is recorded as failed: finish or undo its statements by hand, then `migrate resolve 2"
        + " --rolled-back` (it is undone) or `--applied` (it is back in place)"), r.errLines());
    assertFalse(MigrateTest.exists(url, "b"));
    assertEquals(List.of("2|failed|002-b.down.sql"), rows("SELECT version, status, name FROM _migrations WHERE version = 2"));
    MigrateTest.Run s = run("status");
    assertMatches("002 {6}b {40}failed .*", s.outLines().get(2));
    var v = run("validate");
    assertEquals(ExitCode.VALIDATION, v.code(), v.toString());
    assertEquals(List.of("migrate: invalid: 002-b.down.sql (rolling back 002-b.sql) did not finish (non-transactional, failed or"
        + " interrupted); fix the database by hand, then run `migrate resolve 2 --rolled-back` (it is undone) or `--applied` (it is back in place)"),
        v.errLines());
    assertEquals(0, run("resolve", "2", "--rolled-back").code());
    assertEquals(List.of("1"), versions());
  }

  // ------------------------------------------------------------- 7: BEGIN ATOMIC

  @Test void sqlStandardFunctionBodiesApplyWithAndWithoutATransaction() throws Exception {
    String fn = "CREATE FUNCTION sign_of(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n"
        + "  SELECT CASE WHEN x > 0 THEN 1 WHEN x < 0 THEN -1 ELSE 0 END;\nEND;\n";
    write("001-f.sql", fn + "CREATE TABLE after_f (id int);\n",
        "002-p.sql", "-- migrate:no-transaction\n" + fn.replace("sign_of", "sign_of2") + "CREATE TABLE after_p (id int);\n");
    var r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals(List.of("-1|1"), rows("SELECT sign_of(-5), sign_of2(7)"));
    assertTrue(MigrateTest.exists(url, "after_f") && MigrateTest.exists(url, "after_p"));
  }

  // ------------------------------------------------------------- 8: rolling deploys

  @Test void anOlderReleaseAgainstANewerDatabaseAppliesNothingAndSaysSo() throws Exception {
    for (int i = 1; i <= 4; i++) write(String.format("%03d-t%d.sql", i, i), "CREATE TABLE t" + i + " (id int);\n");
    assertEquals(0, run("up").code());
    Files.delete(dir.resolve("004-t4.sql")); // the older release bundles only 001-003
    String warning = "migrate: warning: the database has 1 migration newer than these files (004-t4.sql), applied by a newer release:"
        + " left alone; `up` applies nothing above them";
    var up = run("up");
    assertEquals(0, up.code(), up.toString());
    assertEquals(List.of(warning), up.errLines());
    assertMatches("migrate: 0 applied, 0 pending, at version 4 \\(.*", up.out().strip());
    var s = run("status");
    assertEquals(0, s.code());
    assertMatches("004 {6}004-t4\\.sql +newer .*", s.outLines().get(4));
    assertEquals("3 applied, 0 pending, 0 modified, 0 file missing, 0 failed, 1 newer than these files", s.outLines().get(5));
    var v = run("validate");
    assertEquals(0, v.code(), v.toString());
    assertEquals(List.of(warning), v.errLines());
    // A gap below the newest file is still a deleted file, not a newer release.
    Files.delete(dir.resolve("002-t2.sql"));
    assertEquals(ExitCode.VALIDATION, run("up").code());
  }

  // ------------------------------------------------------------- 9: a _migrations table it did not write

  @Test void aRowOfAnotherToolIsOneLineAndExit5() throws Exception {
    write("001-a.sql", "CREATE TABLE a (id int);\n");
    MigrateTest.exec(url, "CREATE TABLE _migrations (id serial, name text, applied_at timestamptz DEFAULT now());"
        + " INSERT INTO _migrations (name) VALUES ('001_create_users')");
    for (String verb : List.of("up", "status", "validate")) {
      var r = run(verb);
      assertEquals(ExitCode.VALIDATION, r.code(), r.toString());
      assertEquals(new MigrationException.Invalid(List.of(new MigrationException.ForeignRow("public._migrations",
          "001_create_users"))), r.kind(), r.toString());
    }
    assertFalse(MigrateTest.exists(url, "a"));
  }

  @Test void anotherToolsTableIsOneLineAndExit5() throws Exception {
    write("001-a.sql", "CREATE TABLE a (id int);\n");
    MigrateTest.exec(url, "CREATE TABLE _migrations (id serial, filename text, run_on timestamptz DEFAULT now());"
        + " INSERT INTO _migrations (filename) VALUES ('20240101-init.js')");
    var r = run("up");
    assertEquals(ExitCode.VALIDATION, r.code(), r.toString());
    assertEquals(1, r.errLines().size(), r.toString());
    assertEquals(List.of("id", "filename", "run_on"), r.kind(MigrationException.NotMigrationTable.class).columns());
    assertTrue(r.err().startsWith("migrate: error: public._migrations is not a kodiai migration table (its columns: id, filename, run_on;"), r.err());
    assertFalse(MigrateTest.exists(url, "a"));
  }

  // ------------------------------------------------------------- 10: timings

  @Test void eachMigrationRecordsItsOwnTimeAndDuration() throws Exception {
    for (int i = 1; i <= 3; i++) write(String.format("%03d-s%d.sql", i, i), "SELECT pg_sleep(0.3);\n");
    assertEquals(0, run("up").code());
    List<String> ms = rows("SELECT execution_ms FROM _migrations ORDER BY version");
    for (String m : ms) assertTrue(Integer.parseInt(m) >= 290 && Integer.parseInt(m) < 1500, "each about 300 ms, not cumulative: " + ms);
    assertEquals(List.of("t"), rows("SELECT bool_and(gap >= interval '290 ms') FROM (SELECT applied_at - lag(applied_at)"
        + " OVER (ORDER BY version) AS gap FROM _migrations) g WHERE gap IS NOT NULL"), "applied_at is each migration's own");
  }

  // ------------------------------------------------------------- the runner's promises

  @Test void theLastCommitOfAnUpIsDurableWhenUpReturns() throws Exception {
    // Planted bug caught here: the final commit of an up made asynchronous too. The test cluster
    // runs with synchronous_commit off; the WAL writer is slowed so only a synchronous commit flushes.
    assumeTrue(rows("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").get(0).equals("t"), "needs a superuser");
    write("001-a.sql", "CREATE TABLE a (id int);\nCREATE TABLE commits (n int, mode text);\n"
            + "INSERT INTO commits VALUES (1, current_setting('synchronous_commit'));\n",
        "002-b.sql", "INSERT INTO commits VALUES (2, current_setting('synchronous_commit'));\n");
    MigrateTest.exec(url, "ALTER SYSTEM SET wal_writer_delay = '10s'");
    MigrateTest.exec(url, "SELECT pg_reload_conf()");
    try (Connection check = DbClient.open(url); Statement st = check.createStatement()) {
      st.execute("SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()"); // warm caches
      assertEquals(0, run("up").code());
      ResultSet rs = st.executeQuery("SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()");
      rs.next();
      assertTrue(rs.getBoolean(1), "everything up committed is flushed when it returns");
    } finally {
      MigrateTest.exec(url, "ALTER SYSTEM RESET wal_writer_delay");
      MigrateTest.exec(url, "SELECT pg_reload_conf()");
    }
    assertEquals(List.of("1|off", "2|on"), rows("SELECT n, mode FROM commits ORDER BY n"), "only the last commit waits for the flush");
  }

  @Test void downDeletesTheRowInTheSameTransactionAsTheDownFile() throws Exception {
    // Planted bug caught here: the down file's changes committed before its row is deleted.
    write("001-a.sql", "CREATE TABLE a (id int);\n", "002-b.sql", "CREATE TABLE b (id int);\n",
        "002-b.down.sql", "DROP TABLE b;\nCREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'no'; END$$;\n"
            + "CREATE TRIGGER refuse BEFORE DELETE ON _migrations FOR EACH ROW EXECUTE FUNCTION refuse();\n");
    assertEquals(0, run("up").code());
    var r = run("down", "1");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    assertTrue(r.err().contains("ERROR: no (SQLSTATE P0001)"), r.err());
    assertTrue(MigrateTest.exists(url, "b"), "the down file's changes were rolled back with the failed delete");
    assertEquals(List.of("1|applied", "2|applied"), rows("SELECT version, status FROM _migrations ORDER BY version"));
  }

  @Test void migrationsRunInOrderOfTheirNumberNotTheirName() throws Exception {
    // Planted bug caught here: ordering by file name ("10-" before "2-", "0011-" before "009-").
    write("1-a.sql", "CREATE TABLE log (v int);\nINSERT INTO log VALUES (1);\n", "2-b.sql", "INSERT INTO log VALUES (2);\n",
        "009-c.sql", "INSERT INTO log VALUES (9);\n", "10-d.sql", "INSERT INTO log VALUES (10);\n",
        "0011-e.sql", "INSERT INTO log VALUES (11);\n",
        "2-b.down.sql", "DELETE FROM log WHERE v = 2;\n", "009-c.down.sql", "DELETE FROM log WHERE v = 9;\n",
        "10-d.down.sql", "DELETE FROM log WHERE v = 10;\n", "0011-e.down.sql", "DELETE FROM log WHERE v = 11;\n");
    var r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals(List.of("applied 1-a.sql", "applied 2-b.sql", "applied 009-c.sql", "applied 10-d.sql", "applied 0011-e.sql"),
        r.outLines().stream().filter(l -> l.startsWith("applied")).map(l -> l.replaceAll(" \\(.*", "")).toList());
    assertEquals(List.of("1", "2", "9", "10", "11"), rows("SELECT v FROM log ORDER BY ctid"));
    var d = run("down", "1");
    assertEquals(0, d.code(), d.toString());
    assertEquals("rolling back 4: 011-e, 010-d, 009-c, 002-b", d.outLines().get(0));
  }

  @Test void aNonTransactionalMigrationIsRecordedAsFailedBeforeItsFirstStatement() throws Exception {
    // Planted bugs caught here: the failed row written after the statements, or not at all, or never marked applied.
    write("001-a.sql", "CREATE TABLE seen (status text);\n",
        "002-idx.sql", "-- migrate:no-transaction\nINSERT INTO seen SELECT status FROM _migrations WHERE version = 2;\n"
            + "CREATE INDEX CONCURRENTLY seen_status ON seen (status);\n");
    var r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals(List.of("failed"), rows("SELECT status FROM seen"), "recorded as failed while it ran");
    assertEquals(List.of("2|applied|" + MigrationSource.checksum(Files.readString(dir.resolve("002-idx.sql")))),
        rows("SELECT version, status, checksum FROM _migrations WHERE version = 2 AND execution_ms >= 0"));
  }

  @Test void runnersThatCollideWithoutTheLockGetAMessageNotAnException() throws Exception {
    // What a runner whose lock did not hold (a transaction pooler) sees: another one recorded the migration meanwhile.
    long gate = 919191;
    write("001-a.sql", "CREATE TABLE a (id int);\n",
        "002-b.sql", "CREATE TABLE b (id int);\nSELECT pg_advisory_lock(" + gate + ");\nSELECT pg_advisory_unlock(" + gate + ");\n");
    try (Connection test = DbClient.open(url); Statement st = test.createStatement()) {
      st.execute("SELECT pg_advisory_lock(" + gate + ")");
      CompletableFuture<MigrateTest.Run> runner = CompletableFuture.supplyAsync(() -> run("up"));
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (rows("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
          + " AND application_name = 'kodiai-migrate'").isEmpty()) {
        assertTrue(System.nanoTime() < deadline, "the runner did not reach the gate");
        Thread.sleep(50);
      }
      st.execute("INSERT INTO _migrations (name, version, checksum, status) VALUES ('002-b.sql', 2, 'x', 'applied')"); // the other runner
      st.execute("SELECT pg_advisory_unlock(" + gate + ")");
      var r = runner.get(60, TimeUnit.SECONDS);
      assertEquals(ExitCode.FAILED, r.code(), r.toString());
      assertEquals(new MigrationException.Collision("002-b.sql", null), r.kind());
      assertEquals(List.of("migrate: error: 002-b.sql was recorded by another runner while this one applied it (rolled back here, nothing"
          + " lost): two runners worked at once, so the migration lock did not hold (a transaction pooler such as PgBouncer does not keep"
          + " session advisory locks; connect directly); run `migrate status`"), r.errLines());
    }
    assertFalse(MigrateTest.exists(url, "b"));
  }

  @Test void aLostConnectionSaysWhatCommittedAndWhatToRunNext() throws Exception {
    write("001-a.sql", "CREATE TABLE a (id int);\n", "002-slow.sql", "CREATE TABLE b (id int);\nSELECT pg_sleep(30);\n",
        "003-c.sql", "CREATE TABLE c (id int);\n");
    CompletableFuture<MigrateTest.Run> runner = CompletableFuture.supplyAsync(() -> run("up"));
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
        + " AND wait_event = 'PgSleep' AND application_name = 'kodiai-migrate'").isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "the runner did not reach 002");
      Thread.sleep(50);
    }
    var r = runner.get(60, TimeUnit.SECONDS);
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    assertEquals("002-slow.sql", r.kind(MigrationException.Lost.class).during());
    assertEquals(List.of("migrate: error: lost the connection to the database (FATAL: terminating connection due to administrator command"
        + " (SQLSTATE 57P01)) during 002-slow.sql: it did not commit; this run applied 1 (the last: 001-a.sql); run `migrate up` again"
        + " to apply the rest"), r.errLines());
    assertTrue(r.out().startsWith("applied 001-a.sql"), r.toString());
    assertEquals(List.of("1"), versions());
  }

  // ------------------------------------------------------------- 11: minor

  @Test void newRefusesToGoBeyondTheLargestVersion() throws Exception {
    write("2147483647-last.sql", "SELECT 1;\n");
    var r = MigrateTest.cli("new", "next", "--dir", dir.toString());
    assertEquals(ExitCode.USAGE, r.code(), r.toString());
    assertEquals(new MigrationException.NoNextVersion(), r.kind());
    assertEquals(List.of("migrate: error: the newest migration has version 2147483647, the largest there is; no version can follow it"
        + " (renumber that file if it was a mistake)"), r.errLines());
    try (var s = Files.list(dir)) { assertEquals(1, s.count(), "nothing created"); }
  }

  static void assertMatches(String regex, String actual) { MigrateTest.assertMatches(regex, actual); }
}
