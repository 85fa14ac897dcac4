import static org.junit.jupiter.api.Assertions.*;

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
  static Path base, dir;
  static int port;

  record Run(int code, String out, String err) {}

  @BeforeAll static void folder() throws Exception {
    base = Files.createTempDirectory("kodiai-devdb-test");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x")); // the postgres user must reach it
    dir = base.resolve("state"); // devdb creates it, so down --purge may delete it
    port = LocalCluster.freePort();
  }

  @AfterAll static void cleanUp() throws Exception {
    devdb("down", "--purge");
    try (var files = Files.walk(base)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  static Run devdb(String... args) { return devdbIn(dir, args); }

  /** devdb as main runs it (the one error handler, exit codes), with its output captured. */
  static Run devdbIn(Path stateDir, String... args) {
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--port", String.valueOf(port)));
    return inProcess(stateDir, all);
  }

  /** devdb as main runs it with `args` and the given folder (no Docker, no install), its output captured. */
  static Run inProcess(Path stateDir, List<String> args) {
    List<String> all = new java.util.ArrayList<>(args);
    all.addAll(List.of("--no-docker", "--no-install", "--dir", stateDir.toString()));
    Captured c = Captured.run(Cli.commandLine(new devdb(), DbClient::redact), all.toArray(String[]::new));
    return new Run(c.code(), c.out(), c.err());
  }

  static String expectedUrl() { return "postgresql://kodiai:kodiai@127.0.0.1:" + port + "/kodiai"; }

  /** Before up there is no cluster: `url` must not print a URL (another checkout's cluster may answer there). */
  @Test @Order(1) void urlAndStatusOfAClusterThatDoesNotExistFail() {
    for (String action : List.of("url", "status")) {
      Run r = devdb(action);
      assertEquals(ExitCode.FAILED, r.code(), action + ": " + r.out() + r.err());
      assertEquals("", r.out(), action + " prints nothing on stdout: " + r.out());
      assertEquals("devdb: error: no devdb cluster in " + dir.resolve("pgdata") + ": create it with ./jbang devdb@kodiai up"
          + " --dir " + dir, r.err().strip(), action);
    }
    assertFalse(Files.exists(dir), "url and status create nothing");
  }

  /** --port outside 1-65535 (also through KODIAI_DEVDB_PORT's picocli default) is a usage error before anything. */
  @Test @Order(1) void aPortOutsideTheRangeIsAUsageErrorAndChangesNothing() {
    for (String bad : List.of("0", "99999", "65536", "-5")) {
      Run r = inProcess(dir, List.of("up", "--port=" + bad));
      assertEquals(ExitCode.USAGE, r.code(), bad + ": " + r.err());
      assertTrue(r.err().startsWith("devdb: error: --port (or KODIAI_DEVDB_PORT) must be 1-65535, got " + bad + "\n"), r.err());
      assertFalse(r.err().contains("devdb up --port " + bad), "no advice to repeat the bad port: " + r.err());
      assertFalse(Files.exists(dir), bad + ": nothing created");
    }
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

  /** The cluster listens on loopback only (no Unix socket): the dev password is public. */
  @Test @Order(6) void theClusterListensOnLoopbackOnly() throws Exception {
    try (Connection c = DbClient.open(expectedUrl()); Statement st = c.createStatement()) {
      for (String[] want : new String[][] {{"listen_addresses", "127.0.0.1"}, {"unix_socket_directories", ""}}) {
        ResultSet rs = st.executeQuery("SHOW " + want[0]);
        rs.next();
        assertEquals(want[1], rs.getString(1), want[0]);
      }
    }
  }

  /** A postmaster.pid left by a crash, whose PID now belongs to another program (owned by the server's user). */
  @Test @Order(7) void aStalePidFileNamingAnotherProcessIsNeitherTrustedNorSignalled() throws Exception {
    assertEquals(0, devdb("down").code());
    List<String> cmd = new java.util.ArrayList<>(List.of("sh", "-c", "echo $$; exec sleep 300"));
    if (LocalCluster.runningAsRoot()) cmd.addAll(0, List.of("runuser", "-u", LocalCluster.OS_USER_WHEN_ROOT, "--"));
    Process other = new ProcessBuilder(cmd).start();
    try {
      long pid = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream())).readLine().strip());
      Path pidFile = dir.resolve("pgdata/postmaster.pid");
      Files.writeString(pidFile, pid + "\n" + dir.resolve("pgdata") + "\n");
      Run status = devdb("status");
      assertTrue(status.out().contains("state: stopped") && status.out().contains("PID " + pid + " is another program"), status.out());
      long t0 = System.nanoTime();
      Run down = devdb("down");
      assertEquals(0, down.code(), down.err());
      assertTrue(down.err().contains("not running"), down.err());
      assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "down waited for the other program");
      Run up = devdb("up");
      assertEquals(0, up.code(), up.err());
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the other program was signalled");
      assertNotEquals(String.valueOf(pid), Files.readAllLines(pidFile).get(0), "the stale pid file was replaced");
    } finally {
      other.descendants().forEach(ProcessHandle::destroyForcibly); // first: once runuser is gone, its child is nobody's descendant
      other.destroyForcibly();
    }
  }

  /** A process named postgres that is not this cluster's server: argv[0] alone must not make it ours. */
  @Test @Order(7) void aStalePidOfAnotherPostgresNamedProgramIsNotTrusted() throws Exception {
    assertStalePidIsLeftAlone("exec -a postgres sleep 300", Path.of("/"));
  }

  /** Named postgres with `-D THIS_FOLDER` in its argv, but running elsewhere: the data folder check catches it. */
  @Test @Order(7) void aStalePidOfAPostgresNamingThisFolderButRunningElsewhereIsNotTrusted() throws Exception {
    assertStalePidIsLeftAlone("exec -a postgres bash -c 'sleep 300; :' x -D " + dir.resolve("pgdata"), Path.of("/"));
  }

  /** Named postgres, -D naming another data folder, working folder this one: not ours either. */
  @Test @Order(7) void aStalePidOfAnotherClustersPostgresIsNotTrusted() throws Exception {
    assertStalePidIsLeftAlone("exec -a postgres bash -c 'sleep 300; :' x -D /var/lib/postgresql/15/main", dir.resolve("pgdata"));
  }

  /** status, down and up with a postmaster.pid naming a process started by `script` (bash) in `cwd`. */
  static void assertStalePidIsLeftAlone(String script, Path cwd) throws Exception {
    assertEquals(0, devdb("down").code());
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", "-c", "echo $$; " + script));
    if (LocalCluster.runningAsRoot()) cmd.addAll(0, List.of("runuser", "-u", LocalCluster.OS_USER_WHEN_ROOT, "--"));
    Process other = new ProcessBuilder(cmd).directory(cwd.toFile()).start();
    try {
      long pid = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream())).readLine().strip());
      Thread.sleep(200); // let exec -a replace the shell's argv
      Path pidFile = dir.resolve("pgdata/postmaster.pid");
      Files.writeString(pidFile, pid + "\n" + dir.resolve("pgdata") + "\n");
      Run status = devdb("status");
      assertTrue(status.out().contains("PID " + pid + " is another program"), script + ": " + status.out());
      Run down = devdb("down");
      assertEquals(0, down.code(), down.err());
      assertTrue(down.err().contains("not running"), down.err());
      Run up = devdb("up");
      assertEquals(0, up.code(), up.err());
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the other program was signalled");
      assertNotEquals(String.valueOf(pid), Files.readAllLines(pidFile).get(0), "the stale pid file was replaced");
    } finally {
      other.descendants().forEach(ProcessHandle::destroyForcibly);
      other.destroyForcibly();
    }
  }

  /** postgresql.conf with `port = 0` (what --port 0 used to write): up repairs it, the cluster starts. */
  @Test @Order(7) void upRepairsAConfiguredPortOfZero() throws Exception {
    assertEquals(0, devdb("down").code());
    Path conf = dir.resolve("pgdata/postgresql.conf");
    Files.writeString(conf, Files.readString(conf).replaceAll("(?m)^port = \\d+$", "port = 0"));
    assertEquals(0, LocalCluster.configuredPort(dir.resolve("pgdata")));
    Run up = devdb("up");
    assertEquals(0, up.code(), up.err());
    assertEquals(port, LocalCluster.configuredPort(dir.resolve("pgdata")));
  }

  /** As root, a --dir under a folder the postgres user cannot enter (mktemp -d, a 0700 home): exit 8, nothing made. */
  @Test void aFolderThePostgresUserCannotEnterIsOneLineAndLeavesNothing() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(LocalCluster.runningAsRoot(), "only root hands the server to postgres");
    Path closed = Files.createTempDirectory("kodiai-devdb-closed"); // mode 0700, as mktemp -d
    try {
      Path state = closed.resolve("state");
      Run r = inProcess(state, List.of("up", "--port", String.valueOf(LocalCluster.freePort())));
      assertEquals(ExitCode.LOCAL_ERROR, r.code(), r.err());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().startsWith("devdb: error: the postgres user, which runs PostgreSQL when devdb runs as root, cannot"
          + " enter " + closed + ": give it access"), r.err());
      try (var left = Files.list(closed)) { assertEquals(List.of(), left.toList(), "nothing left behind"); }
    } finally {
      try (var files = Files.walk(closed)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }

  @Test @Order(8) void downPurgeDeletesTheData() {
    Run r = devdb("down", "--purge");
    assertEquals(0, r.code(), r.err());
    assertFalse(Files.exists(dir.resolve("pgdata")), "data deleted");
    assertFalse(Files.exists(dir), "the emptied state folder goes too");
  }

  /** --dir naming a folder devdb did not make: down --purge deletes nothing, stops nothing, and says why. */
  @Test void purgeRefusesAFolderWithoutDevdbsMarker() throws Exception {
    Path other = Files.createDirectories(base.resolve("not-devdb/pgdata"));
    Files.writeString(other.resolve("important.txt"), "keep me");
    Run r = devdbIn(other.getParent(), "down", "--purge");
    assertEquals(ExitCode.LOCAL_ERROR, r.code(), r.err());
    assertTrue(r.err().startsWith("devdb: error: refusing to delete " + other + ": it holds no kodiai-devdb.marker"), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertEquals("keep me", Files.readString(other.resolve("important.txt")));
  }

  /** A data folder of another PostgreSQL major version: the message says so, and nothing about ports. */
  @Test void aDataFolderOfAnotherMajorVersionIsNamedAsSuch() throws Exception {
    Path data = Files.createDirectories(base.resolve("old-major/pgdata"));
    Files.writeString(data.resolve("PG_VERSION"), "9\n");
    Run r = devdbIn(data.getParent(), "up");
    assertEquals(ExitCode.FAILED, r.code(), r.err());
    String error = r.err().lines().filter(l -> l.startsWith("devdb: error:")).findFirst().orElse(r.err());
    assertTrue(error.contains("was made by PostgreSQL 9, but the server binaries found"), error);
    assertFalse(error.contains("port"), error);
  }

  @Test @Order(9) void unknownActionIsAUsageError() {
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
    assertTrue(y.contains("      - \"127.0.0.1:5432:5432\"\n"), "port 5432, on loopback only (the dev password is public)");
    assertTrue(y.contains("      - pgdata:/var/lib/postgresql/data\n") && y.contains("\nvolumes:\n  pgdata:"), "named volume");
    assertTrue(y.contains("test: [\"CMD\", \"pg_isready\", \"-U\", \"kodiai\", \"-d\", \"kodiai\"]"), "healthcheck");
    devdb d = new devdb();
    assertEquals("postgresql://kodiai:kodiai@localhost:5432/kodiai", d.url(true), "devdb's docker URL fits compose.yaml");
  }
}
