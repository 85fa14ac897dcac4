// Issue 23, conversions of kodiai's small state tables (migrations/from-kodiai/<F> for kodiai files other
// than 001-003): each takes the table as kodiai's runner leaves it (bench/KodiaiFixture.AS_KODIAI) to what our
// carrying migration creates (the catalog of that table on a database of ours migrated to that version),
// every row kept; a row our checks refuse rolls the conversion back, nothing changed. Run as the runner runs
// a transactional conversion: the file in one transaction.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdoptStateTablesTest extends AdoptSupport {
  /** The catalog lines of one table (columns, defaults, constraints, indexes, its sequences). */
  static List<String> catalogOf(Connection c, String table) throws SQLException {
    return snapshot(c).stream().filter(l -> l.contains("." + table + ".") || l.contains("." + table + " ")
        || l.contains("." + table + "_")).toList();
  }

  static void convertInOneTransaction(Connection c, String kodiaiFile) throws Exception {
    String sql = ConversionKit.read(dir, kodiaiFile);
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute(sql);
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  static String rowsOf(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) || ' ' || coalesce(md5("
        + "string_agg(t::text, '|' ORDER BY t::text)), '-') FROM " + table + " t")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void wikiStalenessRunStateBecomesOur026WithItsRow() throws Exception {
    List<String> ours = ours("adoptstate26ours", 26, "wiki_staleness_run_state");
    withDatabase("adoptstate26", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO wiki_staleness_run_state (id, last_run_at, last_commit_sha, pages_flagged,"
            + " pages_evaluated, status) VALUES (1, now(), 'abc123', 3, 40, 'success')");
        String before = rowsOf(c, "wiki_staleness_run_state");
        convertInOneTransaction(c, "012-wiki-staleness-run-state.sql");
        assertEquals(before, rowsOf(c, "wiki_staleness_run_state"), "the row kept");
        assertEquals(ours, catalogOf(c, "wiki_staleness_run_state"), "as our 026 creates it");
      }
    });
  }

  @Test
  void aRowOurChecksRefuseLeavesKodiaisTableAsItWas() throws Exception {
    withDatabase("adoptstate26bad", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO wiki_staleness_run_state (status) VALUES ('success'), ('running')");
        List<String> catalog = snapshot(c);
        SQLException e = assertThrows(SQLException.class,
            () -> convertInOneTransaction(c, "012-wiki-staleness-run-state.sql"));
        assertTrue(e.getMessage().contains("wiki_staleness_run_state_"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
      }
    });
  }

  @Test
  void wikiStyleCacheBecomesOur030WithItsRows() throws Exception {
    List<String> ours = ours("adoptstate30ours", 30, "wiki_style_cache");
    withDatabase("adoptstate30", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO wiki_style_cache (page_id, page_title, content_hash, style_description, expires_at)"
            + " SELECT g, 'Page ' || g, md5(g::text), jsonb_build_object('tone', 'plain', 'n', g),"
            + " now() + interval '7 days' FROM generate_series(1, 50) g");
        String before = rowsOf(c, "wiki_style_cache");
        convertInOneTransaction(c, "025-wiki-style-cache.sql");
        assertEquals(before, rowsOf(c, "wiki_style_cache"), "every row kept");
        assertEquals(ours, catalogOf(c, "wiki_style_cache"), "as our 030 creates it");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO wiki_style_cache (page_id,"
            + " page_title, content_hash, style_description, expires_at) VALUES (51, 'x', 'h', '\"text\"', now())"));
        assertTrue(e.getMessage().contains("wiki_style_cache_style_description_check"), e.getMessage());
      }
    });
  }

  @Test
  void wikiEmbeddingRepairStateBecomesOur032WithItsRowsAndItsIds() throws Exception {
    List<String> ours = ours("adoptstate32ours", 32, "wiki_embedding_repair_state");
    withDatabase("adoptstate32", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO wiki_embedding_repair_state (repair_key, page_id, window_index, windows_total,"
            + " repaired, last_processed_chunk_ids) SELECT 'run-' || g, g, g % 3, 3, g,"
            + " CASE WHEN g % 2 = 0 THEN ARRAY[g, 2147483647] ELSE '{}' END FROM generate_series(1, 20) g");
        st.execute("DELETE FROM wiki_embedding_repair_state WHERE id = 20");
        String before = rowsOf(c, "wiki_embedding_repair_state");
        convertInOneTransaction(c, "028-wiki-embedding-repair-state.sql");
        assertEquals(before, rowsOf(c, "wiki_embedding_repair_state"), "every row kept");
        assertEquals(ours, catalogOf(c, "wiki_embedding_repair_state"), "as our 032 creates it");
        try (var rs = st.executeQuery("INSERT INTO wiki_embedding_repair_state (repair_key) VALUES ('next')"
            + " RETURNING id")) {
          rs.next();
          assertEquals(21, rs.getLong(1), "the identity continues kodiai's sequence (20 was used, then deleted)");
        }
      }
    });
  }

  /** The table's catalog on a database of ours migrated to `version`. */
  static List<String> ours(String hint, int version, String table) throws Exception {
    List<List<String>> out = new java.util.ArrayList<>();
    withDatabase(hint, url -> {
      Migrations.run(url, dir, version);
      try (Connection c = DbClient.open(url)) { out.add(catalogOf(c, table)); }
    });
    assertFalse(out.get(0).isEmpty(), table + " at " + version);
    return out.get(0);
  }
}
