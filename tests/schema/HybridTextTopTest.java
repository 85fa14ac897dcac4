// Migration 009 (hybrid retrieval with any-word matching), on a real PostgreSQL: the tsquery
// of "at least k of the words", and learning_memories_text_top, the text side of the hybrid
// query, against the exact any-word ranking it stands in for (ts_rank_cd DESC, id).
// Its speed and its recall at 100,000 rows are measured by `bench hybrid`, not here.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HybridTextTopTest extends SchemaFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @BeforeAll static void migrateTheClassDatabase() {
    migrateToLatest(db);
  }

  static String text(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      ResultSet rs = ps.executeQuery();
      rs.next();
      return rs.getString(1);
    }
  }

  static String atLeast(Connection c, String words, int k) throws SQLException {
    return text(c, "SELECT tsquery_at_least('english', ?, ?)::text", words, k);
  }

  @Test void tsqueryAtLeastMatchesTheRowsHoldingAtLeastKOfTheWords() throws Exception {
    try (Connection c = db.connect()) {
      String w = "Unbounded retry loop in the webhook";
      assertEquals("'unbound' | 'retri' | 'loop' | 'webhook'", atLeast(c, w, 1), "k = 1: any word, stop words dropped");
      assertEquals(atLeast(c, w, 1), atLeast(c, w, 0));
      assertEquals("'unbound' & ( 'retri' & ( 'loop' | 'webhook' ) | 'loop' & 'webhook' ) | 'retri' & 'loop' & 'webhook'",
          atLeast(c, w, 3), "the threshold recursion");
      assertEquals("'unbound' & 'retri' & 'loop' & 'webhook'", atLeast(c, w, 4), "k = all words");
      assertEquals(atLeast(c, w, 4), atLeast(c, w, 9), "k beyond the words: all of them");
      assertEquals("'retri'", atLeast(c, "retry retrying retries", 2), "one distinct word, however often");
      assertNull(atLeast(c, "the of and", 1), "only stop words: NULL, which matches no row");
      assertNull(atLeast(c, "", 2));
      // Every subset of the four words as a row: at least k of them match exactly C(4,k) + ... + C(4,4) rows.
      String[] word = {"unbounded", "retry", "loop", "webhook"};
      for (int mask = 1; mask < 16; mask++) {
        StringBuilder t = new StringBuilder("memory");
        for (int b = 0; b < 4; b++) if ((mask & 1 << b) != 0) t.append(' ').append(word[b]).append(' ').append(word[b]);
        insertMemory(c, "hy/subsets", (long) mask, t.toString(), null, false);
      }
      int[] expected = {15, 11, 5, 1}; // subsets with >= 1, 2, 3, 4 of the words
      for (int k = 1; k <= 4; k++)
        assertEquals(expected[k - 1], longOf(c, "SELECT count(*) FROM learning_memories WHERE repo = 'hy/subsets' AND search_tsv @@ "
            + "tsquery_at_least('english', ?, ?)", w, k), "rows with at least " + k + " of the words");
      // Only the first 8 distinct words build k >= 2; any-word keeps them all.
      String ten = "alpha bravo charlie delta echo foxtrot golf hotel india juliet";
      assertFalse(atLeast(c, ten, 2).contains("india"), atLeast(c, ten, 2));
      assertTrue(atLeast(c, ten, 2).contains("hotel"));
      assertTrue(atLeast(c, ten, 1).contains("'india' | 'juliet'"));
      // Lexemes with punctuation (a path, a URL) are quoted operands that still match the stored vector.
      long id = insertMemory(c, "hy/quote", 1L, "Read src/api/retry.ts and https://example.com/a?b=c before O'Reilly's retry", null, false);
      for (int k = 1; k <= 3; k++)
        assertEquals(String.valueOf(id), text(c, "SELECT string_agg(id::text, ',') FROM learning_memories WHERE repo = 'hy/quote' AND search_tsv @@ "
            + "tsquery_at_least('english', 'src/api/retry.ts https://example.com/a?b=c reilly', ?)", k), "k = " + k);
    }
  }

  /** The exact any-word ranking the function stands in for (the exact fusion's text side). */
  static List<Long> exact(Connection c, String words, String[] repos, int n) throws SQLException {
    return ids(c, "SELECT m.id FROM learning_memories m, (SELECT tsquery_at_least('english', ?, 1) AS q) q WHERE m.repo = ANY(?) AND NOT m.stale"
        + " AND m.search_tsv @@ q.q ORDER BY ts_rank_cd(m.search_tsv, q.q) DESC, m.id LIMIT ?", words, repos, n);
  }

  static List<Long> top(Connection c, String words, String[] repos, int n) throws SQLException {
    List<Long> got = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, rnk FROM learning_memories_text_top('english', ?, ?::text[], ?)")) {
      ps.setString(1, words);
      ps.setArray(2, c.createArrayOf("text", repos));
      ps.setInt(3, n);
      ResultSet rs = ps.executeQuery();
      while (rs.next()) {
        got.add(rs.getLong(1));
        assertEquals(got.size(), rs.getLong(2), "rnk counts 1..n in order");
      }
    }
    return got;
  }

  static List<Long> ids(Connection c, String sql, String words, String[] repos, int n) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, words);
      ps.setArray(2, c.createArrayOf("text", repos));
      ps.setInt(3, n);
      ResultSet rs = ps.executeQuery();
      while (rs.next()) out.add(rs.getLong(1));
    }
    return out;
  }

  @Test void inASmallRepoItIsTheExactAnyWordRanking() throws Exception {
    try (Connection c = db.connect()) {
      String[] words = {"null check missing", "config loader", "retry", "timeout retry backoff webhook", "nothing matches zzz"};
      String[] texts = {"Missing null check on config", "null pointer in the loader", "retry retry retry without backoff",
          "webhook timeout", "Missing check", "config config loader", "backoff", "unrelated text"};
      long f = 100;
      for (int i = 0; i < 40; i++) insertMemory(c, "hy/small", f++, texts[i % texts.length], null, false);
      long stale = insertMemory(c, "hy/small", f++, "null null null check check missing missing config", null, true);
      long other = insertMemory(c, "hy/other", f++, "null null null check check missing missing config", null, false);
      for (String w : words)
        for (int n : new int[] {1, 5, 50}) {
          List<Long> got = top(c, w, new String[] {"hy/small"}, n);
          assertEquals(exact(c, w, new String[] {"hy/small"}, n), got, w + ", n = " + n);
          assertFalse(got.contains(stale) || got.contains(other), "no stale row, no other repo's row");
        }
      assertEquals(exact(c, "null check missing", new String[] {"hy/small", "hy/other"}, 10),
          top(c, "null check missing", new String[] {"hy/small", "hy/other"}, 10), "several repos (= ANY)");
      assertEquals(List.of(), top(c, "the of and", new String[] {"hy/small"}, 10), "only stop words: no row");
    }
  }

  @Test void inALargeRepoItRanksTheRowsHoldingTheMostWords() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      long f = 1000;
      // Above 3,000 rows (the GIN path): 30 rows hold all three words, 3,200 hold one; one row repeats a single
      // word more often than any other row.
      List<Long> allThree = new ArrayList<>();
      for (int i = 0; i < 30; i++) allThree.add(insertMemory(c, "hy/large", f++, "alpha bravo charlie", null, false));
      exec(c, "INSERT INTO learning_memories (repo, owner, finding_id, source_repo, finding_text, severity, category, file_path, outcome,"
          + " embedding_model, embedding_dim, stale) SELECT 'hy/large', 'hy', 100000 + g, 'hy/large', CASE WHEN g % 2 = 0 THEN 'alpha only'"
          + " ELSE 'bravo only' END, 'major', 'correctness', 'src/a.ts', 'thumbs_up', 'voyage-code-3', 1024, false FROM generate_series(1, 3200) g");
      long repeated = insertMemory(c, "hy/large", f++, "alpha alpha alpha alpha alpha", null, false);
      String[] repo = {"hy/large"};
      // n = 5: the rows with all three words number 30 >= 4n, so only they are ranked: ranks 1..5 are theirs,
      // which is the exact answer except for the one row whose five repetitions of one word outrank them.
      List<Long> exact = exact(c, "alpha bravo charlie", repo, 5);
      assertEquals(repeated, exact.get(0), "the exact ranking counts occurrences: 5 > 3");
      assertEquals(allThree.subList(0, 5), top(c, "alpha bravo charlie", repo, 5), "ranked within the rows holding all words");
      assertEquals(exact.subList(1, 5), allThree.subList(0, 4));
      // n = 10: 30 < 4n rows hold all three and as few hold two, so it falls back to every row with any word: exact.
      assertEquals(exact(c, "alpha bravo charlie", repo, 10), top(c, "alpha bravo charlie", repo, 10));
      // The rank is the exact query's: one-word ts_rank_cd summed is the OR query's, times 10, for every row.
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM learning_memories WHERE repo = 'hy/large' AND round(10 * ts_rank_cd(search_tsv,"
          + " tsquery_at_least('english', 'alpha bravo charlie', 1))) <> round(10 * ts_rank_cd(search_tsv, 'alpha')) + round(10 * ts_rank_cd(search_tsv, 'bravo'))"
          + " + round(10 * ts_rank_cd(search_tsv, 'charli'))")) {
        ResultSet rs = ps.executeQuery();
        rs.next();
        assertEquals(0, rs.getLong(1));
      }
      c.rollback();
    }
  }

  /**
   * Exactly on the small-repo limit: 3,000 live rows take the small path (the exact any-word ranking), 3,001 the
   * large one (only the rows holding the most words are ranked). Stale rows do not count. The two answers differ
   * here: one row repeats a single word more often than the 30 rows holding all three words.
   */
  @Test void theSmallRepoLimitIsExactlyThreeThousandLiveRows() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      long f = 5000;
      List<Long> allThree = new ArrayList<>();
      for (int i = 0; i < 30; i++) allThree.add(insertMemory(c, "hy/edge", f++, "alpha bravo charlie", null, false));
      long repeated = insertMemory(c, "hy/edge", f++, "alpha alpha alpha alpha alpha", null, false);
      fill(c, 200000, 3000 - 31, false); // 3,000 live rows in all
      fill(c, 300000, 50, true);         // and stale ones, which do not count
      String[] repo = {"hy/edge"};
      assertEquals(3000, longOf(c, "SELECT count(*) FROM learning_memories WHERE repo = 'hy/edge' AND NOT stale"));
      List<Long> exact = exact(c, "alpha bravo charlie", repo, 5);
      assertEquals(repeated, exact.get(0));
      assertEquals(exact, top(c, "alpha bravo charlie", repo, 5), "3,000 live rows: the small path, the exact answer");
      fill(c, 400000, 1, false);
      assertEquals(allThree.subList(0, 5), top(c, "alpha bravo charlie", repo, 5), "3,001 live rows: the large path");
      c.rollback();
    }
  }

  /** `rows` memories of hy/edge that hold none of the words, finding ids from first + 1. */
  private static void fill(Connection c, long first, int rows, boolean stale) throws SQLException {
    exec(c, "INSERT INTO learning_memories (repo, owner, finding_id, source_repo, finding_text, severity, category, file_path, outcome,"
        + " embedding_model, embedding_dim, stale) SELECT 'hy/edge', 'hy', " + first + " + g, 'hy/edge', 'delta echo', 'major',"
        + " 'correctness', 'src/a.ts', 'thumbs_up', 'voyage-code-3', 1024, " + stale + " FROM generate_series(1, " + rows + ") g");
  }
}
