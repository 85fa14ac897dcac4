// Shared source: the front door of the migration engine, for every caller (migrate.java,
// devdb.java, bench, the tests). It owns the rules of a migration connection (no statement
// timeout, a DDL lock timeout, simple query protocol, dead-client checks, waiting for a server
// that is still starting, and what changes through a connection pooler), and runs a Migrator
// on it; SQL errors come out as a MigrationException.
// MigrationSource says where migrations come from, Migrator applies them.

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

final class Migrations {
  private Migrations() {}

  /** What a caller does with an open Migrator. */
  interface Verb<T> { T run(Migrator m) throws SQLException; }

  /** Applies pending migrations (dir null: the bundled ones) up to `to` (null: all); returns how many. Quiet. */
  static int run(String url, Path dir, Integer to) {
    return with(DbClient.parse(url), 0, MigrationSource.load(dir), quiet(), quiet(), Duration.ofSeconds(60),
        m -> m.migrate(to, false));
  }

  /** Rolls back to `targetVersion` (0: everything); returns how many were rolled back. Quiet. */
  static int rollback(String url, Path dir, int targetVersion) {
    return with(DbClient.parse(url), 0, MigrationSource.load(dir), quiet(), quiet(), Duration.ofSeconds(60),
        m -> m.rollback(targetVersion, false));
  }

  /**
   * Connects (waiting up to `waitSeconds` for the server, see connect; saying so on `err`), runs
   * `verb` on a Migrator that reports to `out`, and closes the connection. A failed SQL statement
   * becomes a MigrationException (exit 1) with the server's message.
   */
  static <T> T with(DbClient.Target target, int waitSeconds, MigrationSource source, PrintWriter out,
      PrintWriter err, Duration lockTimeout, Verb<T> verb) {
    Migrator m = null;
    try (Session s = open(target, waitSeconds, err)) {
      m = new Migrator(s.conn(), source, options(out, lockTimeout, () -> connect(target), s.pooler()));
      current = m;
      T result = verb.run(m);
      if (m.interruptedBy() != null) throw m.interruptedFailure("after the work was done", null);
      return result;
    } catch (SQLException e) {
      if (m != null && m.interruptedBy() != null) throw m.interruptedFailure(Migrator.serverMessage(e), e);
      throw new MigrationException(new MigrationException.ServerError(e.getSQLState(), Migrator.serverMessage(e)), e);
    } catch (MigrationException e) {
      if (m != null && m.interruptedBy() != null && e.exitCode != m.interruptCode())
        throw m.interruptedFailure(e.getMessage(), e);
      throw e;
    } finally {
      current = null;
    }
  }

  /**
   * The one place a Migrator's options are made: through a pooler (`pooler` host:port, else null) each
   * transaction gets the settings below as SET LOCAL; `reconnect` null: no second connection.
   */
  static Migrator.Options options(PrintWriter out, Duration lockTimeout, Callable<Connection> reconnect,
      String pooler) {
    List<String> local = new ArrayList<>();
    if (pooler != null) settings().forEach((k, v) -> local.add("SET LOCAL " + k + " = " + Migrator.literal(v)));
    return new Migrator.Options(out, lockTimeout, reconnect, pooler, local);
  }

  /** The Migrator at work in this JVM, if any: what a SIGTERM or SIGINT handler interrupts (see migrate.java). */
  static volatile Migrator current;

  /**
   * The session settings of a migration: no statement timeout (index builds may take long) and a
   * DDL lock timeout (a migration must not queue behind a long query while everyone queues behind
   * it), each overridable from the environment (DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_LOCK_TIMEOUT_MS), and
   * DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS where set (else the database's default).
   */
  static Map<String, String> settings() {
    DbClient.Settings env = DbClient.Settings.fromEnv(System.getenv());
    Map<String, String> m = new LinkedHashMap<>();
    m.put("statement_timeout", String.valueOf(env.statementTimeoutMs == null ? 0 : env.statementTimeoutMs));
    m.put("lock_timeout", String.valueOf(env.lockTimeoutMs == null ? 10_000 : env.lockTimeoutMs));
    if (env.idleInTransactionTimeoutMs != null)
      m.put("idle_in_transaction_session_timeout", String.valueOf(env.idleInTransactionTimeoutMs));
    return m;
  }

