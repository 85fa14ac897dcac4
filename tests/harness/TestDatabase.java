// The PostgreSQL (with pgvector >= 0.8) that the tests run against, chosen once per run:
//   1. KODIAI_TEST_DATABASE_URL, an admin URL, if set;
//   2. else Testcontainers with pgvector/pgvector:pg17, if a Docker engine answers (localpg/Docker.java);
//   3. else a throwaway cluster from the installed PostgreSQL binaries: initdb into a
//      temporary folder, a free port on 127.0.0.1, stopped and deleted at the end of
//      the run (a shutdown hook covers failures; stale ones from killed runs are swept).

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

final class TestDatabase {
  static final String ENV_URL = "KODIAI_TEST_DATABASE_URL";
  static final String IMAGE = "pgvector/pgvector:pg17";
  static final String TEMP_PREFIX = "kodiai-test-pg-";

  enum Source { ENV, TESTCONTAINERS, LOCAL_CLUSTER }

  private static String adminUrl;
  private static Source source;
  private static LocalCluster.Temporary cluster;
  private static AutoCloseable container;

  static synchronized String adminUrl() {
    if (adminUrl == null) start();
    return adminUrl;
  }

  static synchronized Source source() {
    adminUrl();
    return source;
  }

  /** How the harness would choose, without starting anything (for tests of the choice itself). */
  static Source choose(String envUrl, boolean dockerAnswers) {
    if (envUrl != null && !envUrl.isBlank()) return Source.ENV;
    return dockerAnswers ? Source.TESTCONTAINERS : Source.LOCAL_CLUSTER;
  }

  private static void start() {
    String env = System.getenv(ENV_URL);
    source = choose(env, env == null && Docker.answers());
    try {
      switch (source) {
        case ENV -> adminUrl = env.trim();
        case TESTCONTAINERS -> adminUrl = Containers.start();
        case LOCAL_CLUSTER -> adminUrl = startLocalCluster();
      }
      checkPgvector(adminUrl);
    } catch (Exception e) {
      throw new IllegalStateException("test database (" + source + "): " + DbClient.redact(e.getMessage()), e);
    }
  }

  private static String startLocalCluster() throws IOException, InterruptedException {
    sweepStaleClusters();
    Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::shutdown));
    cluster = LocalCluster.temporary(TEMP_PREFIX, "kodiai_admin", true);
    return cluster.adminUrl();
  }

  /**
   * Deletes clusters left by runs that were killed before their shutdown hook ran: folders
   * older than a minute (a parallel run may be setting up a new one) whose server is not alive.
   */
  private static void sweepStaleClusters() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp, TEMP_PREFIX + "*")) {
      for (Path d : ds) {
        try {
          if (Files.getLastModifiedTime(d).toMillis() > System.currentTimeMillis() - 60_000) continue;
          Path pid = d.resolve("data/postmaster.pid");
          if (Files.exists(pid)) {
            long p = Long.parseLong(Files.readAllLines(pid).get(0).trim());
            if (ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)) continue;
          }
          new LocalCluster(d.resolve("data"), 1).delete();
          Files.deleteIfExists(d);
        } catch (IOException | RuntimeException ignored) {
          // unreadable or in use: leave that one alone
        }
      }
    } catch (IOException ignored) {
      // sweeping is best effort
    }
  }

  static synchronized void shutdown() {
    try {
      if (cluster != null) { cluster.discard(); cluster = null; }
      if (container != null) { container.close(); container = null; }
    } catch (Exception e) {
      System.err.println("test database: cleanup failed: " + e.getMessage());
    }
  }

  private static void checkPgvector(String url) throws SQLException {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")) {
      if (!rs.next())
        throw new SQLException("pgvector is not installed on the test server: " + PostgresInstall.INSTALL_HINT);
      String v = rs.getString(1);
      if (!SchemaCheck.atLeast(v, SchemaCheck.MIN_VECTOR_VERSION))
        throw new SQLException("pgvector " + v + " is too old (need >= 0.8): " + PostgresInstall.INSTALL_HINT);
    }
  }

  /** Testcontainers lives in its own class so that it is loaded only where Docker answers. */
  static final class Containers {
    static String start() {
      var image = org.testcontainers.utility.DockerImageName.parse(IMAGE).asCompatibleSubstituteFor("postgres");
      var pg = new org.testcontainers.containers.PostgreSQLContainer<>(image);
      pg.start();
      container = pg;
      return DbClient.url(pg.getUsername(), pg.getPassword(), pg.getHost(), pg.getMappedPort(5432), pg.getDatabaseName());
    }
  }
}
