// migrate through a real PgBouncer (tests/harness/TestPooler.java), as JVM processes:
// eight runners at once in transaction and in session mode apply each migration exactly
// once and leave no advisory lock behind; what needs one session throughout (a
// non-transactional migration, down, resolve) is refused before anything happens, exit 11,
// with a message that names MIGRATE_DATABASE_URL; that variable wins over DATABASE_URL.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PoolerMigrateTest {
  static final String JAVA = MigrateProcessTest.JAVA;

  @TempDir Path dir;
  String name, direct;

  @BeforeEach void newDatabase() throws SQLException { name = FreshDatabase.create("poolmig"); direct = FreshDatabase.urlFor(name); }
  @AfterEach void dropDatabase() throws SQLException { FreshDatabase.drop(name); }

  String pooled(TestPooler.Mode mode) { return TestPooler.url(name, mode); }

  /** `migrate ARGS` as its own JVM with exactly these URL variables (others unset). */
  MigrateProcessTest.Runner migrate(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(JAVA, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), "migrate"));
    cmd.addAll(List.of(args));
    if (!List.of(args).contains("--dir") && args.length > 0 && !args[0].equals("status")) cmd.addAll(List.of("--dir", dir.toString()));
    return start(cmd, env);
  }

  static MigrateProcessTest.Runner start(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("DATABASE_URL");
    pb.environment().remove("MIGRATE_DATABASE_URL");
    // Eight JVMs log in at once, and in session mode each needs a server connection of its own,
    // which PgBouncer opens one after another: on a loaded 2-core machine that exceeded the default 10 s.
    pb.environment().put("DATABASE_CONNECT_TIMEOUT_MS", "60000");
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    return new MigrateProcessTest.Runner(p, MigrateProcessTest.drain(p.getInputStream()), MigrateProcessTest.drain(p.getErrorStream()));
  }

  List<String> rows(String sql) throws SQLException { return MigrateTest.rows(direct, sql); }

  List<String> advisoryLocks() throws SQLException {
    return MigrateTest.rows(direct, "SELECT pid FROM pg_locks WHERE locktype = 'advisory'");
  }

  void transactionalMigrations() throws Exception {
    MigrateTest.write(dir, "001-log.sql", "CREATE TABLE applied_log (version int NOT NULL);\nINSERT INTO applied_log VALUES (1);\n",
        "002-slow.sql", "CREATE TABLE b (id int);\nSELECT pg_sleep(0.5);\nINSERT INTO applied_log VALUES (2);\n",
        "003-c.sql", "CREATE TABLE c (id int);\nINSERT INTO applied_log VALUES (3);\n",
        "004-d.sql", "CREATE INDEX c_id ON c (id);\nINSERT INTO applied_log VALUES (4);\n");
  }

  @ParameterizedTest(name = "eight runners through {0} pooling apply each migration once, no lock left") @EnumSource(TestPooler.Mode.class)
  void eightRunnersThroughPgBouncerApplyEachMigrationOnceAndLeaveNoLock(TestPooler.Mode mode) throws Exception {
    transactionalMigrations();
    List<MigrateProcessTest.Runner> runners = new ArrayList<>();
    for (int i = 0; i < 8; i++) runners.add(migrate(Map.of("DATABASE_URL", pooled(mode)), "up", "--lock-timeout", "60"));
    int appliedLines = 0;
    for (var r : runners) {
      assertEquals(0, r.exit(120), r.both());
      assertEquals("", r.stderr(), "no error, no stack trace: " + r.both());
      appliedLines += (int) r.stdout().lines().filter(l -> l.startsWith("applied ")).count();
      assertTrue(r.stdout().strip().lines().reduce((a, b) -> b).orElse("").matches("migrate: \\d applied, 0 pending, at version 4 .*"), r.both());
    }
    assertEquals(4, appliedLines, "four migrations, each applied by exactly one runner");
    assertEquals(List.of("1|1", "2|1", "3|1", "4|1"), rows("SELECT version, count(*) FROM applied_log GROUP BY 1 ORDER BY 1"));
    assertEquals(List.of("1|applied", "2|applied", "3|applied", "4|applied"), rows("SELECT version, status FROM _migrations ORDER BY version"));
    assertEquals(List.of(), advisoryLocks(), "no advisory lock held by any server connection afterwards");
  }

  @ParameterizedTest(name = "eight runners through {0} pooling refuse a non-transactional migration, exit 11, nothing touched") @EnumSource(TestPooler.Mode.class)
  void eightRunnersRefuseANonTransactionalMigrationBeforeTouchingAnything(TestPooler.Mode mode) throws Exception {
    transactionalMigrations();
    MigrateTest.write(dir, "005-idx.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY b_id ON b (id);\n");
    List<MigrateProcessTest.Runner> runners = new ArrayList<>();
    for (int i = 0; i < 8; i++) runners.add(migrate(Map.of("DATABASE_URL", pooled(mode)), "up"));
    for (var r : runners) {
      assertEquals(ExitCode.POOLER, r.exit(120), r.both());
      assertEquals(1, r.stderr().lines().count(), "one line: " + r.both());
      assertTrue(r.stderr().startsWith("migrate: error: 005-idx.sql runs without a transaction, which needs one database session"
          + " throughout, but 127.0.0.1:" + DbClient.parse(pooled(mode)).port() + " is a connection pooler"), r.both());
      assertTrue(r.stderr().contains("nothing was changed") && r.stderr().contains("MIGRATE_DATABASE_URL"), r.both());
    }
    assertEquals(List.of("f"), rows("SELECT to_regclass('_migrations') IS NOT NULL"), "nothing touched, not even _migrations");
    assertEquals(List.of(), advisoryLocks());
    // The way out the message names: MIGRATE_DATABASE_URL (direct) wins over DATABASE_URL (the pooler).
    var r = migrate(Map.of("DATABASE_URL", pooled(mode), "MIGRATE_DATABASE_URL", direct), "up");
    assertEquals(0, r.exit(60), r.both());
    assertEquals(List.of("t"), rows("SELECT indisvalid FROM pg_index WHERE indexrelid = 'b_id'::regclass"), "built concurrently, valid");
    assertEquals(List.of("5"), rows("SELECT count(*) FROM _migrations WHERE status = 'applied'"));
  }

  @Test void downAndResolveRefuseThroughATransactionPooler() throws Exception {
    transactionalMigrations();
    MigrateTest.write(dir, "003-c.down.sql", "DROP TABLE c;\n", "004-d.down.sql", "DROP INDEX c_id;\n");
    assertEquals(0, migrate(Map.of("DATABASE_URL", direct), "up").exit(60));
    String pooler = pooled(TestPooler.Mode.TRANSACTION);
    var down = migrate(Map.of("DATABASE_URL", pooler), "down", "2");
    assertEquals(ExitCode.POOLER, down.exit(60), down.both());
    assertTrue(down.stderr().startsWith("migrate: error: `down` holds the migration lock across transactions"), down.both());
    var resolve = migrate(Map.of("DATABASE_URL", pooler), "resolve", "4", "--accept-edit");
    assertEquals(ExitCode.POOLER, resolve.exit(60), resolve.both());
    assertEquals(List.of("4"), rows("SELECT count(*) FROM _migrations"), "nothing rolled back");
    assertEquals(List.of(), advisoryLocks());
    var status = migrate(Map.of("DATABASE_URL", pooler), "status", "--dir", dir.toString());
    assertEquals(0, status.exit(60), "reading works through a pooler: " + status.both());
  }

  /**
   * Since issue 22 the bundled migrations include no-transaction files (online rewrites in batches, concurrent index
   * builds): through a transaction pooler `up` refuses them before anything (exit 11); with MIGRATE_DATABASE_URL
   * naming PostgreSQL itself it applies them all, and the schema checks out.
   */
  @Test void theBundledMigrationsNeedTheDirectAddressAndTheSchemaChecksOut() throws Exception {
    var r = migrate(Map.of("DATABASE_URL", pooled(TestPooler.Mode.TRANSACTION)), "status"); // warm: nothing applied
    assertEquals(0, r.exit(60), r.both());
    List<String> cmd = new ArrayList<>(List.of(JAVA, "-cp", System.getProperty("java.class.path"), "migrate", "up"));
    var refused = start(cmd, Map.of("DATABASE_URL", pooled(TestPooler.Mode.TRANSACTION)));
    assertEquals(11, refused.exit(120), refused.both());
    assertTrue(refused.both().contains("002-pgvector-indexes.sql"), refused.both());
    try (var c = DbClient.open(direct); var st = c.createStatement(); var rs = st.executeQuery("SELECT"
        + " to_regclass('_migrations')")) {
      rs.next();
      assertNull(rs.getString(1), "nothing changed, not even _migrations");
    }
    var up = start(cmd, Map.of("DATABASE_URL", pooled(TestPooler.Mode.TRANSACTION), "MIGRATE_DATABASE_URL", direct));
    assertEquals(0, up.exit(120), up.both());
    try (var c = DbClient.open(direct)) { assertEquals(List.of(), SchemaCheck.check(c)); }
    assertEquals(List.of(), advisoryLocks());
  }

}
