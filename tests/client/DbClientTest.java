import static org.junit.jupiter.api.Assertions.*;

import com.pgvector.PGvector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DbClientTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  /** The session settings are the database's own defaults (migration 006). */
  @BeforeAll static void migrate() { Migrations.run(db.url(), null, null); }

  @Test void pooledConnectionsCarryTheSessionLimits() throws Exception {
    try (DbPool client = DbPool.connect(db.url(), DbClient.Settings.fromEnv(Map.of())); Connection c = client.connection();
         Statement st = c.createStatement()) {
      assertEquals("5min", show(st, "statement_timeout"));
      assertEquals("10s", show(st, "lock_timeout"));
      assertEquals("2min", show(st, "idle_in_transaction_session_timeout"));
      assertEquals("kodiai-db", show(st, "application_name"));
    }
    DbClient.Settings s = DbClient.Settings.fromEnv(Map.of("DATABASE_STATEMENT_TIMEOUT_MS", "1500", "DATABASE_POOL_MAX", "2",
        "DATABASE_CONNECT_TIMEOUT_MS", "1000")); // enough for a login on a busy machine
    try (DbPool client = DbPool.connect(db.url(), s); Connection a = client.connection(); Connection b = client.connection();
         Statement st = a.createStatement()) {
      assertEquals("1500ms", show(st, "statement_timeout"), "an override wins on a direct connection");
      assertEquals("10s", show(st, "lock_timeout"), "the others stay the database's");
      assertNotNull(b);
      var e = assertThrows(DbClient.DbException.class, client::connection, "a third connection exceeds DATABASE_POOL_MAX=2");
      assertEquals(DbClient.DbException.Kind.CONNECT, e.kind);
    }
  }

  @Test void sessionsUseTheRecommendedRetrievalSettings() throws Exception {
    try (DbPool client = DbPool.connect(db.url(), DbClient.Settings.fromEnv(Map.of())); Connection c = client.connection();
         Statement st = c.createStatement()) {
      st.execute("SELECT '[1,2]'::vector <=> '[2,1]'::vector"); // loads pgvector in this session
      assertEquals("100", show(st, "hnsw.ef_search"));
      assertEquals("relaxed_order", show(st, "hnsw.iterative_scan"));
      assertEquals("force_custom_plan", show(st, "plan_cache_mode"));
    }
    DbClient.Settings s = DbClient.Settings.fromEnv(Map.of("DATABASE_HNSW_EF_SEARCH", "40", "DATABASE_HNSW_ITERATIVE_SCAN", "off"));
    try (Connection c = DbClient.open(DbClient.parse(db.url()), s); Statement st = c.createStatement()) {
      st.execute("SELECT '[1,2]'::vector <=> '[2,1]'::vector");
      assertEquals("40", show(st, "hnsw.ef_search"));
      assertEquals("off", show(st, "hnsw.iterative_scan"));
    }
    var e = assertThrows(DbClient.DbException.class,
        () -> DbClient.Settings.fromEnv(Map.of("DATABASE_HNSW_ITERATIVE_SCAN", "off -c work_mem=1TB")));
    assertTrue(e.getMessage().startsWith("DATABASE_HNSW_ITERATIVE_SCAN must be a plain word"), e.getMessage());
  }

  @Test void theUrlsOwnOptionsAreKeptAndWinOverTheDefaults() throws Exception {
    String url = db.url() + (db.url().contains("?") ? "&" : "?") + "options=-c%20lock_timeout%3D3s%20-c%20search_path%3Dpublic";
    try (Connection c = DbClient.open(DbClient.parse(url), DbClient.Settings.fromEnv(Map.of("DATABASE_LOCK_TIMEOUT_MS", "4000")));
         Statement st = c.createStatement()) {
      assertEquals("3s", show(st, "lock_timeout"), "the URL's setting wins over an override");
      assertEquals("public", show(st, "search_path"));
      assertEquals("5min", show(st, "statement_timeout"), "the database's defaults still apply");
    }
  }

  @Test void aThousandTwentyFourDimensionVectorRoundTrips() throws Exception {
    float[] v = new float[1024];
    Random r = new Random(7);
    for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() * 2 - 1;
    // pgjdbc caches type lookups per connection: create the type before the connection that uses it.
    try (Connection c = db.connect(); Statement st = c.createStatement()) { st.execute("CREATE EXTENSION IF NOT EXISTS vector"); }
    try (DbPool client = DbPool.connect(db.url()); Connection c = client.connection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE vec_roundtrip (id int, e vector(1024))");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO vec_roundtrip VALUES (1, ?)")) {
        ps.setObject(1, new PGvector(v));
        ps.executeUpdate();
      }
      try (ResultSet rs = st.executeQuery("SELECT e, vector_dims(e) FROM vec_roundtrip")) {
        assertTrue(rs.next());
        assertArrayEquals(v, ((PGvector) rs.getObject(1)).toArray());
        assertEquals(1024, rs.getInt(2));
      }
    }
  }

  @Test void wrongPasswordIsOneLineWithoutThePassword() {
    String url = db.url().replaceFirst("://([^:]+):[^@]+@", "://$1:WrongHunter2@");
    var e = assertThrows(DbClient.DbException.class, () -> DbClient.open(url).close());
    assertEquals(DbClient.DbException.Kind.CONNECT, e.kind);
    assertTrue(e.getMessage().startsWith("authentication failed for user"), e.getMessage());
    assertFalse(e.getMessage().contains("WrongHunter2"));
  }

  // ------------------------------------------------------------ hostile URLs (issue 15)

  /** '+' is a plus in a URL's userinfo (only HTML forms make it a space): proven by logging in with it. */
  @Test void aPlusInThePasswordStaysAPlus() throws Exception {
    assertEquals("a+b c", DbClient.parse("postgresql://u:a+b%20c@h/d").password());
    String role = "plus_" + ProcessHandle.current().pid();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'Pl+us pw+1'");
    }
    try {
      DbClient.Target admin = DbClient.parse(db.url());
      String url = "postgresql://" + role + ":Pl+us%20pw+1@" + admin.host() + ":" + admin.port() + "/" + admin.database();
      try (Connection c = DbClient.open(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_user")) {
        rs.next();
        assertEquals(role, rs.getString(1));
      }
    } finally {
      try (Connection c = db.connect(); Statement st = c.createStatement()) { st.execute("DROP ROLE " + role); }
    }
  }

  // ------------------------------------------------ every documented setting, end to end

  /** The DATABASE_* variables of README's settings table. */
  static List<String> readmeVariables() throws Exception {
    List<String> vars = new ArrayList<>();
    var m = java.util.regex.Pattern.compile("(?m)^\\|.*\\| `(DATABASE_[A-Z_]+)` \\|$")
        .matcher(Files.readString(MigrationSource.checkoutRoot().resolve("README.md")));
    while (m.find()) vars.add(m.group(1));
    return vars;
  }

  /**
   * Each variable README documents is set to a value of its own, and its effect is seen through a pooled
   * connection: a session setting by SHOW, a pool setting by the pool's behaviour. A typo in a variable's
   * name, or a setting that no longer reaches the server, fails here; so does a variable read but not documented.
   */
  @Test void everyDocumentedSettingVariableTakesEffect() throws Exception {
    List<String> documented = readmeVariables();
    Map<String, String[]> session = new LinkedHashMap<>(); // variable -> value, setting, what SHOW prints
    session.put("DATABASE_STATEMENT_TIMEOUT_MS", new String[] {"4321", "statement_timeout", "4321ms"});
    session.put("DATABASE_LOCK_TIMEOUT_MS", new String[] {"3210", "lock_timeout", "3210ms"});
    session.put("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", new String[] {"65432", "idle_in_transaction_session_timeout", "65432ms"});
    session.put("DATABASE_APPLICATION_NAME", new String[] {"kodiai-settings-test", "application_name", "kodiai-settings-test"});
    session.put("DATABASE_HNSW_EF_SEARCH", new String[] {"77", "hnsw.ef_search", "77"});
    session.put("DATABASE_HNSW_ITERATIVE_SCAN", new String[] {"strict_order", "hnsw.iterative_scan", "strict_order"});
    session.put("DATABASE_PLAN_CACHE_MODE", new String[] {"force_generic_plan", "plan_cache_mode", "force_generic_plan"});
    List<String> pool = List.of("DATABASE_POOL_MAX", "DATABASE_IDLE_TIMEOUT_MS", "DATABASE_CONNECT_TIMEOUT_MS");
    for (String v : documented) assertTrue(session.containsKey(v) || pool.contains(v), "README documents " + v + ", which no test sets");
    String source = Files.readString(MigrationSource.checkoutRoot().resolve("DbClient.java"));
    var read = java.util.regex.Pattern.compile("\"(DATABASE_[A-Z_]+)\"").matcher(source);
    while (read.find()) assertTrue(documented.contains(read.group(1)) || read.group(1).equals("DATABASE_URL"),
        "DbClient reads " + read.group(1) + ", which README's settings table does not document");
    assertTrue(documented.size() >= 9, "README's settings table: " + documented);

    try (Connection c = db.connect(); Statement st = c.createStatement()) { st.execute("CREATE EXTENSION IF NOT EXISTS vector"); }
    for (var e : session.entrySet()) {
      DbClient.Settings s = DbClient.Settings.fromEnv(Map.of(e.getKey(), e.getValue()[0]));
      try (DbPool p = DbPool.connect(db.url(), s); Connection c = p.connection(); Statement st = c.createStatement()) {
        st.execute("SELECT '[1,2]'::vector <=> '[2,1]'::vector"); // pgvector loaded: its settings are real ones now
        assertEquals(e.getValue()[2], show(st, e.getValue()[1]), e.getKey() + "=" + e.getValue()[0]);
      }
    }
    // Pool: DATABASE_POOL_MAX bounds the connections, DATABASE_CONNECT_TIMEOUT_MS how long a caller waits for one.
    DbClient.Settings s = DbClient.Settings.fromEnv(Map.of("DATABASE_POOL_MAX", "1", "DATABASE_CONNECT_TIMEOUT_MS", "400",
        "DATABASE_IDLE_TIMEOUT_MS", "15000"));
    try (DbPool p = DbPool.connect(db.url(), s); Connection a = p.connection()) {
      assertEquals(15_000, p.idleTimeoutMs(), "DATABASE_IDLE_TIMEOUT_MS");
      long t0 = System.nanoTime();
      assertThrows(DbClient.DbException.class, p::connection, "DATABASE_POOL_MAX=1: a second connection is refused");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms < 5_000, "DATABASE_CONNECT_TIMEOUT_MS=400, waited " + ms + " ms");
    }
    // DATABASE_CONNECT_TIMEOUT_MS also bounds a login that never completes (a server that accepts and stays silent).
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
      String url = "postgresql://u:pw@127.0.0.1:" + silent.getLocalPort() + "/d";
      long t0 = System.nanoTime();
      assertThrows(DbClient.DbException.class, () -> DbClient.open(DbClient.parse(url),
          DbClient.Settings.fromEnv(Map.of("DATABASE_CONNECT_TIMEOUT_MS", "1000"))).close());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms < 6_000, "DATABASE_CONNECT_TIMEOUT_MS=1000 (the default is 10 s), waited " + ms + " ms");
    }
  }

  private static String show(Statement st, String setting) throws Exception {
    try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
