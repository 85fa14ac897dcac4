// roles@kodiai (issue 24) on a real PostgreSQL (15 and 17, KODIAI_TEST_PG), the way Azure runs it: the
// schema's owner is a NON-superuser with CREATEROLE that ran the migrations. The login it makes may run
// every DML statement on every table, tables of a later migration included without a second grant,
// and nothing else; every refusal is a kind with its exit code, before anything changed.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RolesTest extends SchemaFixtures {
  static final String OWNER = "roles_test_owner", GROUP = "roles_test_app";
  static String database, ownerUrl;
  static Path tmp;

  @BeforeAll static void migratedByACreateroleOwner() throws Exception {
    tmp = Files.createTempDirectory("kodiai-roles-test");
    String ownerPassword = SecretInput.generate();
    database = FreshDatabase.create("roles");
    superuser("postgres", "DROP ROLE IF EXISTS " + OWNER, "CREATE ROLE " + OWNER + " LOGIN CREATEROLE PASSWORD '"
        + ownerPassword + "'",
        "ALTER DATABASE " + database + " OWNER TO " + OWNER);
    superuser(database,
        "CREATE EXTENSION vector"); // Azure: allow-listed and created by the admin; here pgvector is untrusted
    DbClient.Target admin = DbClient.parse(TestDatabase.adminUrl());
    ownerUrl = DbClient.url(OWNER, ownerPassword, admin.host(), admin.port(), database);
    assertEquals(LATEST, Migrations.run(ownerUrl, dir, null), "the owner ran every migration");
  }

  @AfterAll static void dropEverything() throws Exception {
    FreshDatabase.drop(database);
    List<String> roles = new ArrayList<>();
    try (Connection c = DbClient.open(TestDatabase.adminUrl()); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT rolname FROM pg_roles WHERE rolname LIKE 'roles\\_test\\_%' ORDER BY"
             + " oid DESC")) {
      while (rs.next()) roles.add(rs.getString(1));
    }
    for (String r : roles) superuser("postgres", "DROP ROLE " + r);
    try (var files = Files.walk(tmp)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  static void superuser(String db, String... sql) throws SQLException {
    try (Connection c = DbClient.open(DbClient.withDatabase(TestDatabase.adminUrl(),
        db)); Statement st = c.createStatement()) {
      for (String s : sql) st.execute(s);
    }
  }

  /** roles as main runs it, as the owner (--url), group GROUP; its output captured. */
  static Captured roles(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--url", ownerUrl, "--group", GROUP));
    return Captured.run(roles.commandLine(), all.toArray(String[]::new));
  }

  /** A new login NAME through --env-file; returns the bot's DATABASE_URL written there. */
  static String createLogin(String name) throws Exception {
    Path env = tmp.resolve(name + ".env");
    Captured r = roles("create-app-user", name, "--env-file", env.toString());
    assertEquals(0, r.code(), r.toString());
    assertEquals("rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(env)));
    String url = EnvFile.get(env, "DATABASE_URL");
    assertFalse(r.out().contains(DbClient.parse(url).password()) || r.err().contains(DbClient.parse(url).password()),
        "the password is never shown");
    return url;
  }

  static String sqlState(Connection c, String sql) {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
      return "ok";
    } catch (SQLException e) {
      return e.getSQLState();
    }
  }

  /** A table: its quoted name, whether an identity column is GENERATED ALWAYS, its writable columns. */
  record Table(String name, boolean identityAlways, String columns, String firstColumn) { }

  /** Every table of the schema, from the catalog: tables added by later migrations are in it without a change here. */
  static List<Table> tables(Connection c) throws SQLException {
    List<Table> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT c.oid::regclass::text, EXISTS"
        + " (SELECT 1"
        + " FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attidentity = 'a'), (SELECT"
        + " string_agg(quote_ident(a.attname),"
        + " ', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT"
        + " a.attisdropped"
        + " AND a.attgenerated = '') FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"
        + " AND c.relkind IN ('r', 'p') ORDER BY 1")) {
      while (rs.next()) out.add(new Table(rs.getString(1), rs.getBoolean(2), rs.getString(3),
          rs.getString(3).split(", ")[0]));
    }
    return out;
  }

  @Test void theBotsLoginMayRunEveryDmlStatementOnEveryTableAndNothingElse() throws Exception {
    String botUrl = createLogin("roles_test_bot");
    try (Connection bot = DbClient.open(botUrl)) {
      List<Table> tables = tables(bot);
      assertTrue(tables.size() >= 15, "every kodiai table: " + tables);
      for (Table t : tables) {
        String name = t.name(), cols = t.columns(), first = t.firstColumn();
        assertEquals("ok", sqlState(bot, "SELECT * FROM " + name + " LIMIT 1"), "SELECT " + name);
        assertEquals("ok", sqlState(bot, "INSERT INTO " + name + " (" + cols + ")"
            + (t.identityAlways() ? " OVERRIDING SYSTEM"
            + " VALUE" : "") + " SELECT " + cols + " FROM " + name + " WHERE false"), "INSERT " + name);
        assertEquals("ok", sqlState(bot, "UPDATE " + name + " SET " + first + " = " + first
            + " WHERE false"), "UPDATE " + name);
        assertEquals("ok", sqlState(bot, "DELETE FROM " + name + " WHERE false"), "DELETE " + name);
        for (String ddl : List.of("TRUNCATE " + name, "DROP TABLE " + name, "ALTER TABLE " + name + " ADD COLUMN x int",
            "CREATE INDEX ON " + name + " (" + first + ")", "ALTER TABLE " + name + " OWNER TO roles_test_bot",
            "CREATE TRIGGER t BEFORE INSERT ON " + name
                + " FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()"))
          assertEquals("42501", sqlState(bot, ddl), "refused: " + ddl);
      }
      for (String ddl : List.of("CREATE TABLE public.bot_table (id int)", "CREATE SCHEMA bot_schema",
          "CREATE FUNCTION public.bot_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'",
              "CREATE EXTENSION IF NOT EXISTS pg_trgm",
          "DROP FUNCTION public.tsquery_at_least(regconfig, text, integer)", "CREATE VIEW public.bot_view AS SELECT 1"))
        assertEquals("42501", sqlState(bot, ddl), "refused: " + ddl);
      theStoresStatementsWork(bot);
    }
  }

  /** Real rows as the stores write them: sequences, triggers writing other tables, upserts,
      the hybrid search function. */
  static void theStoresStatementsWork(Connection bot) throws Exception {
    bot.setAutoCommit(false);
    long review = insertReview(bot, "kodiai/xbmc", 24001);
    long finding = insertFinding(bot, review, "Unchecked return value", BIG_ID);
    assertEquals(1, insertReaction(bot, "kodiai/xbmc", review, finding, BIG_ID, BIG_ID + 1, "+1"));
    assertEquals(0, insertReaction(bot, "kodiai/xbmc", review, finding, BIG_ID, BIG_ID
        + 1, "+1"), "ON CONFLICT DO NOTHING");
    long memory = insertMemory(bot, "kodiai/xbmc", finding, "unchecked return value of fopen",
        unitVector(new Random(24)), false);
    assertEquals(1, longOf(bot,
        "SELECT count(*) FROM learning_memories_text_top('english', 'fopen', ARRAY['kodiai/xbmc'], 5)"));
    assertEquals(1, update(bot, "UPDATE learning_memories SET stale = true WHERE id = ?", memory));
    assertEquals(1, update(bot, "DELETE FROM reviews WHERE id = ?", review),
        "a cascade through findings and reactions");
    try (Statement st = bot.createStatement(); ResultSet rs = st.executeQuery("SELECT c.oid::regclass::text FROM"
        + " pg_class c"
        + " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'S'")) {
      List<String> sequences = new ArrayList<>();
      while (rs.next()) sequences.add(rs.getString(1));
      for (String s : sequences) assertTrue(longOf(bot, "SELECT nextval(?::regclass)", s) > 0, "nextval " + s);
    }
    bot.rollback();
    bot.setAutoCommit(true);
  }

  @Test void aTableOfALaterMigrationIsUsableWithoutAnotherGrant() throws Exception {
    String botUrl = createLogin("roles_test_later");
    Path later = Files.createDirectories(tmp.resolve("later-migrations"));
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) if (!Files.isDirectory(f)) Files.copy(f, later.resolve(f.getFileName()));
    }
    // the online kit that 070 uses (migrations/from-kodiai/online-kit.sql)
    Path kit = Files.createDirectories(later.resolve(KodiaiFiles.FROM_KODIAI)).resolve(ConversionKit.FILE);
    Files.copy(dir.resolve(KodiaiFiles.FROM_KODIAI).resolve(ConversionKit.FILE), kit);
    Files.writeString(later.resolve("900-later-table.sql"),
        "CREATE TABLE later_things (id bigint GENERATED BY DEFAULT AS IDENTITY"
        + " PRIMARY KEY, note text NOT NULL);\nCREATE FUNCTION later_count() RETURNS bigint LANGUAGE sql AS"
        + " 'SELECT count(*) FROM later_things';\n");
    Files.writeString(later.resolve("900-later-table.down.sql"),
        "DROP FUNCTION later_count();\nDROP TABLE later_things;\n");
    assertEquals(1, Migrations.run(ownerUrl, later, null), "the owner applies the later migration, nothing else");
    try (Connection bot = DbClient.open(botUrl)) {
      long id = longOf(bot, "INSERT INTO later_things (note) VALUES ('new') RETURNING id");
      assertEquals(1, update(bot, "UPDATE later_things SET note = 'changed' WHERE id = ?", id));
      assertEquals(1, longOf(bot, "SELECT later_count()"));
      assertEquals(1, update(bot, "DELETE FROM later_things WHERE id = ?", id));
      assertEquals("42501", sqlState(bot, "DROP TABLE later_things"));
    } finally {
      Captured down = Captured.run(migrate.commandLine(), "down", "" + LATEST_VERSION, "--dir", later.toString(),
          "--url", ownerUrl);
      assertEquals(0, down.code(), "back to the shipped migrations: " + down);
    }
  }

  @Test void aGivenPasswordIsSetOrRotatedAndNeverShown() throws Exception {
    String first = createLogin("roles_test_rotate");
    Path pwFile = tmp.resolve("new-password");
    String newPassword = "Rotated-" + SecretInput.generate();
    Files.writeString(pwFile, newPassword + "\n");
    Captured r = roles("create-app-user", "roles_test_rotate", "--password-file", pwFile.toString());
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("updated login role roles_test_rotate, member of " + GROUP
        + ", password changed"), r.out());
    assertFalse((r.out() + r.err()).contains(newPassword), "never shown");
    assertEquals(ExitCode.CANNOT_CONNECT, assertThrows(DbClient.DbException.class,
        () -> DbClient.open(first).close()).exitCode,
        "the old password no longer logs in");
    DbClient.Target t = DbClient.parse(first);
    try (Connection c = DbClient.open(DbClient.url(t.user(), newPassword, t.host(), t.port(), t.database()))) {
      assertTrue(c.isValid(2), "the new one does");
    }
    Captured again = roles("create-app-user", "roles_test_rotate");
    assertEquals(0, again.code(), again.toString());
    assertTrue(again.out().contains("password unchanged"), again.out());
  }

  @Test void refusalsAreKindsWithTheirExitCodesAndChangeNothing() throws Exception {
    record Case(Class<? extends AppRoles.Refused.Kind> kind, int exit, String[] args) { }
    superuser(database, "CREATE ROLE roles_test_plain NOLOGIN");
    List<Case> cases = List.of(
        new Case(AppRoles.Refused.NoPassword.class, 2, new String[] {"create-app-user", "roles_test_nopw"}),
        new Case(AppRoles.Refused.Reserved.class, 2, new String[] {"create-app-user", "pg_bot"}),
        new Case(AppRoles.Refused.BadName.class, 2, new String[] {"create-app-user",
            "Robert'); DROP TABLE reviews;--"}),
        new Case(AppRoles.Refused.NotAnAppUser.class, 2, new String[] {"create-app-user", OWNER, "--env-file", ""
            + tmp.resolve("o")}),
        new Case(AppRoles.Refused.NotAnAppUser.class, 2, new String[] {"create-app-user", "roles_test_plain",
            "--env-file",
            "" + tmp.resolve("p")}),
        new Case(AppRoles.Refused.NoSuchRole.class, 2, new String[] {"drop-app-user", "roles_test_nobody"}));
    for (Case c : cases) {
      List<String> before = roleNames();
      Captured r = roles(c.args());
      assertEquals(c.exit(), r.code(), String.join(" ", c.args()) + ": " + r);
      assertEquals(1, r.err().lines().filter(l -> l.startsWith("roles: error: ")).count(), r.err());
      assertFalse(r.err().contains("\tat "), "no stack trace");
      assertEquals(before, roleNames(), "nothing changed: " + String.join(" ", c.args()));
      AppRoles.Refused refused = assertThrows(AppRoles.Refused.class, () -> runVerb(c.args()));
      assertInstanceOf(c.kind(), refused.kind(), String.join(" ", c.args()));
    }
  }

  /** The verb's own exception (kinds are what the tests assert), with the owner's connection. */
  static void runVerb(String... args) throws Exception {
    try (Connection c = DbClient.open(ownerUrl)) {
      c.setAutoCommit(false);
      try {
        AppRoles r = new AppRoles(c, GROUP);
        r.checkOwner();
        switch (args[0]) {
          case "create-app-user" -> {
            AppRoles.checkName(args[1], "NAME");
            if (!r.roleExists(args[1]) && args.length == 2)
              throw new AppRoles.Refused(new AppRoles.Refused.NoPassword(args[1], roles.PASSWORD_ENV));
            r.ensureLogin(args[1], null, new ArrayList<>());
          }
          case "drop-app-user" -> r.dropLogin(args[1], new ArrayList<>());
          default -> fail(args[0]);
        }
      } finally {
        c.rollback();
      }
    }
  }

  static List<String> roleNames() throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DbClient.open(TestDatabase.adminUrl()); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT rolname || ':' || rolcanlogin FROM pg_roles WHERE rolname LIKE"
             + " 'roles\\_test\\_%'"
             + " ORDER BY 1")) {
      while (rs.next()) out.add(rs.getString(1));
    }
    return out;
  }

  /** A table the owner cannot grant is refused by name; an extension's own relations are not in the way. */
  @Test void tablesOfAnotherOwnerAreRefusedButAnExtensionsAreNot() throws Exception {
    superuser(database, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
        "CREATE TABLE roles_test_foreign_table (id int)");
    try {
      Captured r = roles("create-app-user", "roles_test_blocked", "--env-file", tmp.resolve("blocked.env").toString());
      assertEquals(ExitCode.USAGE, r.code(), r.toString());
      try (Connection c = DbClient.open(ownerUrl)) {
        var refused = assertThrows(AppRoles.Refused.class, () -> new AppRoles(c, GROUP).checkOwner());
        var kind = assertInstanceOf(AppRoles.Refused.NotItsTables.class, refused.kind());
        assertTrue(kind.foreign().startsWith("roles_test_foreign_table (owned by "), kind.foreign());
        assertFalse(kind.foreign().contains("pg_stat_statements"), "an extension's view is not the schema's: " + kind);
      }
    } finally {
      superuser(database, "DROP TABLE roles_test_foreign_table");
    }
    Captured ok = roles("create-app-user", "roles_test_blocked", "--env-file", tmp.resolve("blocked.env").toString());
    assertEquals(0, ok.code(), "with pg_stat_statements in the schema: " + ok);
  }

  @Test void aUrlThatMayNotCreateRolesOrAPoolerIsRefused() throws Exception {
    String botUrl = createLogin("roles_test_notowner");
    Captured asBot = Captured.run(roles.commandLine(), "create-app-user", "roles_test_x", "--url", botUrl, "--group",
        GROUP, "--env-file", tmp.resolve("x.env").toString());
    assertEquals(ExitCode.USAGE, asBot.code(), asBot.toString());
    try (Connection c = DbClient.open(botUrl)) {
      var refused = assertThrows(AppRoles.Refused.class, () -> new AppRoles(c, GROUP).checkOwner());
      assertEquals(new AppRoles.Refused.NotAnOwner("roles_test_notowner"), refused.kind());
    }
    // The test pooler knows only the server's admin; the pooler check comes before any other.
    String ownerThroughPooler = TestPooler.url(database, TestPooler.Mode.TRANSACTION);
    Captured viaPooler = Captured.run(roles.commandLine(), "status", "--url", ownerThroughPooler, "--group", GROUP);
    assertEquals(0, viaPooler.code(), "status reads only: " + viaPooler);
    Captured create = Captured.run(roles.commandLine(), "create-app-user", "roles_test_y", "--url", ownerThroughPooler,
        "--group", GROUP, "--env-file", tmp.resolve("y.env").toString());
    assertEquals(ExitCode.POOLER, create.code(), create.toString());
    assertFalse(roleNames().contains("roles_test_y:true"));
  }

  @Test void droppingALoginCutsItsOpenSessionAndDropGroupRevokesEverything() throws Exception {
    String botUrl = createLogin("roles_test_dropme");
    try (Connection open = DbClient.open(botUrl)) {
      assertEquals("ok", sqlState(open, "SELECT count(*) FROM reviews"));
      Captured dropGroupFirst = roles("drop-group");
      assertEquals(ExitCode.USAGE, dropGroupFirst.code(), "refused while logins remain: " + dropGroupFirst);
      Captured r = roles("drop-app-user", "roles_test_dropme");
      assertEquals(0, r.code(), r.toString());
      assertNotEquals("ok", sqlState(open, "SELECT count(*) FROM reviews"), "the open session can no longer read");
    }
    assertFalse(roleNames().stream().anyMatch(n -> n.startsWith("roles_test_dropme:")), "dropped");
    for (String login : roleNames()) {
      String name = login.substring(0, login.indexOf(':'));
      if (login.endsWith(":true") && !name.equals(OWNER)) assertEquals(0, roles("drop-app-user", name).code(), name);
    }
    Captured status = roles("status");
    assertTrue(status.out().contains("members (none)"), status.out());
    Captured drop = roles("drop-group");
    assertEquals(0, drop.code(), drop.toString());
    assertFalse(roleNames().contains(GROUP + ":false"), "the group is gone");
    try (Connection c = DbClient.open(ownerUrl); Statement st = c.createStatement()) {
      assertEquals(0, count(st,
          "SELECT count(*) FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE a.grantee NOT IN"
          + " (SELECT oid FROM pg_roles)"), "no default privilege left for a dropped role");
    }
    assertEquals(0, roles("create-app-user", "roles_test_back", "--env-file",
        tmp.resolve("back.env").toString()).code(),
        "and it can be made again");
  }

  /**
   * PostgreSQL 16 changed CREATEROLE: the owner may alter only the roles it created (it holds their ADMIN
   * OPTION). A login made by someone else is taken over on 15 and refused on 17 (exit 1, nothing changed).
   */
  @Test void aLoginSomeoneElseMadeIsTakenOverOnFifteenAndRefusedFromSixteenOn() throws Exception {
    superuser("postgres", "CREATE ROLE roles_test_foreign LOGIN");
    Captured r = roles("create-app-user", "roles_test_foreign");
    if (TestDatabase.serverMajor() < 16) {
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("updated login role roles_test_foreign"), r.out());
    } else {
      assertEquals(ExitCode.FAILED, r.code(), r.toString());
      var refused = assertInstanceOf(RolesFailure.DatabaseRefused.class, r.kind(), r.toString());
      assertEquals("42501", refused.sqlState(), "insufficient_privilege: " + refused);
      assertTrue(roleNames().contains("roles_test_foreign:true"));
    }
  }
}
