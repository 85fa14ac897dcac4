import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * migrate as real JVM processes (the test runner's own class path holds every class),
 * where it matters: many runners at once, SIGKILL mid-migration, CREATE INDEX
 * CONCURRENTLY while another runner waits, the lock timeout, the environment, and
 * once through the real launcher and catalog alias. DATABASE_URL always goes
 * through the environment, never argv.
 */
class MigrateProcessTest {
  static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
  static final long LOCK_KEY = Migrator.LOCK_KEY;

  @TempDir Path dir;
  String name, url;

  @BeforeEach void newDatabase() throws SQLException { name = FreshDatabase.create("migproc"); url = FreshDatabase.urlFor(name); }
  @AfterEach void dropDatabase() throws SQLException { FreshDatabase.drop(name); }

  /** A started runner, its output collected by background readers (a full pipe would stall it). */
  record Runner(Process process, CompletableFuture<String> out, CompletableFuture<String> err) {
    int exit(int seconds) throws Exception {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) { process.destroyForcibly(); fail("runner still running after " + seconds + " s"); }
      return process.exitValue();
    }
    String stdout() throws Exception { return out.get(10, TimeUnit.SECONDS); }
    String stderr() throws Exception { return err.get(10, TimeUnit.SECONDS); }
    String both() throws Exception { return "--- out:\n" + stdout() + "--- err:\n" + stderr(); }
  }

  static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try { return new String(in.readAllBytes(), StandardCharsets.UTF_8); } catch (IOException e) { return "(read failed: " + e + ")"; }
    });
  }

  static Runner start(List<String> command, Map<String, String> env, Path workDir) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("DATABASE_URL");
    pb.environment().putAll(env);
    if (workDir != null) pb.directory(workDir.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    return new Runner(p, drain(p.getInputStream()), drain(p.getErrorStream()));
  }

  /** `java -cp <the test runner's class path> migrate ARGS` with DATABASE_URL = url (null: unset). */
  Runner migrate(String dbUrl, Map<String, String> extraEnv, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(JAVA, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), "migrate"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--dir", dir.toString()));
    var env = new java.util.HashMap<>(extraEnv);
    if (dbUrl != null) env.put("DATABASE_URL", dbUrl);
    return start(cmd, env, null);
  }

  Runner migrate(String... args) throws IOException { return migrate(url, Map.of(), args); }

  /** Waits until a session of the runner's application shows `condition` in pg_stat_activity. */
  void awaitActivity(String condition, int seconds) throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!MigrateTest.rows(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
          + " AND application_name = 'kodiai-migrate' AND " + condition).isEmpty()) return;
      Thread.sleep(50);
    }
    fail("no kodiai-migrate session with " + condition + " within " + seconds + " s");
  }


  // ------------------------------------------------------------------ tests

  @Test void eightRunnersAtOnceApplyEachMigrationExactlyOnce() throws Exception {
    MigrateTest.write(dir, "001-log.sql", "CREATE TABLE applied_log (version int NOT NULL);\nINSERT INTO applied_log VALUES (1);\n",
        "002-slow.sql", "CREATE TABLE b (id int);\nSELECT pg_sleep(0.5);\nINSERT INTO applied_log VALUES (2);\n",
        "003-c.sql", "CREATE TABLE c (id int);\nINSERT INTO applied_log VALUES (3);\n",
        "004-idx.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY c_id ON c (id);\nINSERT INTO applied_log VALUES (4);\n");
    List<Runner> runners = new ArrayList<>();
    for (int i = 0; i < 8; i++) runners.add(migrate("up", "--lock-timeout", "60"));
    int appliedLines = 0;
    for (Runner r : runners) {
      assertEquals(0, r.exit(90), r.both());
      assertEquals("", r.stderr(), r.both());
      appliedLines += (int) r.stdout().lines().filter(l -> l.startsWith("applied ")).count();
      assertTrue(r.stdout().strip().lines().reduce((a, b) -> b).orElse("").matches("migrate: \\d applied, 0 pending, at version 4 .*"), r.both());
    }
    assertEquals(4, appliedLines, "four migrations, each applied by exactly one runner");
    assertEquals(List.of("1|1", "2|1", "3|1", "4|1"), MigrateTest.rows(url, "SELECT version, count(*) FROM applied_log GROUP BY 1 ORDER BY 1"));
    assertEquals(List.of("1|applied", "2|applied", "3|applied", "4|applied"), MigrateTest.rows(url, "SELECT version, status FROM _migrations ORDER BY version"));
    assertEquals(List.of("t"), MigrateTest.rows(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'c_id'::regclass"));
  }

  @Test void runnerKilledMidMigrationLeavesNothingHalfAppliedAndUpCompletes() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE a (id int);\n",
        "002-slow.sql", "CREATE TABLE slow (id int);\nINSERT INTO slow VALUES (1);\nSELECT pg_sleep(30);\n",
        "003-c.sql", "CREATE TABLE c (id int);\n");
    Runner victim = migrate("up");
    awaitActivity("wait_event = 'PgSleep'", 30);
    victim.process().destroyForcibly(); // SIGKILL: no shutdown hook, no rollback from the client
    assertTrue(victim.process().waitFor(10, TimeUnit.SECONDS));
    assertEquals(137, victim.process().exitValue());
    assertEquals(List.of("1|applied"), MigrateTest.rows(url, "SELECT version, status FROM _migrations ORDER BY version"));
    assertFalse(MigrateTest.exists(url, "slow"), "002 is not visible: its transaction never committed");

    // 002 never committed, so it may be changed; the new file must still wait for the orphaned
    // backend's lock, which the server drops within client_connection_check_interval.
    Files.writeString(dir.resolve("002-slow.sql"), "CREATE TABLE slow (id int);\nINSERT INTO slow VALUES (1);\nSELECT pg_sleep(0.1);\n");
    long t0 = System.nanoTime();
    Runner again = migrate("up", "--lock-timeout", "60");
    assertEquals(0, again.exit(60), again.both());
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds < 15, "the rerun did not wait for the 30 s sleep: " + seconds + " s");
    assertEquals(List.of("1|applied", "2|applied", "3|applied"), MigrateTest.rows(url, "SELECT version, status FROM _migrations ORDER BY version"));
    assertEquals(List.of("1"), MigrateTest.rows(url, "SELECT count(*) FROM slow"), "002 ran once, completely");
    assertEquals(List.of(), MigrateTest.rows(url, "SELECT pid FROM pg_stat_activity WHERE application_name = 'kodiai-migrate'"),
        "the orphaned backend is gone, and so is the rerun's");
  }

  @Test void createIndexConcurrentlyFinishesWhileASecondRunnerWaits() throws Exception {
    long gate = 424242;
    MigrateTest.write(dir, "001-big.sql", "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 50000) g;\n",
        // Held at the gate by the test until the second runner is waiting; then the index build runs.
        "002-big-idx.sql", "-- migrate:no-transaction\nSELECT pg_advisory_lock(" + gate + ");\nSELECT pg_advisory_unlock(" + gate + ");\n"
            + "CREATE INDEX CONCURRENTLY big_t ON big (t);\n");
    try (Connection test = DbClient.open(url); Statement st = test.createStatement()) {
      st.execute("SELECT pg_advisory_lock(" + gate + ")"); // autocommit: no transaction stays open here
      Runner first = migrate("up");
      awaitActivity("wait_event_type = 'Lock' AND query LIKE 'SELECT pg_advisory_lock(" + gate + ")%'", 30);
      Runner second = migrate("up", "--lock-timeout", "60");
      // The second runner is waiting once it said so; it polls without holding a transaction or snapshot.
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (MigrateTest.rows(url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'kodiai-migrate' AND datname = current_database()"
          + " HAVING count(*) >= 2").isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
      // Well into its polling now: sample it; a waiting runner is never idle inside a transaction
      // (that open transaction is what would make CREATE INDEX CONCURRENTLY wait forever).
      for (int i = 0; i < 10; i++) {
        Thread.sleep(70);
        assertEquals(List.of(), MigrateTest.rows(url, "SELECT pid FROM pg_stat_activity WHERE application_name = 'kodiai-migrate'"
            + " AND datname = current_database() AND state LIKE 'idle in transaction%'"), "no runner holds a transaction while waiting");
      }
      st.execute("SELECT pg_advisory_unlock(" + gate + ")");
      assertEquals(0, first.exit(60), first.both());
      assertEquals(0, second.exit(60), second.both());
      assertTrue(second.stdout().startsWith("waiting for the migration lock, held by pid "), second.both());
      assertTrue(second.stdout().contains("migrate: 0 applied, 0 pending, at version 2"), second.both());
      assertTrue(first.stdout().contains("applied 002-big-idx.sql"), first.both());
    }
    assertEquals(List.of("t|t"), MigrateTest.rows(url, "SELECT indisvalid, indisready FROM pg_index WHERE indexrelid = 'big_t'::regclass"));
    assertEquals(List.of("1|applied", "2|applied"), MigrateTest.rows(url, "SELECT version, status FROM _migrations ORDER BY version"));
  }

  @Test void lockTimeoutExits4NamingTheHolder() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE a (id int);\n");
    try (Connection holder = DbClient.open(url); Statement st = holder.createStatement();
         ResultSet rs = st.executeQuery("SELECT pg_backend_pid(), pg_advisory_lock(" + LOCK_KEY + ")")) {
      rs.next();
      Runner r = migrate("up", "--lock-timeout", "1");
      assertEquals(ExitCode.LOCK_TIMEOUT, r.exit(30), r.both());
      List<String> err = r.stderr().lines().toList();
      assertEquals(1, err.size(), r.both());
      assertTrue(err.get(0).startsWith("migrate: error: gave up after 1 s waiting for the migration lock, held by pid " + rs.getInt(1) + " ("), r.both());
    }
    assertFalse(MigrateTest.exists(url, "a"));
  }

  @Test void environmentProblemsAreOneLineEach() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE a (id int);\n");
    Runner none = migrate(null, Map.of(), "up");
    assertEquals(ExitCode.USAGE, none.exit(30), none.both());
    assertEquals(MigrateEdgesTest.NO_URL + "\n", none.stderr());
    assertEquals("", none.stdout());

    // A server that accepts the connection and never answers: the connect timeout must end it.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> held = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try { while (true) held.add(silent.accept()); } catch (IOException closed) { /* test over */ }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      DbClient.Target t = DbClient.parse(url);
      String silentUrl = "postgresql://" + t.user() + ":" + t.password() + "@127.0.0.1:" + silent.getLocalPort() + "/x";
      long t0 = System.nanoTime();
      Runner r = migrate(silentUrl, Map.of("DATABASE_CONNECT_TIMEOUT_MS", "1000"), "status");
      assertEquals(ExitCode.CANNOT_CONNECT, r.exit(30), r.both());
      double s = (System.nanoTime() - t0) / 1e9;
      assertEquals(List.of("migrate: error: cannot connect to 127.0.0.1:" + silent.getLocalPort()
          + "/x: timed out (host unreachable or firewall; check the host and port)"), r.stderr().lines().toList());
      assertFalse(r.both().contains(t.password()));
      assertTrue(s < 8, "gave up after the 1 s connect timeout (plus JVM start), took " + s + " s");
      for (Socket sock : held) sock.close();
    }
  }

  @Test void catalogAliasRunsTheRealScriptWithItsBundledMigrations() throws Exception {
    Path root = MigrationSource.checkoutRoot();
    int bundled = MigrationSource.load(root.resolve("migrations")).migrations.size();
    Runner r = start(List.of(root.resolve("jbang").toString(), "migrate@kodiai", "status"), Map.of("DATABASE_URL", url), root);
    assertEquals(0, r.exit(300), r.both());
    List<String> lines = r.stdout().lines().toList();
    assertEquals(MigrateTest.statusLine("VERSION", "NAME", "STATE", "APPLIED AT"), lines.get(0), r.both());
    assertEquals(MigrateTest.statusLine("001", "initial-schema", "pending", "-"), lines.get(1), r.both());
    assertEquals("0 applied, " + bundled + " pending, 0 modified, 0 file missing, 0 failed", lines.get(lines.size() - 1), r.both());
    assertEquals(bundled + 2, lines.size(), r.both());
  }

  // ------------------------------------------------------------------ issue 14: interrupts, crashes, the lock

  /** SIGTERM (143) and SIGINT (130): one line that says what committed, what did not and what to run next. */
  @Test void sigtermAndSigintSayWhatCommittedAndExit143And130() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE a (id int);\n", "002-slow.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n",
        "003-c.sql", "CREATE TABLE c (id int);\n");
    for (var signal : List.of("TERM", "INT")) {
      Runner r = migrate("up");
      awaitActivity("wait_event = 'PgSleep'", 30);
      new ProcessBuilder("kill", "-" + signal, String.valueOf(r.process().pid())).start().waitFor();
      assertEquals(signal.equals("TERM") ? 143 : 130, r.exit(30), r.both());
      assertEquals(List.of("migrate: error: interrupted by SIG" + signal + " before 002-slow.sql committed: it was rolled back, not applied; "
          + (signal.equals("TERM") ? "this run applied 1 (the last: 001-a.sql)" : "this run applied nothing")
          + "; run `migrate up` again to apply the rest"), r.stderr().lines().toList(), r.both());
      assertEquals(List.of("1|applied"), MigrateTest.rows(url, "SELECT version, status FROM _migrations ORDER BY version"));
      assertFalse(MigrateTest.exists(url, "slow"));
    }
  }

  /** A runner killed after a migration's statements but before its row: neither may survive alone. */
  @Test void aRunnerKilledBetweenAMigrationAndItsRowLeavesNeither() throws Exception {
    long gate = 737373;
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE a (id int);\n",
        "002-b.sql", "CREATE TABLE b (id int);\nSELECT pg_advisory_lock(" + gate + ");\nSELECT pg_advisory_unlock(" + gate + ");\n",
        "003-idx.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n");
    try (Connection test = DbClient.open(url); Statement st = test.createStatement()) {
      st.execute("SELECT pg_advisory_lock(" + gate + ")");
      Runner victim = migrate("up");
      awaitActivity("wait_event_type = 'Lock' AND wait_event = 'advisory'", 30);
      // 002's statements are done once the gate opens; hold its _migrations row back, then kill the runner there.
      test.setAutoCommit(false);
      st.execute("LOCK TABLE _migrations IN SHARE MODE");
      st.execute("SELECT pg_advisory_unlock(" + gate + ")");
      awaitActivity("wait_event_type = 'Lock' AND wait_event = 'relation'", 30);
      victim.process().destroyForcibly();
      assertTrue(victim.process().waitFor(10, TimeUnit.SECONDS));
      long deadline = System.nanoTime() + 20_000_000_000L; // the server notices the dead client within a second
      while (!MigrateTest.rows(url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'kodiai-migrate'").isEmpty()) {
        assertTrue(System.nanoTime() < deadline, "the killed runner's backend is still there");
        Thread.sleep(50);
      }
      test.rollback();
    }
    assertEquals(List.of("1|applied"), MigrateTest.rows(url, "SELECT version, status FROM _migrations ORDER BY version"));
    assertFalse(MigrateTest.exists(url, "b"), "002's table went with its row");
    Runner again = migrate("up");
    assertEquals(0, again.exit(60), again.both());
    assertEquals(List.of("1|applied", "2|applied", "3|applied"), MigrateTest.rows(url, "SELECT version, status FROM _migrations ORDER BY version"));

    // Without a transaction: killed after the index was built, before its row says applied: the row says failed.
    MigrateTest.write(dir, "004-idx2.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY a_id2 ON a (id);\n"
        + "SELECT pg_advisory_lock(" + gate + ");\n");
    try (Connection test = DbClient.open(url); Statement st = test.createStatement()) {
      st.execute("SELECT pg_advisory_lock(" + gate + ")");
      Runner victim = migrate("up");
      awaitActivity("wait_event_type = 'Lock' AND wait_event = 'advisory'", 30);
      victim.process().destroyForcibly();
      assertTrue(victim.process().waitFor(10, TimeUnit.SECONDS));
    }
    assertEquals(List.of("t"), MigrateTest.rows(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id2'::regclass"));
    assertEquals(List.of("4|failed"), MigrateTest.rows(url, "SELECT version, status FROM _migrations WHERE version = 4"));
    Runner refused = migrate("up");
    assertEquals(ExitCode.VALIDATION, refused.exit(60), refused.both());
    assertTrue(refused.stderr().contains("004-idx2.sql did not finish"), refused.both());
  }

  static void deadline(java.util.function.BooleanSupplier done) throws Exception {
    long until = System.nanoTime() + 30_000_000_000L;
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < until, "timed out waiting");
      Thread.sleep(50);
    }
  }

  /** With the lock, a second runner waits and then finds nothing to do; without it, both would run 002. */
  @Test void aSecondRunnerWaitsForTheLockAndAppliesNothingTwice() throws Exception {
    long gate = 646464;
    MigrateTest.write(dir, "001-a.sql", "CREATE TABLE log (v int);\nINSERT INTO log VALUES (1);\n",
        "002-b.sql", "SELECT pg_advisory_lock(" + gate + ");\nSELECT pg_advisory_unlock(" + gate + ");\nINSERT INTO log VALUES (2);\n");
    try (Connection test = DbClient.open(url); Statement st = test.createStatement()) {
      st.execute("SELECT pg_advisory_lock(" + gate + ")");
      Runner first = migrate("up");
      awaitActivity("wait_event = 'advisory'", 30);
      Runner second = migrate("up", "--lock-timeout", "60");
      deadline(() -> {
        try { return !MigrateTest.rows(url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'kodiai-migrate'"
            + " AND datname = current_database() HAVING count(*) >= 2").isEmpty(); } catch (SQLException e) { return false; }
      });
      Thread.sleep(300); // the second runner is polling for the lock (or, without one, stuck at the gate too)
      st.execute("SELECT pg_advisory_unlock(" + gate + ")");
      assertEquals(0, first.exit(60), first.both());
      assertEquals(0, second.exit(60), second.both());
      assertTrue(second.stdout().startsWith("waiting for the migration lock, held by pid "), second.both());
      assertFalse(second.stdout().contains("applied 0"), second.both());
    }
    assertEquals(List.of("1|1", "2|1"), MigrateTest.rows(url, "SELECT v, count(*) FROM log GROUP BY v ORDER BY v"));
  }

  /** An unreadable folder says why (root reads everything, so the runner drops that power for the test). */
  @Test void anUnreadableFolderSaysPermissionDenied() throws Exception {
    Path locked = Files.createDirectory(dir.resolve("locked"));
    MigrateTest.write(locked, "001-a.sql", "SELECT 1;\n");
    Files.setPosixFilePermissions(locked, java.util.Set.of());
    try {
      List<String> cmd = new ArrayList<>();
      boolean root = new ProcessBuilder("id", "-u").start().inputReader().readLine().trim().equals("0");
      if (root) cmd.addAll(List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"));
      cmd.addAll(List.of(JAVA, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "migrate", "status", "--dir", locked.toString()));
      Runner r = start(cmd, Map.of("DATABASE_URL", url), null);
      assertEquals(ExitCode.LOCAL_ERROR, r.exit(60), r.both());
      assertEquals(List.of("migrate: error: cannot read the migrations in " + locked + ": permission denied; check that the folder and its"
          + " files are readable by this user"), r.stderr().lines().toList());
    } finally {
      Files.setPosixFilePermissions(locked, java.util.Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
          java.nio.file.attribute.PosixFilePermission.OWNER_WRITE, java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE));
    }
  }
}
