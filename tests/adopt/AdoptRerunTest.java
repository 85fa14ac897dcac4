// Issue 23: every online conversion (migrations/from-kodiai/<F> with `-- migrate:no-transaction`, for each of our
// migrations that declares kodiai files) is safe to run again from any point: run twice on a database it converted,
// the second run succeeds and changes nothing (catalog and rows); cut just after a swap committed (the process
// dying between that commit and the runner's record), the next run finishes it, to the same catalog and rows as
// a run that was never cut. The databases are kodiai's tables as its runner leaves them (bench/KodiaiFixture) with
// the other Adopt*Tests' edge rows, converted by `up` up to the migration before the one under test.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AdoptRerunTest extends AdoptSupport {
  /**
   * Our migrations whose conversion runs outside a transaction (statement by statement, each committed): the
   * foundation's 001-003 (kodiai's file of the same name) and those that declare kodiai files.
   */
  static List<Integer> onlineConversions() {
    List<Integer> out = new ArrayList<>();
    for (var m : MigrationSource.load(dir).migrations) {
      String sql = conversionOf(m.version());
      if (sql != null && MigrationSource.hasNoTransactionMarker(sql)) out.add(m.version());
    }
    assertTrue(out.containsAll(List.of(1, 2, 3, 21, 22, 24, 25, 31, 52, 53, 57, 58, 66)), "online: " + out);
    return out;
  }

  /** The SQL `up` runs for our migration `version` on kodiai's database (null: none, ours runs as it is). */
  static String conversionOf(int version) {
    MigrationSource source = MigrationSource.load(dir);
    var m = source.byVersion(version);
    if (!m.kodiai().isEmpty()) return AdoptSliceATablesTest.conversionOf(version);
    return version <= 3 ? source.fromKodiai.get(m.fileName()) : null;
  }

  /** kodiai's database with rows in every table a conversion rewrites (the other Adopt*Tests' edge rows). */
  static void kodiaiWithRows(String url) throws Exception {
    kodiaiDatabase(url, 5);
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      for (String rows : List.of(AdoptReviewWikiTest.reviewComments(45), AdoptReviewWikiTest.wikiPages(10),
          AdoptSliceAMoreTest.POPULARITY, AdoptSliceAMoreTest.EVIDENCE, AdoptSliceAMoreTest.SUGGESTIONS,
          AdoptSliceAMoreTest.COSTS, AdoptSliceAMoreTest.AUDITS, AdoptSliceAMoreTest.SNIPPETS,
          AdoptIssuesTest.CLUSTERS, AdoptIssuesTest.ISSUES, AdoptGraphTest.GRAPH_ROWS, AdoptGraphTest.CHUNKS,
          AdoptGraphTest.RESILIENCE)) {
        st.execute(rows);
      }
    }
  }

  /** The conversion of our migration `version` as the runner runs it, split into its statements. */
  static List<MigrationSource.Statement> statements(int version) {
    return MigrationSource.split(conversionOf(version));
  }

  /** Statements [0, count) in a new session (as the runner after a restart), each committed on its own. */
  static void run(String url, int version, int count) throws SQLException {
    var all = statements(version);
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      for (var s : all.subList(0, count)) {
        try {
          st.execute(s.sql());
        } catch (SQLException e) {
          throw new SQLException("conversion of our " + version + ", line " + s.line() + ": " + e.getMessage(), e);
        }
      }
    }
  }

  static void runAll(String url, int version) throws SQLException { run(url, version, statements(version).size()); }

  /**
   * Where to cut: just after each statement that swaps columns or keys (pg_temp.swap, swap_columns,
   * swap_unkeyed_id, the serial-to-identity helpers), the first and the last of them; a conversion without one is
   * cut after its middle statement.
   */
  static List<Integer> cuts(int version) {
    var all = statements(version);
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      String s = all.get(i).sql();
      if (s.startsWith("CREATE OR REPLACE")) continue; // the kit's definitions
      if (s.contains("pg_temp.swap") || s.contains("_identity(")) at.add(i + 1);
    }
    if (at.isEmpty()) return List.of(all.size() / 2);
    return at.size() == 1 ? at : List.of(at.get(0), at.get(at.size() - 1));
  }

  /** Every table's rows (count and digest of their text, in order), one line per table. */
  static List<String> rows(Connection c) throws SQLException {
    List<String> tables = new ArrayList<>(), out = new ArrayList<>();
    try (Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace ="
          + " current_schema()::regnamespace ORDER BY relname")) {
        while (rs.next()) tables.add(rs.getString(1));
      }
      for (String t : tables) {
        out.add(t + " " + AdoptSliceATablesTest.one(st, "SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text,"
            + " '|' ORDER BY r::text)), '') FROM \"" + t + "\" r"));
      }
    }
    return out;
  }

  static List<String> state(String url) throws SQLException {
    try (Connection c = DbClient.open(url)) {
      List<String> out = new ArrayList<>(snapshot(c));
      out.addAll(rows(c));
      return out;
    }
  }

  static void assertSame(List<String> expected, List<String> have, String what) {
    assertEquals("", CatalogSnapshot.diff(expected, have), what + " (- before, + after)");
  }

  /** A copy of database `template` (nobody connected to it), dropped by the caller. */
  static String copyOf(String template, String hint) throws SQLException {
    String name = FreshDatabase.create(hint);
    FreshDatabase.drop(name);
    try (Connection c = DbClient.open(TestDatabase.adminUrl()); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name + " TEMPLATE " + template);
    }
    return name;
  }

  @ParameterizedTest(name = "our {0}: run twice, and cut after its swap then run again")
  @MethodSource("onlineConversions")
  void theConversionIsSafeToRunAgainAfterItsSwapAndAfterAFullRun(int version) throws Exception {
    String base = FreshDatabase.create("adoptrerun" + version);
    List<String> names = new ArrayList<>(List.of(base));
    try {
      String url = FreshDatabase.urlFor(base);
      kodiaiWithRows(url);
      if (version <= 3) {
        for (int v = 1; v < version; v++) runAll(url, v); // the foundation's steps before it
      } else {
        assertTrue(Migrations.run(url, dir, version - 1) > 0, "up to " + (version - 1));
      }
      String full = copyOf(base, "adoptrerunfull" + version);
      names.add(full);
      runAll(FreshDatabase.urlFor(full), version);
      List<String> converted = state(FreshDatabase.urlFor(full));
      for (String t : KodiaiAdoption.provedTables(MigrationSource.load(dir).byVersion(version).fileName())) {
        assertFalse(converted.contains(t + " 0 "), t + " has rows for the conversion to rewrite");
      }
      runAll(FreshDatabase.urlFor(full), version);
      assertSame(converted, state(FreshDatabase.urlFor(full)), "our " + version + " run a second time");
      for (int cut : cuts(version)) {
        String name = copyOf(base, "adoptrerunc" + version);
        names.add(name);
        String cutUrl = FreshDatabase.urlFor(name);
        run(cutUrl, version, cut);
        System.out.printf("our %d cut after line %d%n", version, statements(version).get(cut - 1).line());
        runAll(cutUrl, version);
        assertSame(converted, state(cutUrl), "our " + version + " cut after statement " + cut
            + " (line " + statements(version).get(cut - 1).line() + ") and run again");
      }
    } finally {
      for (String n : names) FreshDatabase.drop(n);
    }
  }
}
