// Migration 006 (database-level session defaults): its down file is the exact inverse (other
// settings of the database survive both ways), a non-superuser owner can apply it (as Azure's
// admin, who is not a superuser), and anyone else gets one clear line. Measured the same on
// PostgreSQL 15 and 17: the suite runs on both.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionDefaultsMigrationTest extends SchemaFixtures {
  static final int VERSION = 6;

  static List<String> databaseSettings(String url) throws Exception {
    return MigrateTest.rows(url, "SELECT unnest(setconfig) AS s FROM pg_db_role_setting WHERE setrole = 0"
        + " AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY s");
  }

  @Test void downIsTheExactInverseAndLeavesOtherSettingsAlone() throws Exception {
    dir = dir != null ? dir : MigrationSource.checkoutRoot().resolve("migrations");
    withDatabase("sessdefaults", url -> {
      String db = DbClient.parse(url).database();
      MigrateTest.exec(url, "ALTER DATABASE " + db + " SET work_mem = '8MB'");
      Migrations.run(url, dir, VERSION - 1);
      List<String> before = databaseSettings(url);
      assertEquals(List.of("work_mem=8MB"), before);
      assertEquals(1, Migrations.run(url, dir, VERSION));
      assertEquals(List.of("hnsw.ef_search=100", "hnsw.iterative_scan=relaxed_order", "idle_in_transaction_session_timeout=2min",
          "lock_timeout=10s", "plan_cache_mode=force_custom_plan", "statement_timeout=5min", "work_mem=8MB"), databaseSettings(url));
      assertEquals(1, Migrations.rollback(url, dir, VERSION - 1));
      assertEquals(before, databaseSettings(url), "down 006 restores exactly what was there");
      assertEquals(1, Migrations.run(url, dir, VERSION));
      try (Connection c = DbClient.open(url)) { // 006's settings (070 adds enable_partitionwise_aggregate)
        assertEquals(List.of(), SchemaCheck.check(c).stream().filter(l -> l.contains("database setting")
            && !l.contains("enable_partitionwise_aggregate")).toList());
      }
    });
  }

  @Test void aNonSuperuserOwnerAppliesItAndEveryNewSessionHasTheSettings() throws Exception {
    dir = dir != null ? dir : MigrationSource.checkoutRoot().resolve("migrations");
    String suffix = "_" + ProcessHandle.current().pid();
    String group = "azure_admins" + suffix, admin = "azadmin" + suffix, app = "app" + suffix, pw = "Pw-" + suffix;
    String admin0 = TestDatabase.adminUrl();
    MigrateTest.exec(admin0, "CREATE ROLE " + group + " NOLOGIN CREATEDB CREATEROLE");
    MigrateTest.exec(admin0, "CREATE ROLE " + admin + " LOGIN CREATEDB CREATEROLE PASSWORD '" + pw + "' IN ROLE " + group);
    MigrateTest.exec(admin0, "CREATE ROLE " + app + " LOGIN PASSWORD '" + pw + "'");
    String name = FreshDatabase.create("sessowner");
    try {
      String superUrl = FreshDatabase.urlFor(name);
      // As on Azure: the database belongs to the admins' role; pgvector is allow-listed and created by the platform.
      MigrateTest.exec(superUrl, "ALTER DATABASE " + name + " OWNER TO " + group);
      MigrateTest.exec(superUrl, "CREATE EXTENSION vector");
      var t = DbClient.parse(superUrl);
      String asAdmin = DbClient.url(admin, pw, t.host(), t.port(), name);
      try (Connection c = DbClient.open(asAdmin); Statement st = c.createStatement()) {
        var rs = st.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
        rs.next();
        assertFalse(rs.getBoolean(1), "not a superuser");
      }
      // Why 006 starts with a cast to vector (the same on 15 and 17): hnsw.* are pgvector's
      // parameters, placeholders until its library is loaded, and a non-superuser may not set those.
      try (Connection c = DbClient.open(asAdmin); Statement st = c.createStatement()) {
        var denied = assertThrows(java.sql.SQLException.class, () -> st.execute("ALTER DATABASE " + name + " SET hnsw.ef_search = 100"));
        assertEquals("ERROR: permission denied to set parameter \"hnsw.ef_search\"", DbClient.firstLine(denied.getMessage()));
        st.execute("SELECT '[1]'::vector");
        st.execute("ALTER DATABASE " + name + " SET hnsw.ef_search = 100"); // now it is known and checked
        var bad = assertThrows(java.sql.SQLException.class, () -> st.execute("ALTER DATABASE " + name + " SET hnsw.iterative_scan = bogus"));
        assertTrue(bad.getMessage().contains("invalid value for parameter \"hnsw.iterative_scan\""), bad.getMessage());
        st.execute("ALTER DATABASE " + name + " RESET hnsw.ef_search");
      }
      assertEquals(LATEST, Migrations.run(asAdmin, dir, null));
      String asApp = DbClient.url(app, pw, t.host(), t.port(), name);
      try (Connection c = DbClient.open(DbClient.parse(asApp), DbClient.Settings.fromEnv(java.util.Map.of()))) {
        assertEquals(PoolerClientTest.EXPECTED, PoolerClientTest.showInTransaction(c), "a new session of another role");
      }
      // Someone who is neither superuser nor owner: one clear line that says what to do.
      String sql = java.nio.file.Files.readString(dir.resolve("006-session-defaults.sql"));
      var e = assertThrows(java.sql.SQLException.class, () -> MigrateTest.exec(asApp, sql));
      assertTrue(e.getMessage().startsWith("ERROR: migration 006 sets defaults of database " + name + ", which only its owner may do; "
          + app + " is not the owner"), e.getMessage());
      assertTrue(e.getMessage().contains("ALTER DATABASE " + name + " OWNER TO " + app), "the hint says how: " + e.getMessage());
    } finally {
      FreshDatabase.drop(name);
      MigrateTest.exec(admin0, "DROP ROLE IF EXISTS " + app + "; DROP ROLE IF EXISTS " + admin + "; DROP ROLE IF EXISTS " + group);
    }
  }
}
