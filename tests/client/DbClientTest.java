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

  @Test void parsesPostgresqlUrlWithEncodedPasswordAndParameters() {
    DbClient.Target t = DbClient.parse("postgresql://kodiai:p%40ss%3Aw%2Frd%25@db.example.com:6543/kodiai?sslmode=require&application_name=bot");
    assertEquals("db.example.com", t.host());
    assertEquals(6543, t.port());
    assertEquals("kodiai", t.database());
    assertEquals("kodiai", t.user());
    assertEquals("p@ss:w/rd%", t.password());
    assertEquals(Map.of("sslmode", "require", "application_name", "bot"), t.params());
    assertEquals("jdbc:postgresql://db.example.com:6543/kodiai", t.jdbcUrl());
  }

  @Test void parsesPostgresSchemeWithDefaults() {
    DbClient.Target t = DbClient.parse("postgres://bob@localhost");
    assertEquals("localhost", t.host());
    assertEquals(5432, t.port());
    assertEquals("bob", t.database(), "libpq's default database is the user name");
    assertNull(t.password());
  }

  @Test void parsesJdbcUrlWithCredentialsAsParameters() {
    DbClient.Target t = DbClient.parse("jdbc:postgresql://10.0.0.5:5433/app?user=svc&password=s3cr%26t&sslmode=verify-full");
    assertEquals("10.0.0.5", t.host());
    assertEquals(5433, t.port());
    assertEquals("svc", t.user());
    assertEquals("s3cr&t", t.password());
    assertEquals(Map.of("sslmode", "verify-full"), t.params());
  }

  @Test void parsesIpv6Host() {
    DbClient.Target t = DbClient.parse("postgresql://u:p@[::1]:5999/d");
    assertEquals("::1", t.host());
    assertEquals(5999, t.port());
    assertEquals("jdbc:postgresql://[::1]:5999/d", t.jdbcUrl());
  }

  @Test void missingUrlSaysHowToFixIt() {
    var e = assertThrows(DbClient.DbException.class, () -> DbClient.parse(null));
    assertEquals(DbClient.DbException.Kind.CONFIG, e.kind);
    assertTrue(e.getMessage().contains("DATABASE_URL"), e.getMessage());
    assertThrows(DbClient.DbException.class, () -> DbClient.parse("   "));
  }

  @Test void malformedUrlsAreRejectedWithoutShowingThePassword() {
    for (String bad : new String[] {"mysql://u:hunter2@h/db", "postgresql://u:hunter2@h:notaport/db",
        "postgresql://u:hunter2@h:70000/db", "postgresql://u:hunter2%zz@h/db", "postgresql://u:hunter2@[::1/db"}) {
      var e = assertThrows(DbClient.DbException.class, () -> DbClient.parse(bad), bad);
      assertEquals(DbClient.DbException.Kind.CONFIG, e.kind);
      assertTrue(e.getMessage().startsWith("malformed database URL"), e.getMessage());
      assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"));
    }
  }

  @Test void withDatabaseNamesAnotherDatabaseInEachForm() {
    assertEquals("postgresql://u:p%2Fq@h:5432/other?sslmode=require",
        DbClient.withDatabase("postgresql://u:p%2Fq@h:5432/kodiai?sslmode=require", "other"));
    assertEquals("postgres://u:a/b@h/other", DbClient.withDatabase("postgres://u:a/b@h/kodiai", "other"), "a raw '/' in the password");
    assertEquals("postgresql://u@h/other", DbClient.withDatabase("postgresql://u@h", "other"), "no database in the URL");
    assertEquals("jdbc:postgresql://h:6000/other?user=u&password=p",
        DbClient.withDatabase("jdbc:postgresql://h:6000/postgres?user=u&password=p", "other"));
    assertEquals("other", DbClient.parse(DbClient.withDatabase("postgresql://u:p@h/x?a=b", "other")).database());
  }

  @Test void redactsPasswordsInUrlsAndText() {
    assertEquals("postgresql://u:***@h:5432/d?sslmode=require",
        DbClient.parse("postgresql://u:hunter2@h/d?sslmode=require").redacted());
    assertEquals("connect to postgresql://u:***@h/d failed", DbClient.redact("connect to postgresql://u:hunter2@h/d failed"));
    assertEquals("postgres://u:***@h/d", DbClient.redact("postgres://u:p@ss@h/d"), "a raw @ in the password is covered");
    assertEquals("jdbc:postgresql://h/d?user=u&password=***", DbClient.redact("jdbc:postgresql://h/d?user=u&password=hunter2"));
    assertEquals("said *** twice ***", DbClient.scrub("said hunter2 twice hunter2", "hunter2"));
    assertFalse(DbClient.parse("postgresql://u:hunter2@h/d").toString().contains("hunter2"));
  }

  @Test void settingsComeFromTheEnvironmentAndRejectGarbage() {
    DbClient.Settings s = DbClient.Settings.fromEnv(Map.of());
    assertEquals(10, s.poolMax);
    assertEquals(20_000, s.idleTimeoutMs);
    assertEquals(10_000, s.connectTimeoutMs);
    assertNull(s.statementTimeoutMs, "session settings: the database's defaults unless overridden");
    assertNull(s.lockTimeoutMs);
    assertNull(s.idleInTransactionTimeoutMs);
    assertEquals(Map.of(), s.sessionOverrides());
    assertFalse(DbClient.properties(DbClient.parse(db.url()), s).containsKey("options"), "nothing for a pooler to refuse");
    assertEquals("0", DbClient.properties(DbClient.parse(db.url()), s).getProperty("prepareThreshold"), "no named statements");
    DbClient.Settings o = DbClient.Settings.fromEnv(Map.of("DATABASE_STATEMENT_TIMEOUT_MS", "1500", "DATABASE_HNSW_EF_SEARCH", "40",
        "DATABASE_HNSW_ITERATIVE_SCAN", ""));
    assertEquals(Map.of("statement_timeout", "1500", "hnsw.ef_search", "40"), o.sessionOverrides(), "empty: not set");
    assertEquals("-c statement_timeout=1500 -c hnsw.ef_search=40", DbClient.properties(DbClient.parse(db.url()), o).getProperty("options"));
    assertEquals(3, DbClient.Settings.fromEnv(Map.of("DATABASE_POOL_MAX", "3")).poolMax);
    var e = assertThrows(DbClient.DbException.class, () -> DbClient.Settings.fromEnv(Map.of("DATABASE_POOL_MAX", "lots")));
    assertTrue(e.getMessage().contains("DATABASE_POOL_MAX"));
  }

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

  @Test void closedPortSaysConnectionRefused() {
    int port = LocalCluster.freePort();
    var e = assertThrows(DbClient.DbException.class, () -> DbClient.open("postgresql://u:pw@127.0.0.1:" + port + "/d").close());
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
  }

  // ------------------------------------------------------------ hostile URLs (issue 15)

  /** Shapes that cut a password into host, port or parameter pieces, or do not parse at all: no piece is ever shown. */
  @Test void noPieceOfAPasswordIsShownWhenAUrlDoesNotParse() {
    String[][] cases = { // URL, pieces of its password
        {"postgresql://kodiai:Secr3tPart/R3stPiece@h/db", "Secr3tPart", "R3stPiece"},
        {"postgresql://kodiai:Secr3tPart?R3stPiece@h/db", "Secr3tPart", "R3stPiece"},
        {"postgresql://kodiai:Secr3tPart#R3stPiece@h/db", "Secr3tPart", "R3stPiece"},
        {"kodiai:TopSecret9@h/db", "TopSecret9"},
        {"postgresql://kodiai:Top Secret9@h:notaport/db", "Top Secret9", "Secret9"},
        {"postgresql://kodiai:TopSecret9/h/db", "TopSecret9"},
        {"postgres://kodiai:TopSecret9@h/db?password=Other5ecret&x", "TopSecret9", "Other5ecret"}};
    for (String[] c : cases) {
      var e = assertThrows(DbClient.DbException.class, () -> DbClient.parse(c[0]), c[0]);
      assertEquals(ExitCode.USAGE, e.exitCode, c[0]);
      assertTrue(e.getMessage().startsWith("malformed database URL "), e.getMessage());
      for (int i = 1; i < c.length; i++) {
        assertFalse(e.getMessage().contains(c[i]), c[0] + " -> " + e.getMessage());
        assertFalse(DbClient.redactUrl(c[0]).contains(c[i]), DbClient.redactUrl(c[0]));
      }
    }
    assertEquals("kodiai:***@h/db", DbClient.redactUrl("kodiai:TopSecret9@h/db"));
    assertEquals("postgresql://kodiai:***@h/db", DbClient.redactUrl("postgresql://kodiai:Secr3tPart/R3stPiece@h/db"));
    assertEquals("x postgresql://u:***@h/d y", DbClient.redact("x postgresql://u:Top Secret9@h/d y"), "a space in the password");
  }

  @Test void aPasswordInTheQueryIsAPasswordInEveryScheme() {
    for (String url : new String[] {"postgresql://u@h/d?password=hunter2&sslmode=require", "postgres://u@h/d?sslmode=require&password=hunter2",
        "jdbc:postgresql://h/d?user=u&password=hunter2&sslmode=require"}) {
      DbClient.Target t = DbClient.parse(url);
      assertEquals("hunter2", t.password(), url);
      assertEquals(Map.of("sslmode", "require"), t.params(), url);
      assertEquals("postgresql://u:***@h:5432/d?sslmode=require", t.redacted(), url);
      assertFalse(t.toString().contains("hunter2"));
    }
    DbClient.Target t = new DbClient.Target("h", 5432, "d", "u", null, Map.of("sslpassword", "hunter2"));
    assertFalse(t.redacted().contains("hunter2"), t.redacted());
  }

  @Test void unixSocketFormsAreRefusedClearly() {
    for (String url : new String[] {"postgresql://kodiai@/kodiai?host=/tmp", "postgresql://kodiai@%2Ftmp/kodiai",
        "postgresql:///kodiai?host=%2Fvar%2Frun%2Fpostgresql"}) {
      var e = assertThrows(DbClient.DbException.class, () -> DbClient.parse(url), url);
      assertTrue(e.getMessage().contains("a Unix-domain socket (host /") && e.getMessage().contains("connect over TCP"), e.getMessage());
    }
    DbClient.Target t = DbClient.parse("postgresql://u@ignored/d?host=db.example.com&port=6432");
    assertEquals("db.example.com", t.host(), "libpq: the query's host wins");
    assertEquals(6432, t.port());
  }

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
