// The guard each migration's transaction starts with through a pooler (migration/AdvisoryLock.guard):
// under the transaction's lock it checks again that the migration is still unrecorded. Proved
// deterministically, without racing runners: a runner through PgBouncer is held inside migration
// 001 (it waits for an advisory lock the test holds) while "another runner" records 002; once
// released, it must skip 002 (recorded meanwhile), not run it a second time.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolerGuardTest {
  static final long HOLD = 424242; // the advisory lock the test holds to keep the runner inside 001

  @TempDir Path dir;
  String name, direct;

  @BeforeEach void newDatabase() throws SQLException {
    name = FreshDatabase.create("poolguard");
    direct = FreshDatabase.urlFor(name);
  }
  @AfterEach void dropDatabase() throws SQLException { FreshDatabase.drop(name); }

  @Test void aMigrationRecordedWhileTheRunnerWaitedIsNotAppliedAgain() throws Exception {
    MigrateTest.write(dir, "001-wait.sql", "CREATE TABLE applied_log (version int NOT NULL);\n"
        + "SELECT pg_advisory_xact_lock(" + HOLD + ");\nINSERT INTO applied_log VALUES (1);\n",
        "002-second.sql", "INSERT INTO applied_log VALUES (2);\n");
    String recorded = recordOf002();
    try (Connection test = DbClient.open(direct); Statement st = test.createStatement()) {
      st.execute("SELECT pg_advisory_lock(" + HOLD + ")");
      CompletableFuture<Integer> runner = CompletableFuture.supplyAsync(
          () -> Migrations.run(TestPooler.url(name, TestPooler.Mode.TRANSACTION), dir, null));
      try {
        assertTrue(waitsFor(test), "the runner waits inside 001");
        // Another runner applied 002 meanwhile: its row, as that runner wrote it.
        try (PreparedStatement ps = test.prepareStatement("INSERT INTO _migrations (name, applied_at, version,"
            + " checksum, execution_ms, status, applied_by) SELECT name, applied_at, version, checksum, execution_ms,"
            + " status, applied_by FROM jsonb_populate_record(NULL::_migrations, ?::jsonb)")) {
          ps.setString(1, recorded);
          ps.executeUpdate();
        }
      } finally {
        st.execute("SELECT pg_advisory_unlock(" + HOLD + ")");
      }
      assertEquals(1, runner.get(120, TimeUnit.SECONDS), "the runner applied 001 only");
    }
    assertEquals(List.of("1"), MigrateTest.rows(direct, "SELECT version FROM applied_log ORDER BY 1"), "002 ran again");
    assertEquals(List.of("1", "2"), MigrateTest.rows(direct, "SELECT version FROM _migrations ORDER BY 1"));
  }

  /** The `_migrations` row of 002 as a direct run writes it (in a database of its own), as JSON. */
  String recordOf002() throws Exception {
    String other = FreshDatabase.create("poolguardref");
    try {
      String url = FreshDatabase.urlFor(other);
      assertEquals(2, Migrations.run(url, dir, null));
      return MigrateTest.rows(url, "SELECT to_jsonb(m)::text FROM _migrations m WHERE version = 2").get(0);
    } finally {
      FreshDatabase.drop(other);
    }
  }

  /** True once a session waits for the HOLD lock. */
  static boolean waitsFor(Connection c) throws Exception {
    for (int i = 0; i < 600; i++) {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_locks"
          + " WHERE locktype = 'advisory' AND NOT granted AND objid = " + HOLD)) {
        rs.next();
        if (rs.getInt(1) > 0) return true;
      }
      Thread.sleep(100);
    }
    return false;
  }
}
