// Migration 010 on a real PostgreSQL: learning_memories_search, the narrow copy of the live
// memories' search vectors that learning_memories_text_top reads. Its invariant, checked
// after every kind of write a writer can make (INSERT, ON CONFLICT in both forms, COPY,
// UPDATE of each copied column and of others, DELETE, TRUNCATE, a rolled-back transaction):
//   learning_memories_search = (repo, id, search_tsv) of the rows of learning_memories with NOT stale.
// Also: 010 copies the rows that exist when it runs, the triggers write the migration's schema
// whatever the writer's search_path, and the text side answers from the copy as it changes.

import static org.junit.jupiter.api.Assertions.*;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HybridSearchCopyTest extends SchemaFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @BeforeAll static void migrateTheClassDatabase() {
    migrateToLatest(db);
  }

  /** Rows of one side missing from the other, both ways, as "live-only ..." / "copy-only ..." lines (empty: equal). */
  static List<String> differences(Connection c) throws SQLException {
    String live = "SELECT repo, id, search_tsv FROM learning_memories WHERE NOT stale";
    String copy = "SELECT repo, id, search_tsv FROM learning_memories_search";
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT 'live-only', repo, id FROM (" + live + " EXCEPT ALL " + copy + ") a"
        + " UNION ALL SELECT 'copy-only', repo, id FROM (" + copy + " EXCEPT ALL " + live + ") b ORDER BY 1, 2, 3")) {
      ResultSet rs = ps.executeQuery();
      while (rs.next()) out.add(rs.getString(1) + " " + rs.getString(2) + " #" + rs.getLong(3));
    }
    return out;
  }

  static void assertInSync(Connection c, String after) throws SQLException {
    assertEquals(List.of(), differences(c), "the copy after " + after);
  }

  static long copied(Connection c, String repo) throws SQLException {
    return longOf(c, "SELECT count(*) FROM learning_memories_search WHERE repo = ?", repo);
  }

  @Test void theCopyHoldsExactlyTheLiveRowsThroughEveryKindOfWrite() throws Exception {
    try (Connection c = db.connect()) {
      String r = "copy/writes";
      long a = insertMemory(c, r, 1L, "unbounded retry loop in the webhook", null, false);
      long s = insertMemory(c, r, 2L, "stale memory about the retry loop", null, true);
      assertEquals(1, copied(c, r), "a live row is copied, a stale one is not");
      assertInSync(c, "INSERT");

      String upsert = "INSERT INTO learning_memories (repo, owner, finding_id, source_repo, finding_text, severity, category, file_path,"
          + " outcome, embedding_model, embedding_dim, stale) VALUES (?, 'copy', ?, ?, ?, 'major', 'correctness', 'a.ts', 'thumbs_up', 'm', 1024, ?)"
          + " ON CONFLICT (repo, finding_id, outcome) DO ";
      assertEquals(0, update(c, upsert + "NOTHING", r, 1L, r, "a different text that was not written", false));
      assertInSync(c, "ON CONFLICT DO NOTHING (no row written, nothing copied)");
      assertEquals(1, update(c, upsert + "UPDATE SET finding_text = excluded.finding_text, stale = excluded.stale", r, 2L, r,
          "revived memory about token expiry", false));
      assertEquals(2, copied(c, r), "the stale row made live by an upsert is copied");
      assertInSync(c, "ON CONFLICT DO UPDATE (stale -> live, new text)");

      update(c, "UPDATE learning_memories SET finding_text = 'cache invalidation in parseRepo' WHERE id = ?", a);
      assertEquals(1, longOf(c, "SELECT count(*) FROM learning_memories_search WHERE id = ? AND search_tsv @@ 'invalid'::tsquery", a),
          "a new text reaches the copy (its vector is set by 003's BEFORE trigger, not named by the UPDATE)");
      assertInSync(c, "UPDATE finding_text");
      update(c, "UPDATE learning_memories SET outcome = 'accepted', severity = 'minor' WHERE id = ?", a);
      assertInSync(c, "UPDATE of columns the copy does not hold");
      update(c, "UPDATE learning_memories SET repo = 'copy/moved' WHERE id = ?", a);
      assertEquals(1, copied(c, r));
      assertEquals(1, copied(c, "copy/moved"));
      assertInSync(c, "UPDATE repo");
      update(c, "UPDATE learning_memories SET stale = true WHERE id = ?", s);
      assertEquals(0, copied(c, r), "a row made stale leaves the copy");
      assertInSync(c, "UPDATE live -> stale");
      update(c, "UPDATE learning_memories SET finding_text = 'still stale, new text' WHERE id = ?", s);
      assertInSync(c, "UPDATE of a stale row");
      update(c, "UPDATE learning_memories SET id = id + 1000000 WHERE id = ?", a);
      assertInSync(c, "UPDATE id");

      c.setAutoCommit(false);
      insertMemory(c, r, 3L, "written, then rolled back", null, false);
      update(c, "UPDATE learning_memories SET stale = false WHERE id = ?", s);
      c.rollback();
      c.setAutoCommit(true);
      assertEquals(0, copied(c, r), "a rolled-back transaction leaves no copy behind");
      assertInSync(c, "ROLLBACK");

      var copyApi = c.unwrap(org.postgresql.PGConnection.class).getCopyAPI();
      long rows = copyApi.copyIn("COPY learning_memories (repo, owner, source_repo, finding_text, severity, category, file_path, outcome,"
          + " embedding_model, embedding_dim, stale) FROM STDIN", new StringReader(
              "copy/copied\tcopy\tcopy/copied\tmemory leak in the queue\tmajor\tcorrectness\ta.ts\taccepted\tm\t1024\tf\n"
            + "copy/copied\tcopy\tcopy/copied\tstale leak\tmajor\tcorrectness\ta.ts\tsuppressed\tm\t1024\tt\n"));
      assertEquals(2, rows);
      assertEquals(1, copied(c, "copy/copied"), "COPY: the live row is copied");
      assertInSync(c, "COPY");

      update(c, "DELETE FROM learning_memories WHERE repo = 'copy/moved'");
      assertEquals(0, copied(c, "copy/moved"));
      update(c, "DELETE FROM learning_memories WHERE id = ?", s);
      assertInSync(c, "DELETE");
      assertTrue(longOf(c, "SELECT count(*) FROM learning_memories_search") > 0);
      exec(c, "TRUNCATE learning_memories");
      assertEquals(0, longOf(c, "SELECT count(*) FROM learning_memories_search"), "TRUNCATE empties the copy");
      assertInSync(c, "TRUNCATE");
    }
  }

  @Test void migration010CopiesTheLiveRowsThatExistBeforeIt() throws Exception {
    withDatabase("copy010", url -> {
      assertEquals(9, Migrations.run(url, dir, 9));
      try (Connection c = DbClient.open(url)) {
        for (int i = 0; i < 30; i++) insertMemory(c, "copy/before" + i % 3, (long) i, "retry loop number " + i, null, i % 4 == 0);
        assertEquals(0, longOf(c, "SELECT count(*) FROM pg_class WHERE relname = 'learning_memories_search'"));
      }
      assertEquals(1, Migrations.run(url, dir, 10));
      try (Connection c = DbClient.open(url)) {
        assertEquals(22, longOf(c, "SELECT count(*) FROM learning_memories_search"), "the 22 live rows of 30");
        assertInSync(c, "migration 010");
      }
    });
  }

  @Test void theTriggersWriteTheMigrationsSchemaWhateverTheWritersSearchPath() throws Exception {
    try (Connection c = db.connect()) {
      String schema = text(c, "SELECT current_schema()");
      exec(c, "CREATE SCHEMA IF NOT EXISTS decoy");
      exec(c, "CREATE TABLE IF NOT EXISTS decoy.learning_memories_search (repo text, id bigint, search_tsv tsvector)");
      exec(c, "SET search_path = decoy, " + schema);
      try {
        insertMemory(c, "copy/path", 1L, "a memory written with another search_path", null, false);
        assertEquals(0, longOf(c, "SELECT count(*) FROM decoy.learning_memories_search"), "nothing written to the decoy");
        assertEquals(1, longOf(c, "SELECT count(*) FROM " + schema + ".learning_memories_search WHERE repo = 'copy/path'"));
      } finally {
        exec(c, "RESET search_path");
        exec(c, "DROP SCHEMA decoy CASCADE");
      }
    }
  }

  static String text(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The text side's answer for one repo (HybridTextTopTest.top, which also checks rnk). */
  static List<Long> top(Connection c, String words, String repo) throws SQLException {
    return HybridTextTopTest.top(c, words, new String[] {repo}, 10);
  }

  @Test void theTextSideAnswersFromTheCopyAsTheMemoriesChange() throws Exception {
    try (Connection c = db.connect()) {
      String r = "copy/answers";
      long one = insertMemory(c, r, 1L, "webhook retry", null, false);
      long two = insertMemory(c, r, 2L, "webhook retry retry webhook", null, false);
      assertEquals(List.of(two, one), top(c, "webhook retry", r));
      update(c, "UPDATE learning_memories SET stale = true WHERE id = ?", two);
      assertEquals(List.of(one), top(c, "webhook retry", r), "a memory made stale is no longer found");
      update(c, "UPDATE learning_memories SET finding_text = 'token expiry' WHERE id = ?", one);
      assertEquals(List.of(), top(c, "webhook retry", r), "nor one whose text no longer holds the words");
      assertEquals(List.of(one), top(c, "token", r));
    }
  }
}
