// Shared source: the one place the migration engine uses pgjdbc beyond JDBC (pgjdbc is pinned in
// DbClient.java). tests/migration/PgWireTest.java pins each behaviour relied on here, so a driver
// upgrade that changes one fails there first:
//  - send() gives the server one simple-protocol message of many statements, through pgjdbc's
//    query executor with a handler of our own, and counts the statements that completed before
//    an error: the server answers each statement of a message with its own completion, in order.
//    pgjdbc's Statement would keep each statement's result in a list it walks from the start for
//    every new one: n^2 for a message of n statements (160,000 INSERTs in one file took 45 s);
//  - in autocommit it sends no BEGIN of its own (the message's own BEGIN/COMMIT decide);
//  - notices are not errors (pgjdbc 42.7.14 made handleWarning every handler's own business);
//  - an error's SQL state, position (in code points of the message), table and detail;
//  - cancel() cancels the statement running now, from another thread.

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.CachedQuery;
import org.postgresql.core.Field;
import org.postgresql.core.Query;
import org.postgresql.core.QueryExecutor;
import org.postgresql.core.ResultCursor;
import org.postgresql.core.ResultHandlerBase;
import org.postgresql.core.Tuple;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

final class PgWire {
  private final Connection conn;
  private int completed;

  PgWire(Connection conn) { this.conn = conn; }

  /** Sends `sql` (one statement, or many separated by `;`) as one simple-protocol message. */
  void send(String sql) throws SQLException {
    completed = 0;
    var handler = new ResultHandlerBase() {
      @Override public void handleResultRows(Query q, Field[] f, List<Tuple> rows, ResultCursor c) { completed++; }
      @Override public void handleCommandStatus(String status, long updateCount, long insertOID) { completed++; }
      @Override public void handleWarning(java.sql.SQLWarning warning) { } // a notice is not an error
    };
    QueryExecutor executor = conn.unwrap(BaseConnection.class).getQueryExecutor();
    CachedQuery query = executor.createQuery(sql, false, false);
    int flags = QueryExecutor.QUERY_EXECUTE_AS_SIMPLE | QueryExecutor.QUERY_NO_METADATA
        | (conn.getAutoCommit() ? QueryExecutor.QUERY_SUPPRESS_BEGIN : 0); // else pgjdbc opens a transaction
    executor.execute(query.query, null, handler, 0, 0, flags);
  }

  /** How many statements of the last message completed (before its error, if it failed). */
  int completed() { return completed; }

  /** Cancels the statement the server runs for this connection now, if any. */
  void cancel() throws SQLException { conn.unwrap(PGConnection.class).cancelQuery(); }

  /** The server's error of `e`, or null when it did not come from the server (a lost connection, a client check). */
  static ServerErrorMessage server(SQLException e) {
    return e instanceof PSQLException pe ? pe.getServerErrorMessage() : null;
  }

  /** Where in the statement (or message) the error lies, in code points from 1; 0: not said. */
  static int position(SQLException e) {
    ServerErrorMessage s = server(e);
    return s == null ? 0 : s.getPosition();
  }

  /** The table a constraint error names, or null. */
  static String table(SQLException e) {
    ServerErrorMessage s = server(e);
    return s == null ? null : s.getTable();
  }

  /** The error's DETAIL, or null. */
  static String detail(SQLException e) {
    ServerErrorMessage s = server(e);
    return s == null ? null : s.getDetail();
  }

  /** "SEVERITY: message" of a server error, or null when `e` is not one. */
  static String severityAndMessage(SQLException e) {
    ServerErrorMessage s = server(e);
    return s == null ? null : s.getSeverity() + ": " + s.getMessage();
  }
}
