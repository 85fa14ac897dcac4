// DbClient through a real PgBouncer (Debian's package, stock startup-parameter handling;
// tests/harness/TestPooler.java) in transaction and session mode: it connects, and every
// transaction sees the session settings the bot relies on, because they are the database's
// own defaults (migration 006). Also pins the PgBouncer behaviour the design rests on.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PoolerClientTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  /** What SHOW says in every transaction, through any pooler (migration 006). */
  static final Map<String, String> EXPECTED = new LinkedHashMap<>();
  static {
    EXPECTED.put("statement_timeout", "5min");
    EXPECTED.put("lock_timeout", "10s");
    EXPECTED.put("idle_in_transaction_session_timeout", "2min");
    EXPECTED.put("plan_cache_mode", "force_custom_plan");
    EXPECTED.put("hnsw.ef_search", "100");
    EXPECTED.put("hnsw.iterative_scan", "relaxed_order");
  }

  @BeforeAll static void migrate() { Migrations.run(db.url(), null, null); }

  static final DbClient.Settings NO_OVERRIDES = DbClient.Settings.fromEnv(Map.of());

  static Map<String, String> showInTransaction(Connection c) throws Exception {
    Map<String, String> seen = new LinkedHashMap<>();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("SELECT '[1,2]'::vector <=> '[2,1]'::vector"); // loads pgvector, as the bot's first query would
      for (String name : EXPECTED.keySet()) {
        try (ResultSet rs = st.executeQuery("SHOW " + name)) { rs.next(); seen.put(name, rs.getString(1)); }
      }
    } finally {
      c.commit();
      c.setAutoCommit(true);
    }
    return seen;
  }

  @ParameterizedTest(name = "every transaction through {0} pooling sees the configured settings") @EnumSource(TestPooler.Mode.class)
  void everyTransactionThroughPgBouncerSeesTheConfiguredSettings(TestPooler.Mode mode) throws Exception {
    String url = TestPooler.url(db.name(), mode);
    // Six pooled clients at once, twenty transactions each: they run on whichever server connections PgBouncer picks.
    try (DbPool pool = DbPool.connect(url, NO_OVERRIDES)) {
      ExecutorService ex = Executors.newFixedThreadPool(6);
      try {
        List<Future<List<Map<String, String>>>> all = new ArrayList<>();
        for (int t = 0; t < 6; t++) all.add(ex.submit((Callable<List<Map<String, String>>>) () -> {
          List<Map<String, String>> seen = new ArrayList<>();
          for (int i = 0; i < 20; i++) try (Connection c = pool.connection()) { seen.add(showInTransaction(c)); }
          return seen;
        }));
        for (var f : all) for (var seen : f.get()) assertEquals(EXPECTED, seen, mode + " pooling");
      } finally {
        ex.shutdownNow();
      }
    }
  }

  @ParameterizedTest(name = "the client knows a {0}-mode pooler is in between") @EnumSource(TestPooler.Mode.class)
  void theClientKnowsWhenAPoolerIsInBetween(TestPooler.Mode mode) throws Exception {
    try (Connection c = DbClient.open(DbClient.parse(TestPooler.url(db.name(), mode)), NO_OVERRIDES)) {
      assertTrue(DbClient.throughPooler(c), mode + ": PgBouncer hands out its own process ids");
    }
    try (Connection c = DbClient.open(DbClient.parse(db.url()), NO_OVERRIDES)) {
      assertFalse(DbClient.throughPooler(c), "direct");
    }
  }

  @Test void anOverrideInTheStartupPacketIsRefusedByStockPgBouncerInOneLine() {
    DbClient.Settings s = DbClient.Settings.fromEnv(Map.of("DATABASE_STATEMENT_TIMEOUT_MS", "1500"));
    String url = TestPooler.url(db.name(), TestPooler.Mode.TRANSACTION);
    var e = assertThrows(DbClient.DbException.class, () -> DbClient.open(DbClient.parse(url), s).close());
    assertEquals(DbClient.DbException.Kind.CONNECT, e.kind);
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().contains("is a connection pooler that refuses session settings in the startup packet"
        + " (unsupported startup parameter: options): unset DATABASE_STATEMENT_TIMEOUT_MS"), e.getMessage());
    assertFalse(e.getMessage().contains(DbClient.parse(url).password()), "no password");
  }

  @Test void repeatedStatementsOfConcurrentClientsWorkInTransactionMode() throws Exception {
    // pgjdbc would switch to a named server-side statement after 5 executions; through a
    // transaction pooler that fails ("prepared statement S_1 already exists"). DbClient uses unnamed ones.
    String url = TestPooler.url(db.name(), TestPooler.Mode.TRANSACTION);
    ExecutorService ex = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> all = new ArrayList<>();
      for (int t = 0; t < 4; t++) all.add(ex.submit(() -> {
        int sum = 0;
        try (Connection c = DbClient.open(DbClient.parse(url), NO_OVERRIDES);
             PreparedStatement ps = c.prepareStatement("SELECT ?::int + 1, pg_sleep(0.005)")) {
          for (int i = 0; i < 30; i++) {
            ps.setInt(1, i);
            try (ResultSet rs = ps.executeQuery()) { rs.next(); sum += rs.getInt(1); }
          }
        }
        return sum;
      }));
      for (var f : all) assertEquals(465, f.get());
    } finally {
      ex.shutdownNow();
    }
  }

  /** Why migrate takes no session lock through a transaction pooler: it outlives the client. */
  @Test void aSessionAdvisoryLockStaysOnThePooledServerConnectionInTransactionMode() throws Exception {
    String url = TestPooler.url(db.name(), TestPooler.Mode.TRANSACTION);
    try (Connection c = DbClient.open(DbClient.parse(url), NO_OVERRIDES); Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_lock(424242)");
    }
    try (Connection direct = db.connect(); Statement st = direct.createStatement()) {
      assertEquals(1, MigrateTest.rows(db.url(), "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 424242").size(),
          "the client has gone, its lock has not");
      // Clean up: end that server connection (PgBouncer opens another when needed).
      st.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 424242");
    }
    String session = TestPooler.url(db.name(), TestPooler.Mode.SESSION);
    try (Connection c = DbClient.open(DbClient.parse(session), NO_OVERRIDES); Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_lock(424243)");
    }
    long deadline = System.nanoTime() + 5_000_000_000L; // session mode: DISCARD ALL on release frees it
    while (!MigrateTest.rows(db.url(), "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 424243").isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "session mode releases the lock when the client leaves");
      Thread.sleep(20);
    }
  }
}
