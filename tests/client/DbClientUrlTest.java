import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** DbClient without a server: URL forms, redaction, settings from the environment, refused shapes. */
@Fast
class DbClientUrlTest {
  /** A URL to read settings against; nothing connects to it. */
  static final String URL = "postgresql://kodiai:pw@127.0.0.1:5432/kodiai";

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

  /** devdb's kodiai:kodiai@.../kodiai: the password is also the database's name, which errors must still show. */
  @Test void errorsKeepTheDatabaseNameWhenThePasswordIsTheSame() {
    DbClient.Target t = DbClient.parse("postgresql://kodiai:kodiai@127.0.0.1:55449/kodiai");
    assertEquals("cannot connect to 127.0.0.1:55449/kodiai: connection refused (is PostgreSQL running and listening there?)",
        DbClient.translate(t, new java.sql.SQLException("Connection to 127.0.0.1:55449 refused.", "08001")).getMessage());
    assertEquals("authentication failed for user kodiai at 127.0.0.1:55449/kodiai: check the user and password in the database URL",
        DbClient.translate(t, new java.sql.SQLException("FATAL: password authentication failed", "28P01")).getMessage());
    DbClient.Target other = DbClient.parse("postgresql://bob:bob-secret9@db.example.com:5432/bob");
    String m = DbClient.translate(other, new java.sql.SQLException("server echoed bob-secret9 and bob-secret9", "XX000")).getMessage();
    assertEquals("cannot connect to db.example.com:5432/bob: server echoed *** and ***", m, "a user name inside the password unmasks nothing");
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
    assertFalse(DbClient.properties(DbClient.parse(URL), s).containsKey("options"), "nothing for a pooler to refuse");
    assertEquals("0", DbClient.properties(DbClient.parse(URL), s).getProperty("prepareThreshold"), "no named statements");
    DbClient.Settings o = DbClient.Settings.fromEnv(Map.of("DATABASE_STATEMENT_TIMEOUT_MS", "1500", "DATABASE_HNSW_EF_SEARCH", "40",
        "DATABASE_HNSW_ITERATIVE_SCAN", ""));
    assertEquals(Map.of("statement_timeout", "1500", "hnsw.ef_search", "40"), o.sessionOverrides(), "empty: not set");
    assertEquals("-c statement_timeout=1500 -c hnsw.ef_search=40", DbClient.properties(DbClient.parse(URL), o).getProperty("options"));
    assertEquals(3, DbClient.Settings.fromEnv(Map.of("DATABASE_POOL_MAX", "3")).poolMax);
    var e = assertThrows(DbClient.DbException.class, () -> DbClient.Settings.fromEnv(Map.of("DATABASE_POOL_MAX", "lots")));
    assertTrue(e.getMessage().contains("DATABASE_POOL_MAX"));
  }

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

  @Test void closedPortSaysConnectionRefused() {
    int port = LocalCluster.freePort();
    var e = assertThrows(DbClient.DbException.class, () -> DbClient.open("postgresql://u:pw@127.0.0.1:" + port + "/d").close());
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
  }
}
