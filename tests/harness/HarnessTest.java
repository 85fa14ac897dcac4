import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HarnessTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @Test void runsOnTheSourceTheEnvironmentCallsFor() {
    String env = System.getenv(TestDatabase.ENV_URL);
    TestDatabase.Source expected = env != null && !env.isBlank() ? TestDatabase.Source.ENV
        : Docker.answers() ? TestDatabase.Source.TESTCONTAINERS : TestDatabase.Source.LOCAL_CLUSTER;
    assertEquals(expected, TestDatabase.source());
  }

  @Test void eachClassGetsItsOwnFreshDatabaseWithPgvector08() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT current_database(), (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)");
      assertTrue(rs.next());
      assertEquals(db.name(), rs.getString(1));
      assertEquals(0, rs.getInt(2), "a fresh database has no tables");
      rs = st.executeQuery("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'");
      assertTrue(rs.next(), "pgvector available");
      assertTrue(SchemaCheck.atLeast(rs.getString(1), SchemaCheck.MIN_VECTOR_VERSION), "pgvector >= 0.8, got " + rs.getString(1));
    }
  }

  @Test void runsOnThePostgreSqlVersionAskedFor() throws Exception {
    Integer asked = TestDatabase.requestedMajor();
    int running = Integer.parseInt(MigrateTest.rows(db.url(), "SELECT current_setting('server_version_num')::int / 10000").get(0));
    assertEquals(running, TestDatabase.serverMajor());
    if (asked != null) assertEquals(asked.intValue(), running, TestDatabase.ENV_VERSION + " is honoured, never silently another version");
    assertTrue(running >= 15, "PostgreSQL 15 or newer, got " + running);
  }
}
