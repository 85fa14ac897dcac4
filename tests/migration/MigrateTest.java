import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import picocli.CommandLine;

/**
 * migrate.java in-process, through its CLI (exit codes, exact output lines) and its
 * library API, against a new database per test and migration folders written here.
 * Connection failures, the bundled migrations and the library API: MigrateEdgesTest.
 */
class MigrateTest {
  @TempDir Path dir;
  String name, url;

  @BeforeEach void newDatabase() throws SQLException { name = FreshDatabase.create("migrate"); url = FreshDatabase.urlFor(name); }
  @AfterEach void dropDatabase() throws SQLException { FreshDatabase.drop(name); }

  // ------------------------------------------------------------- helpers (shared with the other Migrate*Test)

  /** A run of the CLI: exit code, output, and the kind of failure it ended with (null: none). */
  record Run(int code, String out, String err, Failure.Kind kind) {
    List<String> outLines() { return out.isEmpty() ? List.of() : List.of(out.split("\n")); }
    List<String> errLines() { return err.isEmpty() ? List.of() : List.of(err.split("\n")); }
    /** The failure's kind as `type`, failing the test when it is another. */
    <K> K kind(Class<K> type) { return assertInstanceOf(type, kind, toString()); }
    @Override public String toString() { return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err; }
  }

  /** Runs the CLI as main() would, minus System.exit, with writers of its own (Captured: no global lock). */
  static Run cli(String... args) {
    Captured c = Captured.run(migrate.commandLine(), args);
    // These tests pass URLs with --url; the warning that draws is tested once, in passwordInUrlOptionDrawsAWarning.
    return new Run(c.code(), c.out(), c.err().replace(migrate.PASSWORD_IN_ARGS_WARNING + "\n", ""), c.kind());
  }

  Run run(String... args) {
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(List.of("--url", url, "--dir", dir.toString()));
    return cli(a.toArray(String[]::new));
  }

  @Test void passwordInUrlOptionDrawsAWarning() throws Exception {
    write(dir, "001-a.sql", "SELECT 1;");
    Captured c = Captured.run(migrate.commandLine(), "validate", "--url", url, "--dir", dir.toString());
    assertEquals(0, c.code(), c.toString());
    assertTrue(c.err().startsWith(migrate.PASSWORD_IN_ARGS_WARNING + "\n"), c.err());
    assertFalse(c.err().contains(DbClient.parse(url).password()), "the warning does not repeat the password");
  }

  static void write(Path dir, String... nameThenContent) throws IOException {
    for (int i = 0; i < nameThenContent.length; i += 2) Files.writeString(dir.resolve(nameThenContent[i]), nameThenContent[i + 1]);
  }

  /** Three plain migrations, each creating one table, each with a down file. */
  void threeTables() throws IOException {
    write(dir, "001-a.sql", "CREATE TABLE a (id int);\n", "001-a.down.sql", "DROP TABLE a;\n",
        "002-b.sql", "CREATE TABLE b (id int);\n", "002-b.down.sql", "DROP TABLE b;\n",
        "003-c.sql", "CREATE TABLE c (id int);\n", "003-c.down.sql", "DROP TABLE c;\n");
  }

