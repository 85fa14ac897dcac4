// `import` into migration 070's layout (importer/MemoryPartitions.java): a repo of the source over the limit gets
// a partition of its own before the load (070's name, storage option, comment, HNSW index), so the owner query
// reaches it through its own index; a repo the default partition already holds rows of stays there (said in the
// output); a failed import leaves no partition behind; a target before 070 is imported into as before.
// The limit is lowered to 40 (Settings.partitionMinRows) to keep the files small; 070's 3,000 is checked in
// tests/retrieval/RepoPartitionsTest.

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportPartitionsTest extends ImportFixtures {
  static final String BIG = "acme/big", MID = "acme/mid", ODD = "o'brien/x\\y %é";
  @TempDir Path tmp;
  Path knowledge;
  String name, url;
  final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

  @BeforeEach void files() throws Exception {
    name = FreshDatabase.create("importparts");
    url = FreshDatabase.urlFor(name);
    knowledge = tmp.resolve("kodiai-knowledge.db");
    SplittableRandom r = new SplittableRandom(70);
    try (Connection c = BenchImportFiles.knowledge(knowledge, BenchImportFiles.Shape.CURRENT)) {
      memories(c, r, BIG, 45, false, true);  // 45 live with a vector: over 40
      memories(c, r, BIG, 5, true, true);    // stale: they do not count, and go with the repo
      memories(c, r, BIG, 2, false, false);  // no vector: they do not count
      memories(c, r, MID, 40, false, true);  // exactly 40: not over it
      memories(c, r, ODD, 41, false, true);
    }
  }

  @AfterEach void drop() throws SQLException { FreshDatabase.drop(name); }

  @Test void anImportIntoAnEmptyPartitionedTableGivesEachLargeRepoItsPartition() throws Exception {
    assertEquals(LATEST, Migrations.run(url, migrations(), null));
    Importer.Settings dry = settings();
    dry.dryRun = true;
    assertEquals(0, run(dry), all());
    assertTrue(out().contains("partitions: would create a partition of its own for 2 repo(s)"), all());
    try (Connection c = DbClient.open(url)) {
      assertNull(one(c, "SELECT to_regclass('" + RepoPartitions.name(BIG) + "')"), "a dry run creates none");
    }
    out.reset();
    err.reset();
    assertEquals(0, run(settings()), all());
    assertTrue(out().contains("partitions: created a partition of its own for 2 repo(s) over 40 live memories: "
        + BIG + ", " + ODD), all());
    assertTrue(out().contains("verified: every imported and present row equals its source row"), all());
    try (Connection c = DbClient.open(url)) {
      assertEquals(52, count(c, "SELECT count(*) FROM " + RepoPartitions.name(BIG)));
      assertEquals(41, count(c, "SELECT count(*) FROM " + RepoPartitions.name(ODD)));
      assertEquals(40, count(c, "SELECT count(*) FROM learning_memories_default"), "only the repo of 40");
      for (String repo : List.of(BIG, ODD)) {
        assertEquals("{toast_tuple_target=4080}|" + RepoPartitions.comment(repo), one(c, "SELECT c.reloptions::text"
            + " || '|' || obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.relname = '"
            + RepoPartitions.name(repo) + "' AND c.relispartition"));
        assertEquals("hnsw true", one(c, "SELECT am.amname || ' ' || i.indisvalid FROM pg_index i JOIN pg_class x"
            + " ON x.oid = i.indexrelid JOIN pg_am am ON am.oid = x.relam WHERE x.relname = '"
            + RepoPartitions.hnswName(repo) + "'"));
      }
      assertEquals(128, count(c, "SELECT count(*) FROM learning_memories_search"), "the search copy: live rows");
      assertEquals(List.of(), SchemaCheck.check(c), "the import's partitions are as 070's: schema-check holds");
      // Run-time pruning: each LATERAL row (acme/big, acme/mid) scans only its repo's partition.
      String plan = ownerPlan(c).replaceAll("'\\[[^]]*\\]'", "'[...]'");
      assertEquals(List.of("loops=1", "never executed", "loops=1"), List.of(scanOf(plan, RepoPartitions.name(BIG)),
          scanOf(plan, RepoPartitions.name(ODD)), scanOf(plan, "learning_memories_default")), plan);
    }
  }

  @Test void aRepoTheDefaultPartitionHoldsStaysThere() throws Exception {
    assertEquals(LATEST, Migrations.run(url, migrations(), null));
    try (Connection c = DbClient.open(url)) {
      exec(c, "SELECT setval('learning_memories_id_seq', 100000)");
      RepoIndexesTest.insert(c, BIG, 1, 900);
    }
    assertEquals(0, run(settings()), all());
    assertTrue(out().contains("partitions: created a partition of its own for 1 repo(s) over 40 live memories: "
        + ODD), all());
    assertTrue(out().contains("partitions: 1 repo(s) over 40 live memories stay in learning_memories_default,"
        + " which already held rows of them"), all());
    assertTrue(out().contains("indexes@kodiai move --maintenance-window): " + BIG), all());
    try (Connection c = DbClient.open(url)) {
      assertEquals(53, count(c, "SELECT count(*) FROM learning_memories_default WHERE repo = '" + BIG + "'"));
      assertNull(one(c, "SELECT to_regclass('" + RepoPartitions.name(BIG) + "')"));
    }
  }

  @Test void aFailedImportLeavesNoPartitionBehind() throws Exception {
    assertEquals(LATEST, Migrations.run(url, migrations(), null));
    Importer.Settings s = settings();
    s.pause = phase -> { if (phase.equals("verify")) throw new IllegalStateException("planted failure"); };
    assertThrows(IllegalStateException.class, () -> run(s));
    assertTrue(err().contains("creating " + RepoPartitions.name(BIG)), all());
    try (Connection c = DbClient.open(url)) {
      assertEquals(0, count(c, "SELECT count(*) FROM pg_class WHERE relispartition AND relkind = 'r'"
          + " AND relname <> 'learning_memories_default'"));
      assertEquals(0, count(c, "SELECT count(*) FROM learning_memories"));
    }
  }

  @Test void aTargetBefore070IsImportedIntoAsBefore() throws Exception {
    Migrations.run(url, migrations(), 69);
    assertEquals(0, run(settings()), all());
    assertFalse(out().contains("partitions:"), all());
    try (Connection c = DbClient.open(url)) {
      assertEquals(133, count(c, "SELECT count(*) FROM learning_memories"));
      assertEquals("r 69", one(c, "SELECT relkind::text || ' ' || (SELECT max(version) FROM _migrations) FROM pg_class"
          + " WHERE relname = 'learning_memories'"));
    }
  }

  // ------------------------------------------------------------------------------------------ helpers

  Importer.Settings settings() {
    Importer.Settings s = new Importer.Settings();
    s.url = url;
    s.knowledge = knowledge;
    s.maintenanceWorkMem = "64MB";
    s.partitionMinRows = 40;
    return s;
  }

  int run(Importer.Settings s) throws Exception {
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    return Import.run(s, new PrintStream(out, true, StandardCharsets.UTF_8), new Progress(e, false));
  }

  String out() { return out.toString(StandardCharsets.UTF_8); }
  String err() { return err.toString(StandardCharsets.UTF_8); }
  String all() { return out() + "\n--- err:\n" + err(); }

  static void memories(Connection c, SplittableRandom r, String repo, int n, boolean stale, boolean vector)
      throws SQLException {
    for (int i = 0; i < n; i++) BenchImportFiles.insertMemory(c, repo, null, "finding " + i, "minor", "style",
        "accepted", vector ? BenchImportFiles.unitVector(r, 1024) : null, stale);
  }

  /** EXPLAIN ANALYZE of the bot's owner query for owner acme (its two repos). */
  static String ownerPlan(Connection c) throws SQLException {
    StringBuilder v = new StringBuilder("[");
    for (int i = 0; i < 1024; i++) v.append(i == 0 ? "" : ",").append(i % 7 == 0 ? "0.5" : "0.01");
    List<String> lines = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
        + KodiaiQueries.RETRIEVE_MEMORIES_FOR_OWNER)) {
      ps.setString(1, "acme");
      ps.setString(2, "acme/none");
      ps.setString(3, v + "]");
      ps.setString(4, v + "]");
      ps.setInt(5, 10);
      ps.setInt(6, 10);
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) lines.add(rs.getString(1)); }
    }
    return String.join("\n", lines);
  }

  /** How the plan's scan of `table` in the LATERAL (alias m) ran: "loops=N" or "never executed" (pruned). */
  static String scanOf(String plan, String table) {
    String line = plan.lines().filter(l -> l.contains(" on " + table + " m")).findFirst().orElse("absent");
    return line.contains("never executed") ? "never executed" : line.replaceAll(".*(loops=\\d+).*", "$1");
  }

  static String one(Connection c, String sql) throws SQLException {
    try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) { return rs.next() ? rs.getString(1) : null; }
  }

  static long count(Connection c, String sql) throws SQLException { return Long.parseLong(one(c, sql)); }
}
