// Issue 23: a conversion killed at any point resumes with the next run. The steps' statements are run up
// to a cut (one in each kind of statement); the statement at the cut is cancelled midway (statement_timeout
// 5 ms: what a kill does to the statement running: its transaction rolls back, the batches it committed
// stay) and the session ends (its temporary functions go); then the whole conversion runs again, as the
// next `up` would, and every row must be as before. One more run is killed by pg_terminate_backend while it
// waits, midway through from-kodiai/001, for a lock the bot holds.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdoptResumeTest extends AdoptSupport {
  record Cut(String file, int index, String sql) {}

  @Test
  void aConversionCutAtAnyStatementResumes() throws Exception {
    String tpl = FreshDatabase.create("adopttpl");
    try {
      String tplUrl = FreshDatabase.urlFor(tpl);
      kodiaiDatabase(tplUrl, 30);
      Map<String, KodiaiAdoption.TableSum> before = sums(tplUrl);
      List<Cut> all = statements();
      // one cut in each kind of statement: a table's batches (001), a concurrent unique index build (001),
      // the swap of the four tables tied by foreign keys (002), a VALIDATE (002), the halfvec batches (002)
      List<Integer> cuts = List.of(find(all, "CALL pg_temp.prepare('findings'"),
          find(all, "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS feedback_reactions_reaction_key"),
          find(all, "IF pg_temp.has_column('reviews', 'id_adopt')"),
          find(all, "ALTER TABLE reviews VALIDATE CONSTRAINT reviews_counts_check"),
          find(all, "'UPDATE learning_memories SET embedding_half = embedding::halfvec(1024)'"));
      for (int k : cuts) {
        String db = copyOf(tpl, "adoptcut" + k);
        try {
          String url = FreshDatabase.urlFor(db);
          runUpTo(url, all, k);
          convert(url);
          assertSameRows(before, sums(url));
          if (k == cuts.get(cuts.size() - 1)) {
            ourLaterMigrations(url); // 004-012 on the resumed conversion (schema-check waits for 004-054's)
          }
        } finally {
          FreshDatabase.drop(db);
        }
      }
    } finally {
      FreshDatabase.drop(tpl);
    }
  }

  @Test
  void aConversionTerminatedMidwayResumes() throws Exception {
    withDatabase("adoptkill", url -> {
      kodiaiDatabase(url, 400);
      Map<String, KodiaiAdoption.TableSum> before = sums(url);
      // the bot reading memories in a long transaction: after preparing the 13 other tables, the converter
      // waits for it to drop kodiai's HNSW index CONCURRENTLY; there it is terminated
      try (Connection reader = DbClient.open(url); Statement r = reader.createStatement();
           Connection admin = DbClient.open(url); Statement st = admin.createStatement()) {
        reader.setAutoCommit(false);
        r.execute("LOCK TABLE learning_memories IN ACCESS SHARE MODE");
        Thread t = new Thread(() -> { try { convert(url); } catch (SQLException ignored) { } });
        t.start();
        boolean killed = FreshDatabase.terminateWhen(st, "state = 'active'"
            + " AND query LIKE 'DROP INDEX CONCURRENTLY IF EXISTS idx_learning_memories_embedding_hnsw%'", 60);
        assertTrue(killed, "the conversion was terminated while it waited for the memory table");
        t.join(60_000);
        reader.rollback();
      }
      assertEquals("t", one(url, "SELECT count(*) > 0 FROM pg_attribute WHERE attrelid = 'reviews'::regclass"
          + " AND attname = 'id_adopt'"), "the other tables were prepared before the kill");
      convert(url);
      assertSameRows(before, sums(url));
    });
  }

  /** The three steps' statements, in order, as the runner sends them. */
  static List<Cut> statements() throws Exception {
    List<Cut> out = new ArrayList<>();
    for (String f : KodiaiAdoption.FOUNDATION_STEPS) {
      String sql = ConversionKit.read(dir, f);
      int i = 0;
      for (MigrationSource.Statement s : MigrationSource.split(sql)) out.add(new Cut(f, i++, s.sql()));
    }
    return out;
  }

  /** The first statement of the steps that contains `text`. */
  static int find(List<Cut> all, String text) {
    for (int k = 0; k < all.size(); k++) if (all.get(k).sql().contains(text)) return k;
    throw new AssertionError("no statement with " + text);
  }

  /** Statements before k as the runner runs them; statement k cancelled 5 ms in; the session then ends. */
  static void runUpTo(String url, List<Cut> all, int k) throws SQLException {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      c.setAutoCommit(true);
      for (int i = 0; i <= k; i++) {
        Cut s = all.get(i);
        if (s.index() == 0) st.execute("DISCARD TEMP; RESET lock_timeout");
        if (i == k) st.execute("SET statement_timeout = '5ms'");
        try {
          st.execute(s.sql());
        } catch (SQLException e) {
          if (i < k) throw e;
        }
      }
    }
  }

  static String copyOf(String template, String hint) throws SQLException {
    String name = FreshDatabase.create(hint);
    try (Connection c = DbClient.open(TestDatabase.adminUrl()); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE " + name);
      st.execute("CREATE DATABASE " + name + " TEMPLATE " + template);
    }
    return name;
  }
}
