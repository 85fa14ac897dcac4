// Issue 23, conversions of kodiai's parity slice A tables (migrations/from-kodiai/<F>, the conversions of every
// kodiai file one of our 020-049 declares, joined in header order as the runner joins them): kodiai's table as its
// runner leaves it (bench/KodiaiFixtureQueueComments) becomes exactly what our migration creates (the catalog at
// that version), every row kept (double-encoded JSON decoded once, NULLs kept); a row our checks refuse rolls it
// back; and `up` gets past the migration, stopping at the next one without a conversion.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdoptSliceATablesTest extends AdoptSupport {
  /** Queued webhooks as the bot writes them, with each kind of edge value; id 4 deleted (the sequence is ahead). */
  static final String QUEUED = """
      INSERT INTO webhook_queue (source, delivery_id, event_name, headers, body, queued_at, claimed_at,
        processed_at, status, error_message) VALUES
        ('github', 'd-1', 'pull_request', to_jsonb('{"x-github-event":"pull_request","x-hub-signature-256":"s"}'
          ::text), '{"action":"opened"}', now() - interval '2 days', now() - interval '1 day', now(), 'completed',
          NULL),
        ('github', 'd-2', 'issue_comment', '{"x-github-event":"issue_comment"}', '{}', now(), NULL, NULL,
          'pending', NULL),
        ('slack', NULL, NULL, to_jsonb('{}'::text), 'token=x&text=hi', now(), now(), NULL, 'processing', NULL),
        ('github', 'd-4', 'push', '{}', '{}', now(), NULL, NULL, 'pending', NULL),
        ('github', 'd-5', 'push', '{"a":"\\u00e9 \\"q\\""}', '', now(), now(), now(), 'failed', repeat('e', 2000));
      DELETE FROM webhook_queue WHERE delivery_id = 'd-4'
      """;

  /** Rows as our 020 keeps them: kodiai's, with headers stored double-encoded decoded once. */
  static final String DECODED = "SELECT count(*) || ' ' || md5(string_agg(r, '|' ORDER BY r)) FROM (SELECT"
      + " ROW(id, source, delivery_id, event_name, CASE WHEN jsonb_typeof(headers) = 'string' THEN (headers #>> '{}')"
      + "::jsonb ELSE headers END, body, queued_at, claimed_at, processed_at, status, error_message)::text r"
      + " FROM webhook_queue) q";

  /** The SQL `up` runs for our migration `version`: the conversions of the kodiai files it declares, joined. */
  static String conversionOf(int version) {
    MigrationSource s = MigrationSource.load(dir);
    var m = s.byVersion(version);
    List<String> parts = m.kodiai().stream().map(d -> s.fromKodiai.get(d.file())).toList();
    assertFalse(parts.isEmpty() || parts.contains(null), m.fileName() + " has a conversion for each kodiai file");
    return String.join("\n", parts);
  }

  static void convert(Connection c, int version) throws SQLException {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute(conversionOf(version));
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  static String one(Statement st, String sql) throws SQLException {
    try (var rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static List<String> unwrapFunction(Connection c) throws SQLException {
    return snapshot(c).stream().filter(l -> l.contains(".jsonb_unwrap_stringified(")).toList();
  }

  @Test
  void webhookQueueBecomesOur020WithItsRows() throws Exception {
    List<String> ours = AdoptStateTablesTest.ours("adoptqueue20ours", 20, "webhook_queue");
    List<String> function = new java.util.ArrayList<>();
    withDatabase("adoptqueue20fn", url -> {
      Migrations.run(url, dir, 20);
      try (Connection c = DbClient.open(url)) { function.addAll(unwrapFunction(c)); }
    });
    withDatabase("adoptqueue20", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(QUEUED);
        String expected = one(st, DECODED);
        assertEquals("4", expected.split(" ")[0]);
        convert(c, 20);
        assertEquals(expected, one(st, DECODED), "every row kept, double-encoded headers decoded once");
        assertEquals("object object object object", one(st, "SELECT string_agg(jsonb_typeof(headers), ' ')"
            + " FROM webhook_queue"));
        assertEquals(ours, AdoptStateTablesTest.catalogOf(c, "webhook_queue"), "as our 020 creates it");
        assertEquals(function, unwrapFunction(c), "jsonb_unwrap_stringified as our 020 creates it");
        assertEquals(1, function.size());
        assertEquals("6 {\"x-github-event\": \"ping\"}", one(st, "INSERT INTO webhook_queue (source, headers, body)"
            + " VALUES ('github', to_jsonb('{\"x-github-event\":\"ping\"}'::text), '{}') RETURNING id || ' ' ||"
            + " headers"), "the identity continues kodiai's sequence (5 was used); the bot's double encoding decoded");
      }
    });
  }

  @Test
  void aQueuedRowOurChecksRefuseLeavesKodiaisTableAsItWas() throws Exception {
    withDatabase("adoptqueue20bad", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(QUEUED);
        st.execute("INSERT INTO webhook_queue (source, headers, body, status) VALUES ('github', '{}', '', 'lost')");
        List<String> catalog = snapshot(c);
        String rows = AdoptStateTablesTest.rowsOf(c, "webhook_queue");
        SQLException e = assertThrows(SQLException.class, () -> convert(c, 20));
        assertTrue(e.getMessage().contains("webhook_queue_status_check"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertEquals(rows, AdoptStateTablesTest.rowsOf(c, "webhook_queue"), "no row changed");
      }
    });
  }

  @Test
  void aQueueAbove64MbIsRefusedBeforeAnythingChanged() throws Exception {
    withDatabase("adoptqueue20big", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        // 110 bodies of 640 kB that do not compress: about 70 MB
        st.execute("INSERT INTO webhook_queue (source, headers, body, status) SELECT 'github', '{}',"
            + " (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 20000) i), 'completed'"
            + " FROM generate_series(1, 110) g");
        List<String> catalog = snapshot(c);
        SQLException e = assertThrows(SQLException.class, () -> convert(c, 20));
        assertTrue(e.getMessage().contains("more than 64 MB"), e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        st.execute("DELETE FROM webhook_queue WHERE status = 'completed'");
        convert(c, 20); // the rows gone, the rewrite copies little: accepted
      }
    });
  }

  @Test
  void upConvertsTheQueueFor020AndStopsAtTheNextMigrationWithoutAConversion() throws Exception {
    withDatabase("adoptqueue20up", url -> {
      kodiaiDatabase(url, 5);
      MigrateTest.exec(url, QUEUED);
      String expected = MigrateTest.rows(url, DECODED).get(0);
      var up = AdoptMigrateUpTest.migrate(url, dir, "up");
      assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
      assertTrue(up.out().contains("applied 020-webhook-queue.sql by converting kodiai's objects with"),
          up.toString());
      assertEquals(List.of(AdoptMigrateUpTest.stopLine()), up.errLines());
      assertTrue(up.err().startsWith("migrate: error: stopped before " + firstStop() + ":"), up.toString());
      assertEquals(expected, MigrateTest.rows(url, DECODED).get(0), "every row kept");
      assertEquals(List.of("020-webhook-queue.sql|20|from-kodiai"), MigrateTest.rows(url, "SELECT name || '|' ||"
          + " version || '|' || split_part(checksum, ':', 1) FROM _migrations WHERE version = 20"));
      assertEquals(List.of("004-webhook-queue.sql|020-webhook-queue.sql", "039-webhook-queue-claimed-at.sql|"
          + "020-webhook-queue.sql", "047-webhook-queue-error-detail.sql|020-webhook-queue.sql"),
          MigrateTest.rows(url, "SELECT name || '|' || provided_by FROM _migrations WHERE name ~ '^0[0-9]{2}-webhook'"
              + " AND version IS NULL ORDER BY name"), "kodiai's rows of its three files: provided by our 020");
    });
  }

  /** A no-transaction conversion as the runner runs it: statement by statement, each committed on its own. */
  static void convertStatementByStatement(Connection c, int version) throws SQLException {
    try (Statement st = c.createStatement()) {
      for (var s : MigrationSource.split(conversionOf(version))) st.execute(s.sql());
    }
  }

  static final String CHECK_RUNS = """
      INSERT INTO ci_check_history (created_at, repo, check_name, head_sha, conclusion, check_suite_id, pr_number)
      SELECT now() - g * interval '1 hour', 'xbmc/xbmc', 'build-' || g % 3, md5(g::text),
        (ARRAY['success', 'failure', 'cancelled'])[g % 3 + 1], CASE WHEN g % 2 = 0 THEN 4153840487 + g END,
        CASE WHEN g % 4 <> 0 THEN g END
      FROM generate_series(1, 30) g;
      DELETE FROM ci_check_history WHERE id = 30
      """;

  @Test
  void ciCheckHistoryBecomesOur023WithItsRowsOnlineAndTwice() throws Exception {
    List<String> ours = AdoptStateTablesTest.ours("adoptci23ours", 23, "ci_check_history");
    withDatabase("adoptci23", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(CHECK_RUNS);
        String before = AdoptStateTablesTest.rowsOf(c, "ci_check_history");
        assertTrue(before.startsWith("29 "), before);
        convertStatementByStatement(c, 23);
        assertEquals(before, AdoptStateTablesTest.rowsOf(c, "ci_check_history"), "every row kept");
        assertEquals(ours, AdoptStateTablesTest.catalogOf(c, "ci_check_history"), "as our 023 creates it");
        convertStatementByStatement(c, 23);
        assertEquals(ours, AdoptStateTablesTest.catalogOf(c, "ci_check_history"), "run again: nothing changes");
        assertEquals("31", one(st, "INSERT INTO ci_check_history (repo, check_name, head_sha, conclusion) VALUES"
            + " ('r', 'c', 'h', 'success') RETURNING id"), "the identity continues kodiai's sequence (30 was used)");
      }
    });
  }

  @Test
  void aCheckRunOurChecksRefuseStopsAtItsValidateWithTheRowsUntouched() throws Exception {
    withDatabase("adoptci23bad", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(CHECK_RUNS);
        st.execute("INSERT INTO ci_check_history (repo, check_name, head_sha, conclusion) VALUES ('r', 'c', 'h',"
            + " 'in_progress')");
        String rows = AdoptStateTablesTest.rowsOf(c, "ci_check_history");
        SQLException e = assertThrows(SQLException.class, () -> convertStatementByStatement(c, 23));
        assertTrue(e.getMessage().contains("ci_check_history_conclusion_check"), e.getMessage());
        assertEquals(rows, AdoptStateTablesTest.rowsOf(c, "ci_check_history"), "no row changed");
        assertEquals("f", one(st, "SELECT convalidated FROM pg_constraint WHERE conname ="
            + " 'ci_check_history_conclusion_check'"), "left NOT VALID: new writes are checked");
        st.execute("DELETE FROM ci_check_history WHERE conclusion = 'in_progress'");
        convertStatementByStatement(c, 23);
        assertEquals("t", one(st, "SELECT convalidated FROM pg_constraint WHERE conname ="
            + " 'ci_check_history_conclusion_check'"), "run again once the row is fixed");
      }
    });
  }
}
