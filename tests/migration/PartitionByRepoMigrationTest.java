// Migration 070 on a real PostgreSQL with pgvector: learning_memories partitioned by repo, online. On a
// populated database (one repo over 3,000 live memories, a few small ones): the rows are kept with their
// ids and the identity continues; the catalog is the one a fresh database gets (but for the large repo's
// own partition, or after down its per-repo index); up, down, up; the bot's upsert, update (one moving a row
// to another repo) and delete run through the table during the conversion and are all in the result; a
// conversion killed midway resumes once the operator resolves it as rolled back, as docs/migrate.md says.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PartitionByRepoMigrationTest extends SchemaFixtures {
  static final int BEFORE = 69, VERSION = 70;
  static final String BIG = "acme/big";

  @Test void upDownUpKeepsEveryRowAndTheBotsWritesAndGivesAFreshDatabasesCatalog() throws Exception {
    List<String> fresh69, fresh70;
    String f = FreshDatabase.create("part_fresh");
    try {
      String url = FreshDatabase.urlFor(f);
      Migrations.run(url, dir, BEFORE);
      grantBot(url);
      fresh69 = snapshot(url);
      Migrations.run(url, dir, VERSION);
      fresh70 = snapshot(url);
    } finally {
      FreshDatabase.drop(f);
    }
    withDatabase("part", url -> {
      Migrations.run(url, dir, BEFORE);
      populate(url);
      grantBot(url);
      Map<Long, String> expected = new ConcurrentHashMap<>(rows(url));
      long lastId = longOf(url, "SELECT last_value FROM learning_memories_id_seq");
      Writer w = new Writer(url, expected);
      w.start();
      try {
        assertEquals(1, Migrations.run(url, dir, VERSION));
      } finally {
        w.stop();
      }
      assertNull(w.failure.get(), "the bot's writes during the conversion");
      assertTrue(w.writes > 20, "the bot wrote during the conversion: " + w.writes);
      assertLayout(url, true);
      assertNothingLeft(url);
      assertGranted(url);
      assertEquals(new TreeMap<>(expected), rows(url), "every row, with the bot's writes");
      assertEquals(List.of(), withoutRepoObjects(CatalogSnapshot.diff(fresh70, snapshot(url))), "catalog at 070");
      try (Connection c = DbClient.open(url)) { assertEquals(List.of(), SchemaCheck.check(c)); }
      long next = insertMemory(DbClient.open(url), BIG, 999_999L, "after", null, false);
      assertTrue(next > Math.max(lastId, w.maxId), "the identity continues: " + next);
      expected.put(next, rowText(url, next));

      assertEquals(1, Migrations.rollback(url, dir, BEFORE));
      assertLayout(url, false);
      assertNothingLeft(url);
      assertGranted(url);
      assertEquals(new TreeMap<>(expected), rows(url), "every row after down");
      assertEquals(List.of(), withoutRepoObjects(CatalogSnapshot.diff(fresh69, snapshot(url))), "catalog at 069");
      assertEquals(1L, longOf(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_lm_repo_hnsw_'"
          + " || left(md5('" + BIG + "'), 16) AND indexdef LIKE '%hnsw%'"), "down rebuilds the per-repo index");
      assertTrue(longOf(url, "SELECT nextval('learning_memories_id_seq')") > next, "the identity continues");

      assertEquals(1, Migrations.run(url, dir, VERSION));
      assertLayout(url, true);
      assertEquals(new TreeMap<>(expected), rows(url), "every row after up again");
      assertEquals(List.of(), withoutRepoObjects(CatalogSnapshot.diff(fresh70, snapshot(url))), "catalog again");
    });
  }

  @Test void aConversionKilledMidwayResumesAfterResolve() throws Exception {
    withDatabase("partkill", url -> {
      Migrations.run(url, dir, BEFORE);
      populate(url);
      Map<Long, String> before = rows(url);
      AtomicReference<Throwable> up = new AtomicReference<>();
      boolean killed = false;
      // The bot in a transaction that wrote a memory: the mirror's CREATE TRIGGER waits for it (brief_ddl
      // tries again and again), so the conversion is sure to be caught there, its copy and indexes built.
      try (Connection bot = DbClient.open(url); Statement b = bot.createStatement();
           Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        bot.setAutoCommit(false);
        b.execute("UPDATE learning_memories SET finding_text = finding_text WHERE id = 1");
        Thread t = new Thread(() -> {
          try { Migrations.run(url, dir, VERSION); } catch (Throwable e) { up.set(e); }
        });
        t.start();
        killed = FreshDatabase.terminateWhen(st,
            "query LIKE 'CALL pg_temp.lm_fill()%' AND wait_event_type = 'Lock'", 120);
        bot.rollback();
        t.join(120_000);
      }
      assertTrue(killed, "the conversion was terminated midway");
      assertNotNull(up.get(), "the killed up failed");
      assertLayout(url, false);
      assertEquals(1L, longOf(url, "SELECT count(*) FROM pg_class WHERE relname = 'learning_memories_part'"),
          "killed with the copy begun");
      Migrations.with(DbClient.parse(url), 0, MigrationSource.load(dir), Migrations.quiet(), Migrations.quiet(),
          Duration.ofSeconds(60),
          m -> { m.resolve(VERSION, Migrator.Resolution.ROLLED_BACK); return null; }); // `resolve 70 --rolled-back`
      assertEquals(1, Migrations.run(url, dir, VERSION));
      assertLayout(url, true);
      assertNothingLeft(url);
      assertEquals(before, rows(url));
    });
  }

  /** 3,600 memories of one repo (3,437 live), 100 of each of four small repos, at version 069. */
  static void populate(String url) throws SQLException {
    try (Connection c = DbClient.open(url)) {
      exec(c, "INSERT INTO learning_memories (repo, owner, finding_id, source_repo, finding_text, severity,"
          + " category, file_path, outcome, embedding_model, embedding_dim, stale, embedding)"
          + " SELECT CASE WHEN g <= 3600 THEN '" + BIG + "' ELSE 'acme/small' || (g % 4) END, 'acme', g, 'acme/x',"
          + " 'finding ' || g, 'minor', 'style', 'src/a.ts', 'accepted', 'voyage-4', 1024, g % 22 = 0,"
          + " (SELECT array_agg(random() - 0.5)::vector(1024) FROM generate_series(1, 1024) WHERE g > 0)"
          + " FROM generate_series(1, 4000) g");
    }
  }

  /** Every row as text, by id: values and ids are kept exactly. */
  static Map<Long, String> rows(String url) throws SQLException {
    Map<Long, String> out = new TreeMap<>();
    try (Connection c = DbClient.open(url); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT id, md5(m::text) FROM learning_memories m")) {
      while (rs.next()) out.put(rs.getLong(1), rs.getString(2));
    }
    return out;
  }

  static String rowText(String url, long id) throws SQLException {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT md5(m::text) FROM learning_memories m WHERE id = " + id)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static long longOf(String url, String sql) throws SQLException {
    try (Connection c = DbClient.open(url)) { return SchemaFixtures.longOf(c, sql); }
  }

  /** Partitioned (the large repo in a partition of its own with its HNSW index, the rest in the default one). */
  static void assertLayout(String url, boolean partitioned) throws SQLException {
    assertEquals(partitioned ? "p" : "r", String.valueOf((char) longOf(url,
        "SELECT ascii(relkind::text) FROM pg_class WHERE oid = 'learning_memories'::regclass")));
    if (!partitioned) return;
    assertEquals(1L, longOf(url, "SELECT count(*) FROM pg_indexes WHERE tablename = 'learning_memories_repo_'"
        + " || left(md5('" + BIG + "'), 16) AND indexdef LIKE '%USING hnsw%WHERE (NOT stale)'"));
    assertEquals(0L, longOf(url, "SELECT count(*) FROM learning_memories_default WHERE repo = '" + BIG + "'"));
  }

  /** A grant on the table, as `roles` makes them: it goes with the table. */
  static void grantBot(String url) throws SQLException {
    try (Connection c = DbClient.open(url)) {
      exec(c, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'part_test_bot') THEN"
          + " CREATE ROLE part_test_bot; END IF; END $$");
      exec(c, "GRANT SELECT, INSERT, UPDATE, DELETE ON learning_memories TO part_test_bot");
    }
  }

  static void assertGranted(String url) throws SQLException {
    assertEquals(1L, longOf(url, "SELECT count(*) WHERE has_table_privilege('part_test_bot', 'learning_memories',"
        + " 'DELETE')"), "the grant goes with the table");
  }

  /** No copy, renamed sequence, suffixed index or mirror left behind by a finished conversion. */
  static void assertNothingLeft(String url) throws SQLException {
    assertEquals(0L, longOf(url, "SELECT count(*) FROM pg_class WHERE relname IN ('learning_memories_part',"
        + " 'learning_memories_plain') OR relname LIKE '%\\_moved' OR relname LIKE '%\\_part'"
        + " OR relname LIKE '%\\_plain'"), "no relation left over");
    assertEquals(0L, longOf(url, "SELECT count(*) FROM pg_proc WHERE proname LIKE '%mirror%'"), "no mirror");
  }

  /** The diff without the lines of the data's own objects: the large repo's partition, or its per-repo index. */
  static List<String> withoutRepoObjects(String diff) {
    return diff.lines().filter(l -> !l.isBlank() && !l.contains("learning_memories_repo_")
        && !l.contains("idx_lm_repo_hnsw_")).toList();
  }

  /**
   * The bot, writing through learning_memories as kodiai's memory store does: an upsert on (repo,
   * finding_id, outcome), an update by id (every tenth moves the row to another repo), a delete by id;
   * `expected` follows every committed write.
   */
  static final class Writer {
    final String url;
    final Map<Long, String> expected;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    volatile int writes;
    volatile long maxId;
    Thread thread;

    Writer(String url, Map<Long, String> expected) { this.url = url; this.expected = expected; }

    void start() {
      thread = new Thread(() -> {
        try (Connection c = DbClient.open(url)) {
          for (int n = 1; !stop.get(); n++) { write(c, n); writes = n; Thread.sleep(20); }
        } catch (Throwable e) {
          failure.set(e);
        }
      });
      thread.start();
    }

    void stop() throws InterruptedException { stop.set(true); thread.join(60_000); }

    private void write(Connection c, int n) throws SQLException {
      long id;
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO learning_memories (repo, owner, finding_id,"
          + " source_repo, finding_text, severity, category, file_path, outcome, embedding_model, embedding_dim,"
          + " embedding) SELECT ?, 'acme', ?, 'acme/x', ?, 'minor', 'style', 'src/a.ts', 'accepted', 'voyage-4', 1024,"
          + " embedding FROM learning_memories WHERE id = 1 ON CONFLICT (repo, finding_id, outcome) DO UPDATE"
          + " SET finding_text = EXCLUDED.finding_text RETURNING id")) {
        ps.setString(1, n % 2 == 0 ? BIG : "acme/small1");
        ps.setLong(2, 100_000 + n % 50); // repeats: an upsert updates
        ps.setString(3, "bot " + n);
        try (ResultSet rs = ps.executeQuery()) { rs.next(); id = rs.getLong(1); }
      }
      maxId = Math.max(maxId, id);
      expected.put(id, rowText(c, id));
      long target = 2 + (n * 37L) % 3999; // the large repo stays over 3,000 live rows: one toggle in five
      update(c, "UPDATE learning_memories SET finding_text = 'updated " + n + "'" + (n % 5 == 0 ? ", stale = NOT stale"
          : "") + (n % 10 == 0 ? ", repo = 'acme/small2'" : "") + " WHERE id = " + target);
      String t = rowText(c, target);
      if (t != null) expected.put(target, t);
      long gone = 3601 + (n * 53L) % 400; // the small repos' rows
      if (n % 3 == 0 && update(c, "DELETE FROM learning_memories WHERE id = " + gone) == 1) expected.remove(gone);
    }

    private static String rowText(Connection c, long id) throws SQLException {
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT md5(m::text) FROM learning_memories m WHERE id = " + id)) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
