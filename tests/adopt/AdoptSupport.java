// Shared helpers of the Adopt*Test classes (issue 23): a database as kodiai's runner leaves it
// (bench/KodiaiFixture), the foundation's conversion, and, until the runner applies from-kodiai/ files
// itself, our 004-011 on top (kodiai's rows for its 004-054 are set aside while they run, then put back).

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

abstract class AdoptSupport extends SchemaFixtures {
  /** kodiai's schema with its `_migrations` rows and `memories` memories (plus the other tables' edge rows). */
  static void kodiaiDatabase(String url, int memories) throws SQLException {
    try (Connection c = DbClient.open(url)) {
      KodiaiFixture.build(c);
      KodiaiFixture.fill(c, memories);
    }
  }

  /** Runs from-kodiai/001-003; returns what it printed. */
  static String convert(String url) throws SQLException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (Connection c = DbClient.open(url)) {
      KodiaiAdoption.convert(c, dir, new PrintStream(buf, true, StandardCharsets.UTF_8));
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  /** Our 004 onwards, as `up` will run them after the conversion; kodiai's other rows stay recorded. */
  static void ourLaterMigrations(String url) throws SQLException {
    List<String> kept = new ArrayList<>();
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT name FROM _migrations WHERE name >= '004' ORDER BY name")) {
        while (rs.next()) kept.add(rs.getString(1));
      }
      st.execute("DELETE FROM _migrations WHERE name >= '004'");
    }
    assertEquals(LATEST - 3, Migrations.run(url, dir, null), "our 004 onwards applied on the converted tables");
    try (Connection c = DbClient.open(url); var ps = c.prepareStatement("INSERT INTO _migrations (name) VALUES (?)")) {
      for (String n : kept) { ps.setString(1, n); ps.executeUpdate(); }
    }
  }

  static Map<String, KodiaiAdoption.TableSum> sums(String url) throws SQLException {
    try (Connection c = DbClient.open(url)) { return KodiaiAdoption.sums(c); }
  }

  /** Compares and prints (the test's output shows the table); fails naming the tables that differ. */
  static void assertSameRows(Map<String, KodiaiAdoption.TableSum> before, Map<String, KodiaiAdoption.TableSum> after) {
    List<String> differ = KodiaiAdoption.compare(before, after, System.out);
    assertEquals(List.of(), differ, "tables whose rows or values changed");
  }

  /** schema-check's failures (it checks our whole schema; kodiai's own extra tables are not its business). */
  static List<String> schemaFailures(String url) throws SQLException {
    try (Connection c = DbClient.open(url)) { return SchemaCheck.check(c); }
  }

  static String one(String url, String sql) throws SQLException {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      assertTrue(rs.next(), sql);
      return rs.getString(1);
    }
  }
}
