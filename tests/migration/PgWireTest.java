import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the migration runner relies on of pgjdbc beyond JDBC (migration/PgWire.java), one test per
 * behaviour, against the pinned driver and a real server: a driver upgrade that changes one fails
 * here, not in a migration. Connections as the runner opens them: simple query protocol.
 */
class PgWireTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  static Connection simple() {
    return DbClient.open(DbClient.parse(db.url()).withParam("preferQueryMode", "simple"),
        DbClient.Settings.fromEnv(java.util.Map.of()));
  }

  @Test void aMessageStopsAtItsFirstErrorAndCountsTheStatementsBefore() throws Exception {
    try (Connection c = simple()) {
      PgWire w = new PgWire(c);
      SQLException e = assertThrows(SQLException.class,
          () -> w.send("SELECT 1;\nSET LOCAL work_mem = '8MB';\nVALUES (1), (2);\nSELECT 1/0;\nSELECT 5"));
      assertEquals("22012", e.getSQLState(), e.toString());
      assertEquals(3, w.completed(), "two results and a command status before the error: " + e);
      w.send("SELECT 1");
      assertEquals(1, w.completed(), "counted again for each message");
    }
  }

  @Test void autocommitSendsNoBeginOfItsOwnOtherwiseItOpensTheTransaction() throws Exception {
    try (Connection c = simple(); Connection other = simple(); Statement st = other.createStatement()) {
      PgWire w = new PgWire(c);
      w.send("CREATE TABLE wire_t (id int)");
      // autocommit: the message's own BEGIN/COMMIT decide, and nothing stays open after it
      w.send("BEGIN;\nINSERT INTO wire_t VALUES (1);\nROLLBACK;\nBEGIN;\nINSERT INTO wire_t VALUES (2);\nCOMMIT");
      assertEquals(6, w.completed());
      w.send("INSERT INTO wire_t VALUES (3)");
      assertEquals("{2,3}", text(st, "SELECT array_agg(id ORDER BY id)::text FROM wire_t"), "committed, seen elsewhere");
      // not autocommit: the driver opens the transaction (a down file's), and it is the connection's to end
      c.setAutoCommit(false);
      w.send("INSERT INTO wire_t VALUES (4)");
      assertEquals("{2,3}", text(st, "SELECT array_agg(id ORDER BY id)::text FROM wire_t"), "not committed yet");
      c.rollback();
      c.setAutoCommit(true);
      assertEquals("{2,3}", text(st, "SELECT array_agg(id ORDER BY id)::text FROM wire_t"), "rolled back");
    }
  }

  static String text(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test void aNoticeIsNotAnError() throws Exception {
    try (Connection c = simple()) {
      PgWire w = new PgWire(c);
      w.send("DO $$BEGIN RAISE NOTICE 'just so you know'; RAISE WARNING 'and this'; END$$;\nSELECT 1");
      assertEquals(2, w.completed());
    }
  }

  @Test void anErrorCarriesItsPositionInTheMessageItsTableAndDetail() throws Exception {
    try (Connection c = simple()) {
      PgWire w = new PgWire(c);
      // a syntax error: the server rejects the whole message, the position counts code points of all of it
      String head = "SELECT 'ü€😀';\n";
      SQLException syntax = assertThrows(SQLException.class, () -> w.send(head + "SELEC 1"));
      assertEquals("42601", syntax.getSQLState());
      assertEquals(head.codePointCount(0, head.length()) + 1, PgWire.position(syntax));
      assertTrue(PgWire.severityAndMessage(syntax).startsWith("ERROR: syntax error"), syntax.toString());
      w.send("CREATE TABLE wire_u (name text PRIMARY KEY);\nINSERT INTO wire_u VALUES ('x')");
      SQLException dup = assertThrows(SQLException.class, () -> w.send("INSERT INTO wire_u VALUES ('x')"));
      assertEquals("23505", dup.getSQLState());
      assertEquals("wire_u", PgWire.table(dup));
      assertTrue(PgWire.detail(dup).contains("=(x)"), PgWire.detail(dup));
    }
    SQLException local = new SQLException("not from a server", "08006");
    assertEquals(0, PgWire.position(local));
    assertNull(PgWire.severityAndMessage(local));
    assertNull(PgWire.table(local));
  }

  @Test void cancelStopsTheStatementRunningNow() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try (Connection c = simple()) {
      PgWire w = new PgWire(c);
      timer.schedule(() -> { w.cancel(); return null; }, 500, TimeUnit.MILLISECONDS);
      SQLException e = assertThrows(SQLException.class, () -> w.send("SELECT 1;\nSELECT pg_sleep(60)"));
      assertEquals("57014", e.getSQLState(), e.toString());
      assertEquals(1, w.completed());
    } finally {
      timer.shutdownNow();
    }
  }
}
