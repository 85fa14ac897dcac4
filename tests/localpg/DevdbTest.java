import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

/** devdb's local-cluster mode, end to end, in a temporary folder on a free port (never the real .devdb). */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DevdbTest {
  static Path dir;
  static int port;

  record Run(int code, String out, String err) {}

  @BeforeAll static void folder() throws Exception {
    dir = Files.createTempDirectory("kodiai-devdb-test");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // the postgres user must reach it
    port = LocalCluster.freePort();
  }

  @AfterAll static void cleanUp() throws Exception {
    devdb("down", "--purge");
    Files.deleteIfExists(dir);
  }

  static Run devdb(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--no-docker", "--no-install", "--dir", dir.toString(), "--port", String.valueOf(port)));
    PrintStream out = System.out, err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true));
    System.setErr(new PrintStream(e, true));
    try {
      int code = new CommandLine(new devdb()).execute(all.toArray(String[]::new));
      return new Run(code, o.toString(), e.toString());
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  static String expectedUrl() { return "postgresql://kodiai:kodiai@127.0.0.1:" + port + "/kodiai"; }

  @Test @Order(1) void statusBeforeUpSaysStopped() {
    Run r = devdb("status");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("state: stopped"), r.out());
  }

  @Test @Order(2) void upCreatesTheDatabaseAppliesMigrationsAndEndsWithTheUrl() throws Exception {
    Run r = devdb("up");
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().strip().split("\n");
    assertEquals("DATABASE_URL=" + expectedUrl(), lines[lines.length - 1]);
    try (Connection c = DbClient.open(expectedUrl()); Statement st = c.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
      assertTrue(rs.next(), "pgvector installed in the kodiai database");
      assertTrue(SchemaCheck.atLeast(rs.getString(1), SchemaCheck.MIN_VECTOR_VERSION), "pgvector >= 0.8, got " + rs.getString(1));
      rs = st.executeQuery("SELECT count(*) FROM _migrations WHERE status = 'applied'");
      rs.next();
      assertEquals(MigrationSource.load(null).migrations.size(), rs.getInt(1), "every bundled migration applied");
    }
  }

  @Test @Order(3) void upTwiceIsHarmless() throws Exception {
    try (Connection c = DbClient.open(expectedUrl()); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE keep_me (id int)");
    }
    Run r = devdb("up");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("up to date"), r.err());
    assertTrue(r.out().strip().endsWith("DATABASE_URL=" + expectedUrl()));
    try (Connection c = DbClient.open(expectedUrl()); Statement st = c.createStatement()) {
      assertTrue(st.executeQuery("SELECT to_regclass('keep_me') IS NOT NULL").next());
    }
  }

  @Test @Order(4) void urlPrintsOnlyTheUrl() {
    Run r = devdb("url");
    assertEquals(0, r.code());
    assertEquals(expectedUrl() + "\n", r.out());
  }

  @Test @Order(5) void statusShowsRunningAndAppliedMigrations() {
    Run r = devdb("status");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("state: running"), r.out());
    assertTrue(r.out().contains("001 initial-schema"), r.out());
    int n = MigrationSource.load(null).migrations.size();
    assertTrue(r.out().contains("migrations: " + n + " applied of " + n), r.out());
    assertFalse(r.out().contains("kodiai:kodiai@"), "status shows the URL redacted");
  }

  @Test @Order(6) void downStopsButKeepsTheData() throws Exception {
    Run r = devdb("down");
    assertEquals(0, r.code(), r.err());
    assertThrows(DbClient.DbException.class, () -> DbClient.open(expectedUrl()).close());
    assertTrue(devdb("status").out().contains("state: stopped"));
    assertTrue(Files.exists(dir.resolve("pgdata/PG_VERSION")), "data kept");
    assertEquals(0, devdb("up").code());
    try (Connection c = DbClient.open(expectedUrl()); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT to_regclass('keep_me') IS NOT NULL")) {
      rs.next();
      assertTrue(rs.getBoolean(1), "a table made before down survives down and up");
    }
  }

  @Test @Order(7) void downPurgeDeletesTheData() {
    Run r = devdb("down", "--purge");
    assertEquals(0, r.code(), r.err());
    assertFalse(Files.exists(dir.resolve("pgdata")), "data deleted");
    assertFalse(Files.exists(dir), "the emptied state folder goes too");
  }

  @Test @Order(8) void unknownActionIsAUsageError() {
    Run r = devdb("sideways");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown action 'sideways'"), r.err());
  }

  @Test void composeFileMatchesTheDockerMode() throws Exception {
    Path compose = MigrationSource.checkoutRoot().resolve("compose.yaml");
    String y = Files.readString(compose);
    assertTrue(y.matches("(?s).*\\n  postgres:\\n    image: pgvector/pgvector:pg17\\n.*"), "service postgres on pgvector/pgvector:pg17");
    for (String env : List.of("POSTGRES_DB: kodiai", "POSTGRES_USER: kodiai", "POSTGRES_PASSWORD: kodiai"))
      assertTrue(y.contains("      " + env + "\n"), env);
    assertTrue(y.contains("      - \"5432:5432\"\n"), "port 5432");
    assertTrue(y.contains("      - pgdata:/var/lib/postgresql/data\n") && y.contains("\nvolumes:\n  pgdata:"), "named volume");
    assertTrue(y.contains("test: [\"CMD\", \"pg_isready\", \"-U\", \"kodiai\", \"-d\", \"kodiai\"]"), "healthcheck");
    devdb d = new devdb();
    assertEquals("postgresql://kodiai:kodiai@localhost:5432/kodiai", d.url(true), "devdb's docker URL fits compose.yaml");
  }
}