  /**
   * One unpooled connection with the settings above. They are SET once connected, not sent in the
   * startup packet, which a stock PgBouncer refuses; through a pooler (DbClient.throughPooler) a
   * session SET would stay on a pooled server connection, so there nothing is SET and the Migrator
   * puts SET LOCAL in each transaction instead.
   */
  static Connection connect(DbClient.Target target) throws SQLException { return open(target).conn(); }

  /** A migration connection, and the pooler it goes through ("host:port"), or null when it is direct. */
  private record Session(Connection conn, String pooler) implements AutoCloseable {
    @Override public void close() throws SQLException { conn.close(); }
  }

  private static Session open(DbClient.Target target) throws SQLException {
    DbClient.Settings s = DbClient.Settings.fromEnv(System.getenv());
    // No session setting travels in the startup packet (a stock PgBouncer refuses it): the two a
    // migration needs are SET below, the others are the database's defaults (migration 006).
    s.statementTimeoutMs = s.lockTimeoutMs = s.idleInTransactionTimeoutMs = null;
    s.hnswEfSearch = s.hnswIterativeScan = s.planCacheMode = null;
    s.applicationName = "kodiai-migrate";
    // Simple query protocol: a run of migrations travels as one message that the server stops
    // at the first error, and error positions count characters of that message (see Migrator).
    Connection c = DbClient.open(target.withParam("preferQueryMode", "simple"), s);
    try {
      if (DbClient.throughPooler(c)) return new Session(c, target.host() + ":" + target.port());
      StringBuilder sql = new StringBuilder();
      settings().forEach((k, v) -> sql.append("SET ").append(k).append(" = ").append(v).append(";\n"));
      // A runner killed mid-migration: the server notices within a second and rolls back, releasing the lock.
      if (c.getMetaData().getDatabaseMajorVersion() >= 14) sql.append("SET client_connection_check_interval = 1000;\n");
      try (Statement st = c.createStatement()) { st.execute(sql.toString()); }
      return new Session(c, null);
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /**
   * Connects, retrying for up to `waitSeconds` while the server is not there yet (refused,
   * unreachable, starting up, out of connection slots); a wrong password or database fails at once.
   */
  static Connection connect(DbClient.Target target, int waitSeconds, PrintWriter err) throws SQLException {
    return open(target, waitSeconds, err).conn();
  }

  private static Session open(DbClient.Target target, int waitSeconds, PrintWriter err) throws SQLException {
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    boolean told = false;
    while (true) {
      try {
        return open(target);
      } catch (DbClient.DbException e) {
        if (e.kind != DbClient.DbException.Kind.CONNECT || !worthWaitingFor(e) || waitSeconds <= 0) throw e;
        if (System.nanoTime() > deadline)
          throw new DbClient.DbException(e.kind, e.getMessage() + " (waited " + waitSeconds + " s)", e.getCause());
        if (!told) {
          err.println("migrate: waiting up to " + waitSeconds + " s for the database: " + e.getMessage());
          err.flush();
          told = true;
        }
        try {
          Thread.sleep(500);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static boolean worthWaitingFor(DbClient.DbException e) {
    String state = e.getCause() instanceof SQLException se ? String.valueOf(se.getSQLState()) : "";
    return state.startsWith("08") || state.equals("57P03") || state.equals("53300");
  }

  /** A writer that drops what it is given (the library calls run quiet). */
  static PrintWriter quiet() { return new PrintWriter(OutputStream.nullOutputStream()); }
}
