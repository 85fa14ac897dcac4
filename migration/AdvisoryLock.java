// Shared source: the lock that lets one migration runner at a time work on a database.
//
// A session-level advisory lock, taken by polling pg_try_advisory_lock in autocommit
// mode. Between polls the waiting session has no transaction and no snapshot open, so
// it can never hold up the lock holder's CREATE INDEX CONCURRENTLY, which waits for
// every older transaction: the deadlock that Flyway's in-transaction lock wait runs
// into. Being session-level, the lock is released when the holder's session ends,
// also when its process is killed.

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

final class AdvisoryLock {
  private final Connection conn;
  private final long key;
  private final PrintStream out; // where "waiting for ..." goes

  AdvisoryLock(Connection conn, long key, PrintStream out) {
    this.conn = conn;
    this.key = key;
    this.out = out;
  }

  /** Takes the lock, polling with backoff (25 ms up to 250 ms); exit code 4 after `timeout`. */
  void acquire(Duration timeout) throws SQLException { acquire(timeout, () -> false); }

  /** The same, giving up (exit code 4 too; the caller knows better) as soon as `stop` says so. */
  void acquire(Duration timeout, java.util.function.BooleanSupplier stop) throws SQLException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long sleepMs = 25;
    boolean told = false;
    while (true) {
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + key + ")")) {
        rs.next();
        if (rs.getBoolean(1)) return;
      }
      if (stop.getAsBoolean()) throw new MigrationException(ExitCode.LOCK_TIMEOUT, "stopped while waiting for the migration lock");
      if (!told) { out.println("waiting for the migration lock, held by " + holder()); told = true; }
      if (System.nanoTime() > deadline)
        throw new MigrationException(ExitCode.LOCK_TIMEOUT, "gave up after " + timeout.toSeconds()
            + " s waiting for the migration lock, held by " + holder() + "; wait for that run to finish, or raise --lock-timeout");
      try {
        Thread.sleep(sleepMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MigrationException(ExitCode.LOCK_TIMEOUT, "interrupted while waiting for the migration lock");
      }
      sleepMs = Math.min(sleepMs * 2, 250);
    }
  }

  /** Who holds the lock, for messages: pid, application, client address, session age. */
  String holder() throws SQLException {
    // A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
    String sql = "SELECT a.pid, coalesce(nullif(a.application_name, ''), '?'), coalesce(host(a.client_addr), 'local'),"
        + " extract(epoch FROM now() - a.backend_start)::int FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        + " WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + " AND ((l.classid::bigint << 32) | l.objid::bigint) = " + key + " LIMIT 1";
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) return "another session (it may have just finished)";
      return "pid " + rs.getInt(1) + " (" + rs.getString(2) + " from " + rs.getString(3) + ", connected " + rs.getInt(4) + " s ago)";
    }
  }

  void release() {
    try (Statement st = conn.createStatement()) {
      st.execute("SELECT pg_advisory_unlock(" + key + ")");
    } catch (SQLException ignored) {
      // closing the session releases it too
    }
  }
}
