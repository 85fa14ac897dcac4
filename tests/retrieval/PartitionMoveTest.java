// `indexes move` (retrieval/PartitionMove.java) against a real database migrated past 070 with every repo in
// learning_memories_default: a repo moves into a partition of its own in one transaction, keeping every row and
// 010's search copy equal; it refuses without --maintenance-window and fails cleanly, changing nothing, when
// another session holds the table longer than --table-lock-timeout.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PartitionMoveTest extends SchemaFixtures {
  static final String BIG = RepoIndexesTest.BIG, ODD = RepoIndexesTest.ODD, SMALL = RepoIndexesTest.SMALL;
  String name, url;

  @BeforeEach void database() throws Exception {
    name = FreshDatabase.create("partmove");
    url = FreshDatabase.urlFor(name);
    assertEquals(LATEST, Migrations.run(url, dir, null));
    try (Connection c = DbClient.open(url)) {
      RepoIndexesTest.insert(c, BIG, 120, 0);
      RepoIndexesTest.insert(c, ODD, 80, 0);
      RepoIndexesTest.insert(c, SMALL, 20, 0);
      try (Statement st = c.createStatement()) { // stale rows move too, and stay out of the search copy
        st.execute("UPDATE learning_memories SET stale = true WHERE repo = '" + BIG + "' AND finding_id % 10 = 0");
        st.execute("ANALYZE learning_memories");
      }
    }
    // The per-repo indexes in the default partition, as `indexes sync` keeps them
    assertEquals(0, RepoIndexesTest.cli("sync", "--url", url, "--min-rows", "50").code());
  }

  @AfterEach void drop() throws SQLException { FreshDatabase.drop(name); }

  Captured move(String... more) {
    List<String> a = new ArrayList<>(List.of("move", "--url", url, "--min-rows", "50", "--maintenance-work-mem",
        "64MB"));
    a.addAll(List.of(more));
    return RepoIndexesTest.cli(a.toArray(String[]::new));
  }

  @Test void movesEveryLargeRepoKeepingEveryRowAndTheSearchCopy() throws Exception {
    List<String> before = rows();
    String note = "2 repo(s) over 50 live rows in learning_memories_default: the owner query reads them exactly";
    assertTrue(status().contains(note + "; a partition of their own serves it (in a maintenance window: indexes move"
        + " --maintenance-window): " + BIG + ", " + ODD), status());
    Captured r = move("--maintenance-window");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("moved " + BIG + ": 120 rows (108 live) to " + RepoPartitions.name(BIG)), r.out());
    assertTrue(r.out().contains("moved " + ODD + ": 80 rows (80 live)"), r.out());
    assertTrue(r.out().matches("(?s).*learning_memories locked \\d+\\.\\d\\d s .*"), r.out());
    assertEquals(before, rows(), "every row and the search copy as before");
    try (Connection c = DbClient.open(url)) {
      for (String repo : List.of(BIG, ODD)) {
        String p = RepoPartitions.name(repo);
        assertEquals(repo.equals(BIG) ? 120 : 80, count(c, "SELECT count(*) FROM " + p));
        assertEquals("{toast_tuple_target=4080}|" + RepoPartitions.comment(repo), one(c,
            "SELECT c.reloptions::text || '|' || obj_description(c.oid, 'pg_class') FROM pg_class c"
                + " WHERE c.relname = '" + p + "' AND c.relispartition"));
        assertEquals("hnsw valid", one(c, "SELECT am.amname || CASE WHEN i.indisvalid THEN ' valid' END FROM pg_index i"
            + " JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_am am ON am.oid = x.relam"
            + " WHERE x.relname = '" + RepoPartitions.hnswName(repo) + "' AND i.indrelid = '" + p + "'::regclass"));
        assertEquals(0, count(c, "SELECT count(*) FROM pg_class WHERE relname = '"
            + RepoIndexes.indexName(c, repo) + "'"), "its index in the default partition is gone");
      }
      assertEquals(20, count(c, "SELECT count(*) FROM learning_memories_default"), "the small repo stays");
      assertFalse(status().contains("the owner query reads them exactly"), status());
      assertEquals(List.of(), SchemaCheck.check(c), "the moved partitions are as 070's: schema-check holds");
      // The partition took the table's triggers: a new live memory reaches the search copy.
      RepoIndexesTest.insert(c, BIG, 1, 5000);
      assertEquals(109, count(c, "SELECT count(*) FROM learning_memories_search WHERE repo = '" + BIG + "'"));
    }
    Captured again = move("--maintenance-window", BIG);
    assertEquals(0, again.code(), again.toString());
    assertTrue(again.out().contains("already has a partition of its own"), again.out());
    // A move whose (concurrent, after the commit) index build failed: run again, it builds the index.
    try (Connection c = DbClient.open(url)) { ImportFixtures.exec(c, "DROP INDEX " + RepoPartitions.hnswName(ODD)); }
    Captured finish = move("--maintenance-window", ODD);
    assertEquals(0, finish.code(), finish.toString());
    assertTrue(finish.out().contains("built " + RepoPartitions.hnswName(ODD) + " concurrently"), finish.out());
    try (Connection c = DbClient.open(url)) { assertTrue(RepoPartitions.hnswReady(c, ODD)); }
  }

  @Test void refusesWithoutTheMaintenanceWindowFlag() throws Exception {
    List<String> before = state();
    Captured r = move(BIG);
    assertEquals(2, r.code(), r.toString());
    assertInstanceOf(IndexesFailure.NotConfirmed.class, r.kind());
    assertTrue(r.err().contains("--maintenance-window"), r.err());
    assertEquals(before, state());
    Captured unknown = move("--maintenance-window", "acme/none");
    assertEquals(2, unknown.code(), unknown.toString());
    assertInstanceOf(IndexesFailure.NothingToMove.class, unknown.kind());
    assertEquals(before, state());
  }

  @Test void aLockHeldElsewhereFailsTheMoveCleanly() throws Exception {
    List<String> before = state();
    try (Connection holder = DbClient.open(url); Statement st = holder.createStatement()) {
      holder.setAutoCommit(false);
      st.execute("SELECT count(*) FROM learning_memories"); // a reader's lock (ACCESS SHARE) until it commits
      Captured r = move("--maintenance-window", "--table-lock-timeout", "300", BIG);
      assertEquals(4, r.code(), r.toString());
      assertInstanceOf(IndexesFailure.TableLocked.class, r.kind());
      assertFalse(r.err().contains("at org."), "no stack trace without --verbose: " + r.err());
      holder.rollback();
    }
    assertEquals(before, state(), "nothing changed");
    assertEquals(0, RepoIndexesTest.cli("sync", "--url", url, "--min-rows", "50", "--dry-run").out().lines()
        .filter(l -> l.startsWith("create")).count(), "the per-repo indexes are all still there");
  }

  String status() { return RepoIndexesTest.cli("status", "--url", url, "--min-rows", "50").out(); }

  /** Every row of learning_memories and of the search copy. */
  List<String> rows() throws SQLException {
    try (Connection c = DbClient.open(url)) {
      String sum = "SELECT count(*) || ' ' || md5(string_agg(t::text, '|' ORDER BY id)) FROM ";
      return List.of(one(c, sum + "learning_memories t"), one(c, sum + "learning_memories_search t"));
    }
  }

  /** The rows, and the tables and indexes of learning_memories. */
  List<String> state() throws SQLException {
    List<String> s = new ArrayList<>(rows());
    try (Connection c = DbClient.open(url)) {
      s.add(one(c, "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class WHERE relname LIKE 'learning_mem%'"
          + " OR relname LIKE 'idx_lm_repo%'"));
    }
    return s;
  }

  static String one(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static long count(Connection c, String sql) throws SQLException { return Long.parseLong(one(c, sql)); }
}
