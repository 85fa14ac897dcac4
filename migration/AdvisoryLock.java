// Shared source: the lock that lets one migration runner at a time work on a database.
//
// A session-level advisory lock, taken by polling pg_try_advisory_lock in autocommit
// mode. Between polls the waiting session has no transaction and no snapshot open, so
// it can never hold up the lock holder's CREATE INDEX CONCURRENTLY, which waits for
// every older transaction: the deadlock that Flyway's in-transaction lock wait runs
// into. Being session-level, the lock is released when the holder's session ends,
// also when its process is killed.

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

final class AdvisoryLock {
  private final Connection conn;
  private final long key;
  private final PrintWriter out; // where "waiting for ..." goes

  AdvisoryLock(Connection conn, long key, PrintWriter out) {
    this.conn = conn;
    this.key = key;
    this.out = out;
  }

  /** Takes the lock, polling with backoff (25 ms up to 250 ms); exit code 4 after `timeout`. */
  void acquire(Duration timeout) throws SQLException { acquire(timeout, () -> false); }

  /** The same, giving up (exit code 4 too; the caller knows better) as soon as `stop` says so. */
  void acquire(Duration timeout, java.util.function.BooleanSupplier stop) throws SQLException {
    Wait wait = new Wait(timeout, stop);
    while (true) {
      try (Statement st = conn.createStatement();
           ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + key + ")")) {
        rs.next();
        if (rs.getBoolean(1)) return;
      }
      wait.pause();
    }
  }

  // Through a transaction pooler a session lock stays on whichever server connection took it
  // (PgBouncer does not reset a server connection between transactions), so there the lock is
  // taken per transaction: pg_try_advisory_xact_lock, released by COMMIT or ROLLBACK on the
  // connection that took it. It shares its key space with the session lock: a runner holding
  // either one excludes the other kind too.

  /** SQLSTATE raised by guard() when the lock is busy; the detail is the version the step was for. */
  static final String BUSY = "KD001";
  /** SQLSTATE raised by guard() when the version was recorded meanwhile. */
  static final String ALREADY_RECORDED = "KD002";

  /**
   * A statement to start a transaction with: takes the lock for this transaction without
   * waiting, and checks under it that `version` is not in `table` yet; raises BUSY or
   * ALREADY_RECORDED otherwise (with the version as the error's detail), before anything changes.
   */
  String guard(String table, int version) {
    return "DO $kodiai_guard$BEGIN\n"
        + "  IF NOT pg_catalog.pg_try_advisory_xact_lock(" + key + ") THEN RAISE EXCEPTION 'the migration lock is busy'"
        + " USING ERRCODE = '" + BUSY + "', DETAIL = '" + version + "'; END IF;\n"
        + "  IF EXISTS (SELECT 1 FROM " + table + " WHERE version = " + version + ") THEN RAISE EXCEPTION"
        + " 'version " + version + " was recorded by another runner' USING ERRCODE = '" + ALREADY_RECORDED + "',"
        + " DETAIL = '" + version + "'; END IF;\n"
        + "END$kodiai_guard$";
  }

  /** Takes the lock for the open transaction without waiting; false when another session holds it. */
  boolean tryForTransaction() throws SQLException {
    try (Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_try_advisory_xact_lock(" + key + ")")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /**
   * Waiting for the lock between attempts: says once who holds it, sleeps with backoff (25 ms up
   * to 250 ms) holding nothing open, and gives up with exit code 4 after the timeout, or at once
   * when `stop` says so.
   */
  final class Wait {
    private final long deadline;
    private final Duration timeout;
    private final java.util.function.BooleanSupplier stop;
    private long sleepMs = 25;
    private boolean told;

    Wait(Duration timeout, java.util.function.BooleanSupplier stop) {
      this.timeout = timeout;
      this.stop = stop;
      this.deadline = System.nanoTime() + timeout.toNanos();
    }

    void pause() throws SQLException {
      if (stop.getAsBoolean())
        throw new MigrationException(new MigrationException.LockWaitEnded(false));
      if (!told) { out.println("waiting for the migration lock, held by " + holder()); told = true; }
      if (System.nanoTime() > deadline)
        throw new MigrationException(new MigrationException.LockTimeout(timeout.toSeconds(), holder()));
      try {
        Thread.sleep(sleepMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MigrationException(new MigrationException.LockWaitEnded(true));
      }
      sleepMs = Math.min(sleepMs * 2, 250);
    }
  }

  /** Who holds the lock, for messages: pid, application, client address, session age. */
  String holder() throws SQLException {
    // A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
    String sql = "SELECT a.pid, coalesce(nullif(a.application_name, ''), '?'), coalesce(host(a.client_addr), 'local'),"
        + " extract(epoch FROM now() - a.backend_start)::int FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        + " WHERE l.locktype = 'advisory' AND l.granted"
        + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + " AND ((l.classid::bigint << 32) | l.objid::bigint) = " + key + " LIMIT 1";
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) return "another session (it may have just finished)";
      return "pid " + rs.getInt(1) + " (" + rs.getString(2) + " from " + rs.getString(3)
          + ", connected " + rs.getInt(4) + " s ago)";
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
