// The PostgreSQL (with pgvector >= 0.8) that the tests run against, chosen once per run:
//   1. KODIAI_TEST_DATABASE_URL, an admin URL, if set;
//   2. else Testcontainers with pgvector/pgvector:pg17, if a Docker engine answers (localpg/Docker.java);
//   3. else a throwaway cluster from the installed PostgreSQL binaries: initdb into a
//      temporary folder, a free port on 127.0.0.1, stopped and deleted at the end of
//      the run (a shutdown hook covers failures; stale ones from killed runs are swept).
// KODIAI_TEST_PG=N picks the major version: the cluster runs version N's binaries
// (localpg/PostgresInstall.binDir(N)), Testcontainers the image pgvector/pgvector:pgN, and a
// server given by URL must be version N. Several versions (15,17) are TestRunner's business:
// it runs the suite once per version, each in its own JVM.

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

final class TestDatabase {
  static final String ENV_URL = "KODIAI_TEST_DATABASE_URL";
  static final String ENV_VERSION = "KODIAI_TEST_PG";
  static final int DEFAULT_IMAGE_MAJOR = 17; // what production (Azure, compose.yaml) runs
  static final String TEMP_PREFIX = "kodiai-test-pg-";

  enum Source { ENV, TESTCONTAINERS, LOCAL_CLUSTER }

  private static String adminUrl;
  private static Source source;
  private static LocalCluster.Temporary cluster;
  private static AutoCloseable container;
  private static int serverMajor;

  /**
   * The major versions KODIAI_TEST_PG asks for ("15,17"), in order; empty when unset (then:
   * whatever is installed). A malformed value is an IllegalArgumentException saying the form.
   */
  static List<Integer> requestedVersions(String env) {
    if (env == null || env.isBlank()) return List.of();
    List<Integer> out = new ArrayList<>();
    for (String v : env.split(",")) {
      if (!v.strip().matches("1[5-9]|[2-9][0-9]"))
        throw new IllegalArgumentException(ENV_VERSION + " must be PostgreSQL major versions >= 15 separated by commas (e.g. 15,17), got '" + env + "'");
      if (!out.contains(Integer.parseInt(v.strip()))) out.add(Integer.parseInt(v.strip()));
    }
    return out;
  }

  /** The one version this JVM tests, or null for "whatever is installed". */
  static Integer requestedMajor() {
    var vs = requestedVersions(System.getenv(ENV_VERSION));
    if (vs.size() > 1) throw new IllegalArgumentException(ENV_VERSION + "=" + System.getenv(ENV_VERSION) + ": one version per JVM (TestRunner runs each)");
    return vs.isEmpty() ? null : vs.get(0);
  }

  /** The test server's major version (15, 17, ...). */
  static synchronized int serverMajor() {
    adminUrl();
    return serverMajor;
  }

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

  /**
   * Set by `test --fast`: the run has no PostgreSQL, so a test that asks for one fails at once
   * with a line saying it is not a fast test, instead of starting a server.
   */
  static volatile boolean noServer;

  private static void start() {
    if (noServer)
      throw new IllegalStateException("this test needs PostgreSQL, but `test --fast` runs without it: tag it only if it needs none");
    String env = System.getenv(ENV_URL);
    source = choose(env, env == null && Docker.answers());
    try {
      Integer major = requestedMajor();
      switch (source) {
        case ENV -> adminUrl = env.trim();
        case TESTCONTAINERS -> adminUrl = Containers.start(major == null ? DEFAULT_IMAGE_MAJOR : major);
        case LOCAL_CLUSTER -> adminUrl = startLocalCluster(major);
      }
      serverMajor = checkServer(adminUrl, major);
    } catch (Exception e) {
      throw new IllegalStateException("test database (" + source + "): " + DbClient.redact(e.getMessage()), e);
    }
  }

  private static String startLocalCluster(Integer major) throws IOException, InterruptedException {
    Path bin = major == null ? PostgresInstall.binDir() : PostgresInstall.binDir(major);
    sweepStaleClusters();
    Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::shutdown));
    cluster = LocalCluster.temporary(TEMP_PREFIX, "kodiai_admin", true, bin);
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

  private static final List<Runnable> beforeShutdown = new ArrayList<>();

  /** Runs `r` when the run ends, before the server stops (e.g. TestPooler stops its PgBouncers). */
  static synchronized void beforeShutdown(Runnable r) { beforeShutdown.add(r); }

  static synchronized void shutdown() {
    try {
      for (Runnable r : beforeShutdown) r.run();
      beforeShutdown.clear();
      if (cluster != null) { cluster.discard(); cluster = null; }
      if (container != null) { container.close(); container = null; }
    } catch (Exception e) {
      System.err.println("test database: cleanup failed: " + e.getMessage());
    }
  }

  /** Checks pgvector (>= 0.8) and, when one was asked for, the major version; returns the server's major version. */
  private static int checkServer(String url, Integer major) throws SQLException {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int / 10000,"
             + " (SELECT default_version FROM pg_available_extensions WHERE name = 'vector')")) {
      rs.next();
      int have = rs.getInt(1);
      if (major != null && have != major)
        throw new SQLException(ENV_VERSION + "=" + major + " but the test server runs PostgreSQL " + have);
      String v = rs.getString(2);
      if (v == null)
        throw new SQLException("pgvector is not installed on the test server: " + PostgresInstall.INSTALL_HINT);
      if (!SchemaCheck.atLeast(v, SchemaCheck.MIN_VECTOR_VERSION))
        throw new SQLException("pgvector " + v + " is too old (need >= 0.8): " + PostgresInstall.INSTALL_HINT);
      return have;
    }
  }

  /** Testcontainers lives in its own class so that it is loaded only where Docker answers. */
  static final class Containers {
    static String start(int major) {
      var image = org.testcontainers.utility.DockerImageName.parse("pgvector/pgvector:pg" + major).asCompatibleSubstituteFor("postgres");
      var pg = new org.testcontainers.postgresql.PostgreSQLContainer(image);
      pg.start();
      container = pg;
      return DbClient.url(pg.getUsername(), pg.getPassword(), pg.getHost(), pg.getMappedPort(5432), pg.getDatabaseName());
    }
  }
}
