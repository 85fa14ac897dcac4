// Shared helpers of the Adopt*Test classes (issue 23): a database as kodiai's runner leaves it
// (bench/KodiaiFixture), the foundation's conversion (the steps on their own, or `up` through the runner),
// and the rest of `up` on top: our own migrations, and ours that carry kodiai's files converted (from-kodiai/).

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

  /**
   * After convert(): 001-003 recorded as `up` records a conversion, then `up` applies the rest: our own migrations,
   * and converts for ours that carry kodiai's files.
   */
  static void ourLaterMigrations(String url) throws SQLException { ourLaterMigrations(url, null); }

  /** The same, up to our migration `to` (null: the latest). */
  static void ourLaterMigrations(String url, Integer to) throws SQLException {
    MigrationSource source = MigrationSource.load(dir);
    try (Connection c = DbClient.open(url)) {
      new MigrationTable(c, source).ensure(source, true, java.util.Set.of(1, 2, 3)); // kodiai's table has no version
    }
    try (Connection c = DbClient.open(url); var ps = c.prepareStatement("UPDATE _migrations SET version = ?,"
        + " checksum = ?, status = 'applied' WHERE name = ?")) {
      for (var m : source.migrations.subList(0, 3)) {
        ps.setInt(1, m.version());
        ps.setString(2, source.converted(m, List.of(m.fileName())).checksum());
        ps.setString(3, m.fileName());
        assertEquals(1, ps.executeUpdate(), m.fileName());
      }
    }
    if (to == null) upToLatest(url);
    else assertTrue(Migrations.run(url, dir, to) > 0, "nothing applied up to " + to);
  }

  /** `up` through the runner: from-kodiai/ where kodiai's runner applied a file, ours after, to the latest version. */
  static void upToLatest(String url) {
    int applied = Migrations.run(url, dir, null);
    assertTrue(applied > 0, "nothing applied");
    assertEquals(0, Migrations.run(url, dir, null), "a second up applies nothing");
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
