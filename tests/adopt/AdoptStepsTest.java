// Issue 23: a database as kodiai's own runner leaves it at 24fba64a, with edge values (ids above 2^31
// where kodiai has bigint, its largest int4 key, JSON the bot double-encoded, a 40 kB title, NULLs), is
// recognised, converted by from-kodiai/001-003 through `up`, then brought by our 004-012 to where `up` stops
// (firstStop: the first kodiai file without a conversion): every row of the 14 tables equal (counts and checksums
// of every value, compared in the form both sides share), and kodiai's sequences continue where they were.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AdoptStepsTest extends AdoptSupport {
  @Test
  void kodiaisDatabaseIsConvertedWithEveryRowKept() throws Exception {
    withDatabase("adoptsteps", url -> {
      kodiaiDatabase(url, 300);
      try (Connection c = DbClient.open(url)) {
        KodiaiAdoption.Recognition r = KodiaiAdoption.recognize(c, Set.of());
        assertEquals(KodiaiAdoption.State.KODIAI, r.state());
        assertEquals("a database built by kodiai's own runner, files 001-054 (kodiai 24fba64a)", r.line());
        assertEquals(56, r.kodiaiFiles().size());
      }
      var before = sums(url);
      upUntilStop(url); // from-kodiai/001-003, our 004-012, 020-023 converted, then exit 5 (firstStop)
      assertSameRows(before, sums(url));
      // schema-check at the latest version waits for the conversions of kodiai's 004-054 (docs/adopt.md)

      assertEquals("bigint", one(url, "SELECT format_type(atttypid, NULL) FROM pg_attribute"
          + " WHERE attrelid = 'feedback_reactions'::regclass AND attname = 'reaction_id'"));
      assertEquals("1", one(url, "SELECT count(*) FROM reviews WHERE id = 2147483600"));
      assertEquals("object", one(url, "SELECT jsonb_typeof(config_snapshot) FROM reviews WHERE id = 2"),
          "the double-encoded snapshot is the object it encodes");
      assertEquals("39000", one(url, "SELECT length(title) FROM findings WHERE id = 7"));
      assertEquals("0.0000000000", one(url, "SELECT cost_usd FROM telemetry_events ORDER BY id DESC LIMIT 1"));
      assertEquals("halfvec", one(url, "SELECT format_type(atttypid, NULL) FROM pg_attribute"
          + " WHERE attrelid = 'learning_memories'::regclass AND attname = 'embedding'"));
      // kodiai's language column stays for the migration that carries its 007
      assertEquals("150", one(url, "SELECT count(language) FROM learning_memories"));
      // the identities continue kodiai's sequences: the next review is the 61st, the next memory the 301st
      assertEquals("61", one(url, "INSERT INTO reviews (repo, pr_number) VALUES ('o/r', 9) RETURNING id"));
      assertEquals("301", one(url, "INSERT INTO learning_memories (repo, owner, source_repo, finding_text, severity,"
          + " category, file_path, outcome, embedding_model, embedding_dim) VALUES ('o/r', 'o', 'o/r', 't', 'minor',"
          + " 'style', 'f', 'accepted', 'voyage-4', 1024) RETURNING id"));
      // a review's deletion cascades now (kodiai's foreign keys had no ON DELETE)
      assertEquals("2", one(url, "SELECT count(*) FROM findings WHERE review_id = 1"));
      assertEquals("1", one(url, "WITH d AS (DELETE FROM reviews WHERE id = 1 RETURNING id) SELECT count(*) FROM d"));
      assertEquals("0", one(url, "SELECT count(*) FROM findings WHERE review_id = 1"));
    });
  }

  @Test
  void aSwapWhoseValuesDifferIsRefusedAndNothingIsSwapped() throws Exception {
    withDatabase("adoptdiffer", url -> {
      kodiaiDatabase(url, 10);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        KodiaiAdoption.runStep(c, dir, "001-initial-schema.sql", System.out);
        // a converted value that went wrong (the trigger off, as a bug in it would leave it)
        st.execute("ALTER TABLE findings DISABLE TRIGGER findings_adopt_sync");
        st.execute("UPDATE findings SET review_id_adopt = review_id_adopt + 1 WHERE id = 3");
        st.execute("ALTER TABLE findings ENABLE TRIGGER findings_adopt_sync");
        var catalog = snapshot(c);
        SQLException e = assertThrows(SQLException.class,
            () -> KodiaiAdoption.runStep(c, dir, "002-pgvector-indexes.sql", System.out));
        assertTrue(e.getMessage().contains("from-kodiai: 1 rows of findings.review_id differ from their conversion;"
            + " nothing swapped"), e.getMessage());
        assertEquals(catalog, snapshot(c), "the refused swap changed the schema");
      }
    });
  }

  @Test
  void aSecondConversionChangesNothing() throws Exception {
    withDatabase("adoptagain", url -> {
      kodiaiDatabase(url, 30);
      convert(url);
      var once = sums(url);
      var catalog = snapshot(url);
      convert(url);
      assertEquals(catalog, snapshot(url), "a second run of every step is a no-op");
      assertSameRows(once, sums(url));
    });
  }
}