  static List<String> rows(String url, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DbClient.open(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) sb.append(i > 1 ? "|" : "").append(rs.getString(i));
        out.add(sb.toString());
      }
    }
    return out;
  }

  static void exec(String url, String sql) throws SQLException {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) { st.execute(sql); }
  }

  static boolean exists(String url, String relation) throws SQLException {
    return rows(url, "SELECT to_regclass('" + relation + "') IS NOT NULL").get(0).equals("t");
  }

  /** version|status|checksum of each _migrations row (no rows when there is no table). */
  static List<String> tracked(String url) throws SQLException {
    if (!exists(url, "_migrations")) return List.of();
    return rows(url, "SELECT version, status, checksum FROM _migrations ORDER BY version");
  }

  String row(int version, String file) throws IOException {
    return version + "|applied|" + MigrationSource.checksum(Files.readString(dir.resolve(file)));
  }

  static void assertMatches(String regex, String actual) {
    assertTrue(actual.matches(regex), "expected to match " + regex + "\nbut was: " + actual);
  }

  static String statusLine(String version, String name, String state, String appliedAt) {
    return String.format("%-8s %-40s %-13s %s", version, name, state, appliedAt);
  }

  // ------------------------------------------------------------- up, status

  @Test void upAppliesEachPendingMigrationOnceInOrderWithALineEach() throws Exception {
    threeTables();
    Run r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals("", r.err());
    var lines = r.outLines();
    assertEquals(4, lines.size(), r.toString());
    assertMatches("applied 001-a\\.sql \\(\\d+ ms\\)", lines.get(0));
    assertMatches("applied 002-b\\.sql \\(\\d+ ms\\)", lines.get(1));
    assertMatches("applied 003-c\\.sql \\(\\d+ ms\\)", lines.get(2));
    assertMatches("migrate: 3 applied, 0 pending, at version 3 \\([\\d.,]+ s\\)", lines.get(3));
    assertEquals(List.of(row(1, "001-a.sql"), row(2, "002-b.sql"), row(3, "003-c.sql")), tracked(url));
    assertEquals(List.of("001-a.sql", "002-b.sql", "003-c.sql"), rows(url, "SELECT name FROM _migrations ORDER BY id"));
    assertTrue(exists(url, "a") && exists(url, "b") && exists(url, "c"));
    assertEquals(List.of("3"), rows(url, "SELECT count(*) FROM _migrations WHERE execution_ms >= 0 AND applied_by = current_user"));

    Run again = cli("--url", url, "--dir", dir.toString()); // no verb means up
    assertEquals(0, again.code(), again.toString());
    assertEquals(1, again.outLines().size(), again.toString());
    assertMatches("migrate: 0 applied, 0 pending, at version 3 \\([\\d.,]+ s\\)", again.out().strip());
    assertEquals(3, tracked(url).size());
  }

  @Test void upToStopsAtTheVersionAndStatusShowsEveryState() throws Exception {
    threeTables();
    assertEquals(0, run("up", "--to", "2").code());
    assertFalse(exists(url, "c"));
    Run s = run("status");
    assertEquals(0, s.code(), s.toString());
    var lines = s.outLines();
    assertEquals(statusLine("VERSION", "NAME", "STATE", "APPLIED AT"), lines.get(0));
    assertMatches("001 {6}a {40}applied {7}\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z", lines.get(1));
    assertMatches("002 {6}b {40}applied {7}\\d{4}-.*Z", lines.get(2));
    assertEquals(statusLine("003", "c", "pending", "-"), lines.get(3));
    assertEquals("2 applied, 1 pending, 0 modified, 0 file missing, 0 failed", lines.get(4));
    assertEquals(5, lines.size());

    // modified, file missing: status reports them and still exits 0 (validate is the check).
    Files.writeString(dir.resolve("001-a.sql"), "CREATE TABLE a (id bigint);\n");
    Files.delete(dir.resolve("002-b.sql"));
    Files.delete(dir.resolve("002-b.down.sql"));
    s = run("status");
    assertEquals(0, s.code(), s.toString());
    assertMatches("001 {6}a {40}modified {6}\\d{4}-.*Z", s.outLines().get(1));
    assertMatches("002 {6}002-b\\.sql {32}file missing {2}\\d{4}-.*Z", s.outLines().get(2));
    assertEquals("0 applied, 1 pending, 1 modified, 1 file missing, 0 failed", s.outLines().get(4));
  }

  @Test void statementBoundariesSurviveBeingSentInOneRoundTrip() throws Exception {
    write(dir, "001-fn.sql", "CREATE TABLE t (s text);\n"
            + "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN 'a;b'; -- a comment; with a semicolon\nEND\n$body$;\n"
            + "INSERT INTO t VALUES (E'x\\'y;z'), ('/* not a comment; */'), ($$;$$) -- the file ends in a comment, no ';'",
        "002-empty.sql", "-- nothing yet; only a comment\n/* and; a block */\n",
        "003-after.sql", "INSERT INTO t VALUES ('after')");
    Run r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertEquals(List.of("a;b"), rows(url, "SELECT f()"));
    assertEquals(List.of("x'y;z", "/* not a comment; */", ";", "after"), rows(url, "SELECT s FROM t"));
    assertEquals(List.of(row(1, "001-fn.sql"), row(2, "002-empty.sql"), row(3, "003-after.sql")), tracked(url));
  }

  // ------------------------------------------------------------- failures

  @Test void sqlErrorMidFileNamesFileLineAndServerMessageAndLeavesNoTrace() throws Exception {
    write(dir, "001-a.sql", "CREATE TABLE a (id int);\n",
        "002-b.sql", "-- 002: the second statement fails\nCREATE TABLE b1 (id int);\nINSERT INTO b1\n  SELECT * FROM no_such_table;\nCREATE TABLE b2 (id int);\n",
        "003-c.sql", "CREATE TABLE c (id int);\n");
    Run r = run("up");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    assertEquals(new MigrationException.StatementFailed("002-b.sql", 4, "42P01",
        "ERROR: relation \"no_such_table\" does not exist (SQLSTATE 42P01)"), r.kind());
    // the one test of this kind's line
    assertEquals(List.of("migrate: error: 002-b.sql line 4: ERROR: relation \"no_such_table\" does not exist (SQLSTATE 42P01)"), r.errLines());
    assertEquals(1, r.outLines().size(), r.toString());
    assertMatches("applied 001-a\\.sql \\(\\d+ ms\\)", r.outLines().get(0));
    assertEquals(List.of(row(1, "001-a.sql")), tracked(url), "001 stays applied, 002 and 003 are not recorded");
    assertTrue(exists(url, "a"));
    assertFalse(exists(url, "b1"), "the failed migration's first statement was rolled back");
    assertFalse(exists(url, "b2"));
    assertFalse(exists(url, "c"), "later migrations are not attempted");
  }

  @Test void statementThatRefusesATransactionSaysToUseTheMarker() throws Exception {
    write(dir, "001-a.sql", "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n");
    Run r = run("up");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    var failed = r.kind(MigrationException.StatementFailed.class);
    assertEquals(List.of(2, "25001"), List.of(failed.line(), failed.sqlState()));
    assertTrue(failed.server().endsWith("; this statement cannot run in a transaction: put `"
        + MigrationSource.NO_TRANSACTION_MARKER + "` at the top of the file"), failed.server());
    assertFalse(exists(url, "a"));
    assertEquals(List.of(), tracked(url));
  }

  @Test void badFileNamesAreAllReportedBeforeAnythingRuns() throws Exception {
    write(dir, "001-a.sql", "CREATE TABLE a (id int);\n", "2-Bad.sql", "SELECT 1;\n", "003-c.down.sql", "SELECT 1;\n",
        "004-d.sql", "SELECT 1;\n", "04-e.sql", "SELECT 1;\n");
    Run r = run("up");
    assertEquals(ExitCode.VALIDATION, r.code(), r.toString());
    assertEquals(1, r.errLines().size(), r.toString());
    for (String s : List.of("2-Bad.sql: name does not fit", "003-c.down.sql: down file without its migration", "duplicate version 4"))
      assertTrue(r.err().contains(s), r.toString());
    assertFalse(exists(url, "a"));
    assertFalse(exists(url, "_migrations"), "nothing ran, not even the tracking table");
    assertEquals(ExitCode.VALIDATION, run("validate").code());
  }

  @Test void editedAppliedFileIsRefusedByUpAndValidateUntilAccepted() throws Exception {
    write(dir, "001-a.sql", "CREATE TABLE a (id int);\n", "002-b.sql", "CREATE TABLE b (id int);\n");
    assertEquals(0, run("up").code());
    Files.writeString(dir.resolve("001-a.sql"), "CREATE TABLE a (id bigint);\n");
    write(dir, "003-c.sql", "CREATE TABLE c (id int);\n");
    String why = "001-a.sql was edited after it was applied (checksum differs); restore it, or add a new migration for the change"
        + " (if the edit is harmless: migrate resolve 1 --accept-edit)";

    Run up = run("up");
    assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
    assertEquals(new MigrationException.Invalid(List.of(new MigrationException.Edited("001-a.sql", 1))), up.kind());
    // the one test of the lines of this kind: `up`'s error, and `validate`'s problem
    assertEquals(List.of("migrate: error: " + why), up.errLines());
    assertFalse(exists(url, "c"), "nothing ran");

    Run v = run("validate");
    assertEquals(ExitCode.VALIDATION, v.code(), v.toString());
    assertEquals(List.of("migrate: invalid: " + why), v.errLines());
    assertEquals("migrate: INVALID: 3 migrations, 1 pending, 1 problem", v.out().strip());

    // A CRLF checkout of the original text is not an edit.
    Files.writeString(dir.resolve("001-a.sql"), "CREATE TABLE a (id int);\r\n");
    Run crlf = run("validate");
    assertEquals(0, crlf.code(), crlf.toString());
    assertEquals("migrate: valid: 3 migrations, 1 pending, 0 problems", crlf.out().strip());

    Files.writeString(dir.resolve("001-a.sql"), "-- harmless comment\nCREATE TABLE a (id int);\n");
    assertEquals(ExitCode.VALIDATION, run("validate").code());
    Run accept = run("resolve", "1", "--accept-edit");
    assertEquals(0, accept.code(), accept.toString());
    assertEquals("accepted the current content of 001-a.sql", accept.out().strip());
    assertEquals(0, run("validate").code());
    assertEquals(row(1, "001-a.sql"), tracked(url).get(0));
    assertEquals(0, run("up").code());
    assertTrue(exists(url, "c"));
  }

  @Test void deletedAppliedFileIsRefused() throws Exception {
    threeTables();
    assertEquals(0, run("up", "--to", "2").code());
    Files.delete(dir.resolve("002-b.sql"));
    Files.delete(dir.resolve("002-b.down.sql"));
    var why = new MigrationException.FileMissing("002-b.sql");
    Run up = run("up");
    assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
    assertEquals(new MigrationException.Invalid(List.of(why)), up.kind());
    assertFalse(exists(url, "c"));
    Run v = run("validate");
    assertEquals(ExitCode.VALIDATION, v.code());
    assertEquals(List.of("migrate: invalid: " + why.describe()), v.errLines());
  }

  @Test void newFileNumberedBelowTheNewestAppliedIsRefused() throws Exception {
    write(dir, "001-a.sql", "CREATE TABLE a (id int);\n", "003-c.sql", "CREATE TABLE c (id int);\n");
    assertEquals(0, run("up").code());
    write(dir, "002-b.sql", "CREATE TABLE b (id int);\n");
    var why = new MigrationException.OutOfOrder("002-b.sql", 3);
    Run up = run("up");
    assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
    assertEquals(new MigrationException.Invalid(List.of(why)), up.kind());
    assertFalse(exists(url, "b"));
    assertEquals(List.of("migrate: invalid: " + why.describe()), run("validate").errLines());
  }

  // ------------------------------------------------------------- non-transactional migrations and resolve

  static final String NO_TX_FAILING = "-- migrate:no-transaction\n-- builds t2 and its index outside a transaction\n"
      + "CREATE TABLE t2 (id int);\nCREATE INDEX CONCURRENTLY t2_x ON t2 (no_such_column);\n";
  static final String NO_TX_FIXED = "-- migrate:no-transaction\nCREATE TABLE IF NOT EXISTS t2 (id int);\n"
      + "CREATE INDEX CONCURRENTLY IF NOT EXISTS t2_id ON t2 (id);\n";

  @Test void nonTransactionalFailureIsRecordedAndUpRefusesUntilResolvedRolledBack() throws Exception {
    write(dir, "001-a.sql", "CREATE TABLE a (id int);\n", "002-idx.sql", NO_TX_FAILING, "003-c.sql", "CREATE TABLE c (id int);\n");
    Run r = run("up");
    assertEquals(ExitCode.FAILED, r.code(), r.toString());
    var noTx = r.kind(MigrationException.NoTransactionFailed.class);
    assertEquals(4, assertInstanceOf(MigrationException.StatementFailed.class, noTx.cause()).line());
    assertEquals(List.of("migrate: error: 002-idx.sql line 4: ERROR: column \"no_such_column\" does not exist (SQLSTATE 42703);"
        + " 002-idx.sql ran without a transaction and is recorded as failed: finish or undo its statements by hand,"
        + " then `migrate resolve 2 --applied` or `--rolled-back`"), r.errLines());
    assertTrue(exists(url, "t2"), "without a transaction the first statement stays");
    assertFalse(exists(url, "c"), "later migrations are not attempted");
    assertEquals("2|failed", rows(url, "SELECT version, status FROM _migrations WHERE version = 2").get(0));

    Run s = run("status");
    assertMatches("002 {6}idx {38}failed {8}.*", s.outLines().get(2));
    assertEquals("1 applied, 1 pending, 0 modified, 0 file missing, 1 failed", s.outLines().get(4));

    var why = new MigrationException.Unfinished("002-idx.sql", 2);
    Run up = run("up");
    assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
    assertEquals(new MigrationException.Invalid(List.of(why)), up.kind());
    assertEquals(List.of("migrate: invalid: " + why.describe()), run("validate").errLines());
    var down = run("down", "0");
    assertEquals(ExitCode.VALIDATION, down.code(), "no rollback over an unfinished migration: " + down);
    down.kind(MigrationException.RollbackRefused.class);

    // The operator undoes it by hand and fixes the file; `up` then runs it again.
    exec(url, "DROP TABLE t2");
    Files.writeString(dir.resolve("002-idx.sql"), NO_TX_FIXED);
    Run resolved = run("resolve", "2", "--rolled-back");
    assertEquals(0, resolved.code(), resolved.toString());
    assertEquals("marked 002-idx.sql as not applied; `migrate up` will run it again", resolved.out().strip());
    Run again = run("up");
    assertEquals(0, again.code(), again.toString());
    assertMatches("applied 002-idx\\.sql \\(\\d+ ms\\)", again.outLines().get(0));
    assertEquals(List.of(row(1, "001-a.sql"), row(2, "002-idx.sql"), row(3, "003-c.sql")), tracked(url));
    assertEquals(List.of("t"), rows(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't2_id'::regclass"));
  }

  @Test void nonTransactionalFailureResolvedAsAppliedRecordsTheCurrentFile() throws Exception {
    write(dir, "001-idx.sql", NO_TX_FAILING, "002-c.sql", "CREATE TABLE c (id int);\n");
    assertEquals(ExitCode.FAILED, run("up").code());
    exec(url, "CREATE INDEX t2_id ON t2 (id)"); // finished by hand
    Files.writeString(dir.resolve("001-idx.sql"), NO_TX_FIXED);
    Run resolved = run("resolve", "1", "--applied");
    assertEquals(0, resolved.code(), resolved.toString());
    assertEquals("marked 001-idx.sql as applied", resolved.out().strip());
    assertEquals(List.of(row(1, "001-idx.sql")), tracked(url));
    assertEquals(0, run("up").code());
    assertTrue(exists(url, "c"));
    Run bad = run("resolve", "7", "--rolled-back");
    assertEquals(ExitCode.USAGE, bad.code(), bad.toString());
    assertEquals(new MigrationException.NotRecorded(7), bad.kind());
    assertEquals(List.of("migrate: error: version 7 is not recorded as applied or failed"), bad.errLines());
    assertEquals(ExitCode.USAGE, run("resolve", "1").code(), "one of --applied, --rolled-back, --accept-edit is required");
  }

  @Test void nonTransactionalMigrationBuildsAValidIndexConcurrently() throws Exception {
    write(dir, "001-a.sql", "CREATE TABLE a (id int);\nINSERT INTO a SELECT generate_series(1, 1000);\n",
        "002-a-idx.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\nVACUUM a;\n");
    Run r = run("up");
    assertEquals(0, r.code(), r.toString());
    assertMatches("applied 002-a-idx\\.sql \\(\\d+ ms\\)", r.outLines().get(1));
    assertEquals(List.of("t"), rows(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass"));
    assertEquals(List.of(row(1, "001-a.sql"), row(2, "002-a-idx.sql")), tracked(url));
  }
}
