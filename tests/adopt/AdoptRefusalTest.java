// Issue 23: only a database as kodiai 24fba64a's runner leaves it is converted. An edited kodiai schema
// (a column added, a type changed), a `_migrations` row naming a kodiai file 24fba64a does not have, or one
// of its files missing is refused with exit 5 and every difference listed, and nothing is changed. A
// database of our own migrations is not kodiai's (nothing to adopt).

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AdoptRefusalTest extends AdoptSupport {
  @Test
  void anEditedKodiaiSchemaIsRefusedWithEveryDifferenceAndNothingChanged() throws Exception {
    withDatabase("adoptedited", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("ALTER TABLE reviews ADD COLUMN note text");
        st.execute("ALTER TABLE findings ALTER COLUMN file_path TYPE varchar(500)");
        st.execute("ALTER TABLE webhook_queue DROP COLUMN error_message");
        var catalog = snapshot(c);
        var rows = KodiaiAdoption.sums(c);
        MigrationException e = assertThrows(MigrationException.class, () -> KodiaiAdoption.recognize(c, Set.of()));
        var k = assertInstanceOf(MigrationException.UnknownKodiaiSchema.class, e.kind());
        assertEquals(3, k.differences().size(), e.getMessage());
        assertTrue(k.differences().contains("reviews.note (text) is not kodiai's"), e.getMessage());
        assertTrue(e.getMessage().startsWith("not a database of kodiai 24fba64a as its runner leaves it"
            + " (3 differences); nothing changed:"), e.getMessage());
        assertTrue(e.getMessage().contains("reviews.note (text) is not kodiai's"), e.getMessage());
        assertTrue(e.getMessage().contains("findings.file_path is character varying(500)! (kodiai: text!)"),
            e.getMessage());
        assertTrue(e.getMessage().contains("webhook_queue.error_message is missing (kodiai: text)"), e.getMessage());
        assertEquals(catalog, snapshot(c), "recognition changed the schema");
        assertEquals(rows, KodiaiAdoption.sums(c), "recognition changed rows");
      }
    });
  }

  @Test
  void anUnknownOrMissingKodiaiFileIsRefused() throws Exception {
    withDatabase("adoptfiles", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("INSERT INTO _migrations (name) VALUES ('055-review-something.sql')");
        st.execute("DELETE FROM _migrations WHERE name = '054-learning-memory-cluster-training-index.sql'");
        MigrationException e = assertThrows(MigrationException.class, () -> KodiaiAdoption.recognize(c, Set.of()));
        assertEquals(ExitCode.VALIDATION, e.exitCode);
        assertTrue(e.getMessage().contains("_migrations names 055-review-something.sql, not a file of kodiai 24fba64a"
            + " nor of kodiai-db"), e.getMessage());
        assertTrue(e.getMessage().contains("_migrations lacks kodiai's 054-learning-memory-cluster-training-index.sql"),
            e.getMessage());
      }
    });
  }

  @Test
  void ourOwnDatabaseIsNotKodiais() throws Exception {
    withDatabase("adoptours", url -> {
      assertEquals(LATEST, Migrations.run(url, dir, null));
      try (Connection c = DbClient.open(url)) {
        assertEquals(KodiaiAdoption.State.NOT_KODIAI, KodiaiAdoption.recognize(c, Set.of()).state());
      }
    });
  }

  @Test
  void aConversionUnderWayIsRecognisedAsSuch() throws Exception {
    withDatabase("adoptunderway", url -> {
      kodiaiDatabase(url, 5);
      convert(url);
      try (Connection c = DbClient.open(url)) {
        KodiaiAdoption.Recognition r = KodiaiAdoption.recognize(c, Set.of());
        assertEquals(KodiaiAdoption.State.CONVERTING, r.state());
        assertTrue(r.line().endsWith("; its conversion is under way"), r.line());
      }
    });
  }
}
