// `indexes@kodiai` (indexes.java, retrieval/RepoIndexes.java) against a real database: one HNSW
// index per repo above --min-rows, used by the planner for the bot's unchanged query, kept in step
// as repos grow and shrink, rebuilt when a build was interrupted, and never left half-built.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RepoIndexesTest extends SchemaFixtures {
  static final String BIG = "acme/big", MID = "acme/mid", SMALL = "acme/small";
  /** A repo name that needs quoting everywhere: quote, backslash, percent, non-ASCII. */
  static final String ODD = "o'brien/x\\y %é";
  String name, url;

  @BeforeEach void database() throws Exception {
    name = FreshDatabase.create("repoindexes");
    url = FreshDatabase.urlFor(name);
    assertEquals(LATEST, Migrations.run(url, dir, null));
    try (Connection c = DbClient.open(url)) {
      insert(c, BIG, 120, 0);
      insert(c, MID, 60, 0);
      insert(c, SMALL, 10, 0);
      insert(c, ODD, 80, 0);
      try (Statement st = c.createStatement()) { // stale rows do not count
        st.execute("UPDATE learning_memories SET stale = true WHERE repo = '" + SMALL + "'");
        st.execute("ANALYZE learning_memories");
      }
      insert(c, SMALL, 70, 1000); // 70 live rows after 10 stale: above 50
    }
  }

  @AfterEach void drop() throws SQLException { FreshDatabase.drop(name); }

  /** `indexes ARGS` in-process; the warning a password in --url draws is left out (migrate's tests cover it). */
  static Captured cli(String... args) {
    Captured c = Captured.run(indexes.commandLine(), args);
    return new Captured(c.code(), c.out(), c.err().replace(indexes.PASSWORD_IN_ARGS_WARNING + "\n", ""), c.failure());
  }

  /** `indexes sync` on this test's database with --min-rows 50, or the given --min-rows. */
  Captured sync(String... more) {
    List<String> a = new ArrayList<>(List.of("sync", "--url", url, "--maintenance-work-mem", "64MB"));
    if (!List.of(more).contains("--min-rows")) a.addAll(List.of("--min-rows", "50"));
    a.addAll(List.of(more));
    return cli(a.toArray(String[]::new));
  }

  @Test void syncGivesEachRepoAboveMinRowsItsOwnIndexAndThePlannerTakesIt() throws Exception {
    Captured r = sync();
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("indexes: created 4, rebuilt 0, dropped 0, kept 0"), r.toString());
    try (Connection c = DbClient.open(url)) {
      Map<String, String> idx = managed(c);
      assertEquals(4, idx.size(), idx.toString());
      try (Statement st = c.createStatement()) {
        // With 60-120 rows a repo's btree and a sort beat any HNSW search, and the planner says so. Without
        // them it takes the repo's own index, whose predicate it proves from the bot's `m.repo = $2 AND
        // m.stale = false` under a custom plan.
        st.execute("ALTER TABLE learning_memories DROP CONSTRAINT learning_memories_repo_finding_id_outcome_key");
        st.execute("DROP INDEX idx_learning_memories_repo_live, idx_learning_memories_stale,"
            + " idx_learning_memories_owner,"
            + " idx_learning_memories_owner_live");
      }
      for (String repo : List.of(BIG, MID, SMALL, ODD)) {
        String index = RepoIndexes.indexName(c, repo);
        assertEquals("valid hnsw", idx.get(index), repo + " -> " + idx);
        assertEquals(index, planIndex(c, repo), "the bot's query for " + repo + " uses the repo's own index");
        List<String> got = nearestRepos(c, repo);
        assertEquals(10, got.size());
        assertEquals(List.of(repo), got.stream().distinct().toList());
        assertEquals(RepoIndexes.COMMENT + repo, comment(c, index));
      }
    }
  }

  @Test void aSecondSyncChangesNothing() throws Exception {
    assertEquals(0, sync().code());
    Map<String, Long> before;
    try (Connection c = DbClient.open(url)) { before = oids(c); }
    Captured r = sync();
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("indexes: created 0, rebuilt 0, dropped 0, kept 4"), r.toString());
    try (Connection c = DbClient.open(url)) { assertEquals(before, oids(c)); }
  }

  @Test void aRepoBelowHalfOfMinRowsLosesItsIndexOneNearTheLimitKeepsIt() throws Exception {
    assertEquals(0, sync().code());
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      st.execute("UPDATE learning_memories SET stale = true WHERE repo = '" + BIG + "' AND finding_id > 20");  // 20 live: < 25
      st.execute("UPDATE learning_memories SET stale = true WHERE repo = '" + MID + "' AND finding_id > 30");  // 30 live: >= 25
      st.execute("DELETE FROM learning_memories WHERE repo = '" + SMALL + "'");
    }
    Captured r = sync();
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("indexes: created 0, rebuilt 0, dropped 2, kept 2"), r.toString());
    try (Connection c = DbClient.open(url)) {
      Map<String, String> idx = managed(c);
      assertEquals(List.of(RepoIndexes.indexName(c, MID), RepoIndexes.indexName(c, ODD)).stream().sorted().toList(),
          idx.keySet().stream().sorted().toList());
    }
  }

  /**
   * Exactly on each limit (--min-rows 50): a repo of exactly 50 live rows gets no index, 51 does (more than
   * min-rows); an indexed repo of exactly 25 (half) keeps it, 24 loses it.
   */
  @Test void theLimitsAreExact() throws Exception {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      st.execute("UPDATE learning_memories SET stale = true WHERE repo = '" + MID + "' AND finding_id > 50");   // 50 live
      st.execute("UPDATE learning_memories SET stale = true WHERE repo = '" + SMALL + "' AND finding_id > 1051"); // 51 live
      Captured r = sync();
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("indexes: created 3, rebuilt 0, dropped 0, kept 0"), r.toString());
      assertFalse(managed(c).containsKey(RepoIndexes.indexName(c, MID)), "exactly min-rows: no index " + managed(c));
      assertTrue(managed(c).containsKey(RepoIndexes.indexName(c, SMALL)), "min-rows + 1: an index " + managed(c));
      st.execute("UPDATE learning_memories SET stale = true WHERE repo = '" + BIG + "' AND finding_id > 25");      // 25 live
      st.execute("UPDATE learning_memories SET stale = true WHERE repo = '" + SMALL + "' AND finding_id > 1024");  // 24 live
      r = sync();
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("indexes: created 0, rebuilt 0, dropped 1, kept 2"), r.toString());
      assertTrue(managed(c).containsKey(RepoIndexes.indexName(c, BIG)), "exactly half: kept " + managed(c));
      assertFalse(managed(c).containsKey(RepoIndexes.indexName(c, SMALL)), "one below half: dropped " + managed(c));
    }
  }

  /** The defaults: 3,000 live rows (more than that gets an index), dropped below half of it. */
  @Test void theDefaultLimitsAreThreeThousandAndHalfOfIt() {
    assertEquals(3000, RepoIndexes.MIN_ROWS);
    assertEquals(2, RepoIndexes.DROP_DIVISOR);
  }

  /**
   * Index names are pinned: a sync after an upgrade must recognise every index an older sync built. A name derived
   * any other way (another slice of md5, another prefix) would rebuild them all.
   */
  @Test void indexNamesArePinned() throws Exception {
    try (Connection c = DbClient.open(url)) {
      assertEquals("idx_lm_repo_hnsw_1f6864795feae1a9", RepoIndexes.indexName(c, BIG)); // md5('acme/big') = 1f6864795feae1a9...
      var md5 = java.security.MessageDigest.getInstance("MD5");
      for (String repo : List.of(MID, SMALL, ODD)) {
        String hex = java.util.HexFormat.of().formatHex(md5.digest(repo.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals("idx_lm_repo_hnsw_" + hex.substring(0, 16), RepoIndexes.indexName(c, repo), repo);
      }
      assertEquals(0, sync().code());
      assertEquals(java.util.Set.of(RepoIndexes.indexName(c, BIG), RepoIndexes.indexName(c, MID), RepoIndexes.indexName(c, SMALL),
          RepoIndexes.indexName(c, ODD)), managed(c).keySet(), "sync builds the indexes under those names");
    }
  }

  @Test void anIndexLeftInvalidByAnInterruptedBuildIsRebuilt() throws Exception {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      String index = RepoIndexes.indexName(c, MID);
      // A CONCURRENTLY build that fails leaves its index behind, invalid, under the name it was given.
      // (on the table the indexes are on: the default partition since migration 070)
      String on = RepoIndexes.table(c);
      assertThrows(SQLException.class, () -> st.execute("CREATE UNIQUE INDEX CONCURRENTLY " + index + " ON " + on + " (owner)"));
      assertEquals("invalid btree", managed(c).get(index));
      Captured r = sync();
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith("rebuild ") && l.endsWith(MID)), r.toString());
      assertTrue(r.out().contains("indexes: created 3, rebuilt 1, dropped 0, kept 0"), r.toString());
      assertEquals("valid hnsw", managed(c).get(index));
    }
  }

  @Test void dryRunAndStatusPrintThePlanAndChangeNothing() throws Exception {
    for (Captured r : List.of(cli("sync", "--dry-run", "--url", url, "--min-rows", "50"), cli("status", "--url", url, "--min-rows", "50"))) {
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith("create ") && l.contains("120") && l.endsWith(BIG)), r.toString());
      assertTrue(r.out().lines().noneMatch(l -> l.startsWith("created ")), r.toString());
      try (Connection c = DbClient.open(url)) { assertEquals(Map.of(), managed(c)); }
    }
    // status, not sync, names the repos over the limit that have no partition of their own (migration 070)
    Captured status = cli("status", "--url", url, "--min-rows", "50");
    assertTrue(status.out().lines().anyMatch(l -> l.contains("in learning_memories_default: the owner query reads"
        + " them exactly") && l.contains(BIG)), status.toString());
  }

  @Test void optionsWorkBeforeAndAfterTheVerbAndNoVerbIsSync() throws Exception {
    for (String[] args : List.of(new String[] {"--url", url, "--min-rows", "100", "status"},
        new String[] {"status", "--url", url, "--min-rows", "100"}, new String[] {"--url", url, "status", "--min-rows", "100"})) {
      Captured r = cli(args);
      assertEquals(0, r.code(), r.toString());
      assertEquals(1, r.out().lines().filter(l -> l.startsWith("create ")).count(), "--min-rows 100: only " + BIG + "\n" + r);
    }
    Captured r = cli("--url", url, "--min-rows", "100", "--maintenance-work-mem", "64MB");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("indexes: created 1, rebuilt 0, dropped 0, kept 0"), r.toString());
  }

  @Test void aBuildThatFailsExitsOneAndLeavesNoHalfBuiltIndex() throws Exception {
    // An open snapshot makes CREATE INDEX CONCURRENTLY wait after it has created its (invalid) index;
    // cancelling it there is what an interrupted or failed build looks like.
    try (Connection holder = DbClient.open(url); Connection watcher = DbClient.open(url)) {
      holder.setAutoCommit(false);
      try (Statement st = holder.createStatement()) {
        st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        st.execute("SELECT 1"); // a snapshot, and no lock on the table (DROP INDEX CONCURRENTLY would wait for one)
      }
      CompletableFuture<Captured> running = CompletableFuture.supplyAsync(() -> sync("--min-rows", "100")); // BIG only
      assertTrue(waitForBuildToWait(watcher), "the build waits for the open snapshot");
      try (Statement st = watcher.createStatement()) {
        st.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'kodiai-indexes' AND query LIKE 'CREATE INDEX%'");
      }
      Captured r = running.get(60, TimeUnit.SECONDS);
      holder.rollback();
      assertEquals(1, r.code(), r.toString());
      String index = RepoIndexes.indexName(watcher, BIG);
      var failed = assertInstanceOf(IndexesFailure.BuildFailed.class, r.kind(), r.toString());
      assertEquals(List.of(RepoIndexes.Action.CREATE, index, BIG, "57014"),
          List.of(failed.action(), failed.index(), failed.repo(), failed.sqlState()), "57014: query_canceled");
      assertEquals(1, r.err().lines().count(), "one line: " + r.err());
      assertEquals(Map.of(), managed(watcher), "the invalid index was dropped again");
    }
  }

  @Test void anotherSyncHoldingTheLockGivesExitFour() throws Exception {
    try (Connection other = DbClient.open(url); Statement st = other.createStatement()) {
      st.execute("SELECT pg_advisory_lock(" + RepoIndexes.LOCK_KEY + ")");
      Captured r = sync("--lock-timeout", "0");
      assertEquals(4, r.code(), r.toString());
      assertEquals(new IndexesFailure.LockTimeout(0), r.kind(), r.toString());
      try (Connection c = DbClient.open(url)) { assertEquals(Map.of(), managed(c)); }
    }
  }

  /**
   * Two syncs at once: while one builds (held inside CREATE INDEX CONCURRENTLY by an open snapshot), a second one,
   * even a dry run, gets exit 4. The lock must outlive each statement of the first: a transaction-level lock taken
   * in autocommit would be gone before its first build.
   */
  @Test void aSecondSyncWhileOneIsBuildingGivesExitFour() throws Exception {
    try (Connection holder = DbClient.open(url); Connection watcher = DbClient.open(url)) {
      holder.setAutoCommit(false);
      try (Statement st = holder.createStatement()) {
        st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        st.execute("SELECT 1");
      }
      // Not captured: Captured.run takes one command at a time, and the second sync must run meanwhile.
      CompletableFuture<Integer> first = CompletableFuture.supplyAsync(
          () -> indexes.execute("sync", "--url", url, "--min-rows", "100", "--maintenance-work-mem", "64MB"));
      try {
        assertTrue(waitForBuildToWait(watcher), "the first sync's build waits for the open snapshot");
        try (Statement st = watcher.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_locks l"
            + " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
            + " AND a.application_name = 'kodiai-indexes'")) {
          rs.next();
          assertEquals(1, rs.getInt(1), "the building sync holds its advisory lock");
        }
        Captured second = cli("sync", "--dry-run", "--url", url, "--min-rows", "100", "--lock-timeout", "0");
        assertEquals(4, second.code(), second.toString());
        assertEquals("indexes: error: another indexes sync held the lock for 0 s; try again when it has finished, or raise"
            + " --lock-timeout\n", second.err());
      } finally {
        holder.rollback();
      }
      assertEquals(0, first.get(120, TimeUnit.SECONDS), "the first sync finishes once the snapshot is gone");
      assertEquals(Map.of(RepoIndexes.indexName(watcher, BIG), "valid hnsw"), managed(watcher));
    }
  }

  @Test void badInputGivesOneLineAndTheDocumentedExitCode() throws Exception {
    Captured r = sync("--min-rows", "0");
    assertEquals(2, r.code(), r.toString());
    assertEquals("--min-rows", assertInstanceOf(IndexesFailure.BadOption.class, r.kind()).option());
    assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    r = sync("--lock-timeout", "-1");
    assertEquals(2, r.code(), r.toString());
    assertEquals("--lock-timeout", assertInstanceOf(IndexesFailure.BadOption.class, r.kind()).option());
    r = cli("sync", "--url", "");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().startsWith("indexes: error: ") && r.err().lines().count() == 1, r.toString());
    r = cli("sync", "--url", url, "--maintenance-work-mem", "lots");
    assertEquals(2, r.code(), r.toString());
    assertEquals("--maintenance-work-mem", assertInstanceOf(IndexesFailure.BadOption.class, r.kind()).option());
    withDatabase("repoindexesempty", empty -> {
      Captured e = cli("sync", "--url", empty);
      assertEquals(10, e.code(), e.toString());
      assertInstanceOf(IndexesFailure.NotMigrated.class, e.kind(), e.toString());
    });
    try (Connection c = DbClient.open(url)) { assertEquals(Map.of(), managed(c)); }
  }

  // ------------------------------------------------------------------------------------------ helpers

  /** `rows` memories of `repo` with random 1024-dimension embeddings, finding ids from first + 1. */
  static void insert(Connection c, String repo, int rows, int first) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO learning_memories (repo, owner, source_repo, finding_id, finding_text, "
        + "severity, category, file_path, outcome, embedding_model, embedding_dim, embedding) "
        + "SELECT ?, 'acme', ?, ? + g, 'finding ' || g, 'minor', 'style', 'a.java', 'accepted', 'test', 1024, "
        + "(SELECT array_agg(random() - 0.5)::vector(1024) FROM generate_series(1, 1024) WHERE g > 0) FROM generate_series(1, ?) g")) {
      ps.setString(1, repo);
      ps.setString(2, repo);
      ps.setInt(3, first);
      ps.setInt(4, rows);
      ps.executeUpdate();
    }
  }

  /** Managed index name -> "valid|invalid AM". */
  static Map<String, String> managed(Connection c) throws SQLException {
    Map<String, String> m = new LinkedHashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT ic.relname, i.indisvalid, am.amname FROM pg_index i "
        + "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
        + "WHERE indrelid = '" + RepoIndexes.table(c) + "'::regclass AND starts_with(ic.relname, '" + RepoIndexes.PREFIX
        + "') ORDER BY 1")) {
      while (rs.next()) m.put(rs.getString(1), (rs.getBoolean(2) ? "valid " : "invalid ") + rs.getString(3));
    }
    return m;
  }

  static Map<String, Long> oids(Connection c) throws SQLException {
    Map<String, Long> m = new LinkedHashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT relname, oid FROM pg_class WHERE starts_with(relname, '"
        + RepoIndexes.PREFIX + "') ORDER BY 1")) {
      while (rs.next()) m.put(rs.getString(1), rs.getLong(2));
    }
    return m;
  }

  static String comment(Connection c, String index) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT obj_description(to_regclass(?), 'pg_class')")) {
      ps.setString(1, index);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getString(1); }
    }
  }

  /** The index the bot's query (docs/retrieval.md, one repo) takes when the planner may use an index for the order. */
  static String planIndex(Connection c, String repo) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SET enable_seqscan = off");
      st.execute("SET enable_bitmapscan = off"); // a table this small would otherwise be scanned exactly
      st.execute("SET enable_sort = off"); // nor through 070's primary key (repo, id) and a sort
    }
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (COSTS OFF) " + KodiaiQueries.RETRIEVE_MEMORIES)) {
      bind(c, ps, repo);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          var m = java.util.regex.Pattern.compile("Index Scan using (\\S+)").matcher(rs.getString(1));
          if (m.find()) return m.group(1);
        }
      }
      return null;
    } finally {
      try (Statement st = c.createStatement()) {
        st.execute("RESET enable_seqscan");
        st.execute("RESET enable_bitmapscan");
        st.execute("RESET enable_sort");
      }
    }
  }

  static List<String> nearestRepos(Connection c, String repo) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT m.repo FROM (" + KodiaiQueries.RETRIEVE_MEMORIES
        + ") n JOIN learning_memories m ON m.id = n.memory_id")) {
      bind(c, ps, repo);
      List<String> repos = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) repos.add(rs.getString(1)); }
      return repos;
    }
  }

  private static void bind(Connection c, PreparedStatement ps, String repo) throws SQLException {
    StringBuilder v = new StringBuilder("[");
    for (int i = 0; i < 1024; i++) v.append(i == 0 ? "" : ",").append(i % 7 == 0 ? "0.3" : "-0.01");
    String text = v.append(']').toString(); // the bot sends '[...]' text, cast with ::vector
    ps.setString(1, text);
    ps.setString(2, repo);
    ps.setString(3, text);
    ps.setInt(4, 10);
  }

  /** True once the indexes backend waits (for the open snapshot) inside CREATE INDEX CONCURRENTLY. */
  private static boolean waitForBuildToWait(Connection c) throws Exception {
    for (int i = 0; i < 300; i++) {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity "
          + "WHERE application_name = 'kodiai-indexes' AND query LIKE 'CREATE INDEX%' AND wait_event_type = 'Lock'")) {
        rs.next();
        if (rs.getInt(1) > 0) return true;
      }
      Thread.sleep(100);
    }
    return false;
  }
}
