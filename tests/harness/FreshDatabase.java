// A JUnit 5 extension that gives each test class its own new database on the
// test server, dropped after the class, so tests cannot leak into each other:
//
//   @RegisterExtension static final FreshDatabase db = new FreshDatabase();
//   ... db.url() (a URL for that database, with credentials), db.connect()

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

final class FreshDatabase implements BeforeAllCallback, AfterAllCallback {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private String name;
  private String url;

  @Override public void beforeAll(ExtensionContext ctx) throws SQLException {
    name = create(ctx.getRequiredTestClass().getSimpleName());
    url = urlFor(name);
  }

  @Override public void afterAll(ExtensionContext ctx) throws SQLException {
    if (name != null) drop(name);
  }

  /**
   * Terminates the one backend of the current database whose activity matches `where` (SQL over
   * pg_stat_activity), polling every 100 ms for up to `seconds`: how a test kills a migration midway.
   */
  static boolean terminateWhen(Statement st, String where, int seconds) throws SQLException, InterruptedException {
    for (int i = 0; i < seconds * 10; i++) {
      Thread.sleep(100);
      try (var rs = st.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
          + " WHERE datname = current_database() AND " + where)) {
        rs.next();
        if (rs.getInt(1) == 1) return true;
      }
    }
    return false;
  }

  String url() { return url; }
  String name() { return name; }

  /** An unpooled connection to this class's database (pgvector types registered). */
  Connection connect() { return DbClient.open(url); }

  /** Another new, empty database (for tests that need several); the caller drops it. */
  static String create(String hint) throws SQLException {
    String db = ("t_" + hint.toLowerCase().replaceAll("[^a-z0-9]", "") + "_" + ProcessHandle.current().pid()
        + "_" + COUNTER.incrementAndGet());
    if (db.length() > 60) db = db.substring(0, 30) + db.substring(db.length() - 30);
    admin("CREATE DATABASE " + db);
    return db;
  }

  static void drop(String db) throws SQLException {
    admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }

  static String urlFor(String db) { return DbClient.withDatabase(TestDatabase.adminUrl(), db); }

  private static void admin(String sql) throws SQLException {
    try (Connection c = DbClient.open(TestDatabase.adminUrl()); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
