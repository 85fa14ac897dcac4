import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs of transactional migrations travel to the server as one message: an error deep in a
 * long run must still stop exactly there, keep what came before, and name the file and line.
 */
class MigrateRunTest {
  Path dir;
  String name, url;

  @BeforeEach void setUp() throws Exception {
    dir = Files.createTempDirectory("kodiai-run");
    name = FreshDatabase.create("migrun");
    url = FreshDatabase.urlFor(name);
  }

  @AfterEach void tearDown() throws Exception {
    FreshDatabase.drop(name);
    try (var s = Files.list(dir)) { for (Path p : s.toList()) Files.delete(p); }
    Files.delete(dir);
  }

  void migrations(int count, int failing, String failingBody) throws Exception {
    for (int i = 1; i <= count; i++) {
      String body = i == failing ? failingBody
          : "-- table " + i + "\nCREATE TABLE run_t" + i + " (id int PRIMARY KEY, v text);\nCREATE INDEX run_t" + i + "_v ON run_t" + i + " (v);\n";
      Files.writeString(dir.resolve(String.format("%03d-m%d.sql", i, i)), body);
    }
  }

  int count(String sql) throws Exception {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test void anErrorDeepInALongRunStopsThereAndNamesFileAndLine() throws Exception {
    // nextval survives a rollback: the sequence counts how often the failing migration ran.
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) { st.execute("CREATE SEQUENCE run_calls"); }
    migrations(300, 150, "CREATE TABLE run_t150 (id int);\nSELECT nextval('run_calls');\n\nSELECT *\n  FROM missing_table_xyz;\nCREATE TABLE run_after (id int);\n");
    var r = MigrateTest.cli("up", "--url", url, "--dir", dir.toString());
    assertEquals(1, r.code(), r.err());
    var failed = r.kind(MigrationException.StatementFailed.class);
    assertEquals(List.of("150-m150.sql", 5, "42P01"), List.of(failed.file(), failed.line(), failed.sqlState()));
    assertEquals(1, r.errLines().size(), r.toString());
    assertEquals(149, count("SELECT count(*) FROM _migrations"), "everything before the failure stays applied");
    assertEquals(149, count("SELECT max(version) FROM _migrations"));
    assertEquals(0, count("SELECT count(*) FROM pg_class WHERE relname IN ('run_t150', 'run_after', 'run_t151', 'run_t300')"),
        "the failed migration left no trace and later ones never ran");
    assertEquals(149, r.out().lines().filter(l -> l.startsWith("applied ")).count(), r.out());
    assertTrue(r.out().contains("applied 149-m149.sql ("), r.out());
    assertEquals(1, count("SELECT last_value FROM run_calls"),
        "the line came from the server's error position: the failing migration was not run a second time");
  }

  @Test void anErrorWithoutPositionIsLocatedByCountingTheStatementsThatCompleted() throws Exception {
    // A unique violation carries no position: the server answered each statement before it, so their count names the line.
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) { st.execute("CREATE SEQUENCE run_calls"); }
    migrations(20, 7, "CREATE TABLE run_t7 (id int PRIMARY KEY);\nSELECT nextval('run_calls');\nINSERT INTO run_t7 VALUES (1);\n"
        + "INSERT INTO run_t7 VALUES (1);\n");
    var r = MigrateTest.cli("up", "--url", url, "--dir", dir.toString());
    assertEquals(1, r.code(), r.err());
    var failed = r.kind(MigrationException.StatementFailed.class);
    assertEquals(List.of("007-m7.sql", 4, "23505"), List.of(failed.file(), failed.line(), failed.sqlState()));
    assertEquals(6, count("SELECT count(*) FROM _migrations"));
    assertEquals(0, count("SELECT count(*) FROM pg_class WHERE relname IN ('run_t7', 'run_t8')"));
    assertEquals(1, count("SELECT last_value FROM run_calls"), "the failing migration ran once");
  }

  @Test void anErrorInALaterStatementOfTheFirstMigrationOfARunNamesItsOwnLine() throws Exception {
    migrations(3, 2, "CREATE TABLE run_t2 (id int);\n-- a comment\nALTER TABLE run_t2 ADD COLUMN id int;\n");
    Files.writeString(dir.resolve("001-m1.sql"), "CREATE TABLE run_t1 (id int);\n");
    assertEquals(0, MigrateTest.cli("up", "--to", "1", "--url", url, "--dir", dir.toString()).code());
    var r = MigrateTest.cli("up", "--url", url, "--dir", dir.toString()); // 002 now opens the run
    assertEquals(1, r.code());
    var failed = r.kind(MigrationException.StatementFailed.class);
    assertEquals(List.of("002-m2.sql", 3, "42701"), List.of(failed.file(), failed.line(), failed.sqlState()));
    assertEquals(1, count("SELECT count(*) FROM _migrations"));
  }

  @Test void aLongRunAppliesEverythingOnceWithALineEach() throws Exception {
    migrations(300, 0, null);
    var r = MigrateTest.cli("up", "--url", url, "--dir", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(300, count("SELECT count(DISTINCT version) FROM _migrations WHERE status = 'applied' AND checksum IS NOT NULL"));
    assertEquals(300, count("SELECT count(*) FROM pg_class WHERE relname LIKE 'run\\_t%\\_v'"), "each file's index exists");
    assertEquals(300, r.out().lines().filter(l -> l.matches("applied \\d{3}-m\\d+\\.sql \\(\\d+ ms\\)")).count());
  }
}
