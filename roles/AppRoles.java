// Shared source (//SOURCES roles/*.java; needs cli/, DbClient.java): the bot's least-privilege roles.
//
// A group role (NOLOGIN, default kodiai_app) holds exactly what the bot needs: SELECT, INSERT, UPDATE,
// DELETE on every table of the schema, USAGE, SELECT, UPDATE on its sequences, EXECUTE on the schema's
// own functions (not pgvector's, which PUBLIC may run anyway), USAGE on the schema. No CREATE,
// TRUNCATE, REFERENCES, TRIGGER, MAINTAIN, no ownership: the bot cannot change the schema nor drop a
// table. Default privileges of the role that runs the migrations give the group every table,
// sequence and function a later migration creates, with no second grant. Login roles (one per bot
// deployment) are members of the group and have nothing of their own.
//
// Everything a verb does runs in one transaction (role DDL, GRANT and ALTER DEFAULT PRIVILEGES are
// transactional): it happens whole or not at all. Works for a non-superuser with CREATEROLE (Azure's
// admin): on PostgreSQL 16+ such a role may grant and drop only the roles it created (it holds their
// ADMIN OPTION), which is exactly the group and the logins this code makes.

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

final class AppRoles {
  static final String DEFAULT_GROUP = "kodiai_app";
  static final String TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE";
  static final String SEQUENCE_PRIVILEGES = "USAGE, SELECT, UPDATE";

  /**
   * Why a verb refused, before changing anything: one record per kind, carrying the names involved.
   * Every kind is a usage error (exit 2) but Pooler (11); each sentence ends in "nothing changed".
   */
  static final class Refused extends Failure {
    sealed interface Kind extends Failure.Kind permits BadName, Reserved, NoPassword, NotAnOwner, NotItsTables,
        NotAGroup, NotAnAppUser, NoSuchRole, HasMembers, Pooler {
      default int exitCode() { return ExitCode.USAGE; }
    }

    Refused(Kind kind) { super(kind); }

    @Override Kind kind() { return (Kind) super.kind(); }

    /** `what` (NAME, --group) is not a plain role name. */
    record BadName(String what, String name) implements Kind {
      public String describe() {
        return what + " '" + name + "' is not a plain role name: use 1-63 lowercase letters, digits and '_',"
            + " starting with a letter or '_'";
      }
    }

    /** `what` names a reserved role (pg_*, azure_*, public, ...) or the group itself. */
    record Reserved(String what, String name) implements Kind {
      public String describe() {
        return what + " '" + name + "' is reserved (pg_*, azure_*, public, the group): choose another name";
      }
    }

    /** A new login and no password from anywhere. */
    record NoPassword(String name, String passwordEnv) implements Kind {
      public String describe() {
        return "login role " + name + " is new and no password was given: set " + passwordEnv
            + ", pass --password-file FILE, or pass --env-file FILE to generate one into it; nothing changed";
      }
    }

    /** The session's role may not create roles. */
    record NotAnOwner(String user) implements Kind {
      public String describe() {
        return "role " + user + " may not create roles (no CREATEROLE): run roles with the URL migrate uses"
            + " (MIGRATE_DATABASE_URL: the server's admin); nothing changed";
      }
    }

    /** Objects of the schema (`foreign`: "name (owned by role)", ...) that the migrating role cannot grant. */
    record NotItsTables(String schema, String migrator, String foreign) implements Kind {
      public String describe() {
        return "these objects of schema " + schema + " are not owned by " + migrator
            + " (who runs the migrations), so it cannot grant them: " + foreign + "; nothing changed";
      }
    }

    /** --group names a login role. */
    record NotAGroup(String group) implements Kind {
      public String describe() {
        return "--group " + group + " is a login role, not a group: choose another --group; nothing changed";
      }
    }

    /** NAME exists with rights an app user does not have (`why`: the attributes or memberships). */
    record NotAnAppUser(String name, String why) implements Kind {
      public String describe() {
        return "role " + name + " exists and is not an app user (" + why
            + "): roles changes only the login roles it makes; choose another NAME; nothing changed";
      }
    }

    record NoSuchRole(String name) implements Kind {
      public String describe() { return "there is no role " + name + "; nothing changed"; }
    }

    /** drop-group while login roles remain in it. */
    record HasMembers(String group, List<String> members) implements Kind {
      public String describe() {
        return "group " + group + " still has login roles: " + String.join(", ", members)
            + "; drop them first (roles drop-app-user NAME); nothing changed";
      }
    }

    /** The URL names a connection pooler; role changes need the server's own address. */
    record Pooler() implements Kind {
      public int exitCode() { return ExitCode.POOLER; }
      public String describe() {
        return "the URL names a connection pooler: role changes need PostgreSQL's own address"
            + " (MIGRATE_DATABASE_URL, port 5432 on Azure); nothing changed";
      }
    }
  }

  private final Connection c;
  final String group;
  private final Ctx ctx;

  /** What the session is: who runs it, the schema, the role whose new objects get default privileges. */
  record Ctx(String user, boolean superuser, boolean createRole, String schema, String migrator, String database) { }

  AppRoles(Connection c, String group) throws SQLException {
    this.c = c;
    this.group = checkName(group, "--group");
    this.ctx = context(c);
  }

  Ctx ctx() { return ctx; }

  /** A role name: lowercase letters, digits and '_', starting with a letter or '_'; not reserved (pg_, azure_). */
  static String checkName(String name, String what) {
    if (name == null || !name.matches("[a-z_][a-z0-9_]{0,62}"))
      throw new Refused(new Refused.BadName(what, name));
    if (name.startsWith("pg_") || name.startsWith("azure_") || List.of("public", "none", "current_user", "session_user",
        "current_role").contains(name))
      throw new Refused(new Refused.Reserved(what, name));
    return name;
  }

  /**
   * Refuses a pooler, a session that may not create roles, and tables this session's role cannot grant.
   * Relations of an extension (pg_stat_statements' views, which Azure may own) are not the schema's
   * own: their extension decides their rights, and GRANT ON ALL TABLES only warns about them.
   */
  void checkOwner() throws SQLException {
    if (DbClient.throughPooler(c))
      throw new Refused(new Refused.Pooler());
    if (!ctx.superuser() && !ctx.createRole())
      throw new Refused(new Refused.NotAnOwner(ctx.user()));
    String foreign = one("SELECT string_agg(format('%s (owned by %s)', c.relname, pg_get_userbyid(c.relowner)), ', ')"
        + " FROM pg_class c WHERE c.relnamespace = ?::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
        + " AND NOT pg_has_role(?, c.relowner, 'USAGE') AND NOT EXISTS (SELECT 1 FROM pg_depend d"
        + " WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')",
        ctx.schema(), ctx.migrator());
    if (foreign != null)
      throw new Refused(new Refused.NotItsTables(ctx.schema(), ctx.migrator(), foreign));
  }

  /** Creates the group if missing and (re)grants it everything it should have, now and for later migrations. */
  void ensureGroup(List<String> log) throws SQLException {
    if (!roleExists(group)) {
      exec("CREATE ROLE " + q(group) + " NOLOGIN NOINHERIT");
      log.add("created group role " + group + " (NOLOGIN)");
    } else if (canLogin(group)) {
      throw new Refused(new Refused.NotAGroup(group));
    }
    if (has("SELECT has_database_privilege(current_user, current_database(), 'CONNECT WITH GRANT OPTION')"))
      exec("GRANT CONNECT ON DATABASE " + q(ctx.database()) + " TO " + q(group));
    if (has("SELECT has_schema_privilege(current_user, current_schema(), 'USAGE WITH GRANT OPTION')"))
      exec("GRANT USAGE ON SCHEMA " + q(ctx.schema()) + " TO " + q(group));
    String in = " IN SCHEMA " + q(ctx.schema()) + " TO " + q(group);
    exec("GRANT " + TABLE_PRIVILEGES + " ON ALL TABLES" + in);
    exec("GRANT " + SEQUENCE_PRIVILEGES + " ON ALL SEQUENCES" + in);
    for (String f : ownFunctions()) exec("GRANT EXECUTE ON FUNCTION " + f + " TO " + q(group));
    String dflt = "ALTER DEFAULT PRIVILEGES FOR ROLE " + q(ctx.migrator()) + " IN SCHEMA " + q(ctx.schema())
        + " GRANT ";
    exec(dflt + TABLE_PRIVILEGES + " ON TABLES TO " + q(group));
    exec(dflt + SEQUENCE_PRIVILEGES + " ON SEQUENCES TO " + q(group));
    exec(dflt + "EXECUTE ON FUNCTIONS TO " + q(group));
    log.add("group " + group + ": " + TABLE_PRIVILEGES + " on " + count("'r', 'p', 'v', 'm', 'f'") + " tables, "
        + SEQUENCE_PRIVILEGES + " on " + count("'S'") + " sequences of schema " + ctx.schema()
        + ", and the same on what later migrations of " + ctx.migrator() + " create");
  }

  /**
   * Creates login role `name` in the group, or brings an existing one back to exactly that (LOGIN, no
   * other attribute, member of the group); sets its password when one is given (hashed here: the server
   * and its log see only the SCRAM verifier). True when the role was created.
   */
  boolean ensureLogin(String name, char[] password, List<String> log) throws SQLException {
    checkName(name, "NAME");
    if (name.equals(group))
      throw new Refused(new Refused.Reserved("NAME", name));
    boolean created = !roleExists(name);
    if (created) {
      exec("CREATE ROLE " + q(name) + " LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
    } else {
      checkAppUser(name); // it has none of the other attributes (naming them in ALTER ROLE would need a superuser)
      exec("ALTER ROLE " + q(name) + " LOGIN INHERIT");
    }
    exec("GRANT " + q(group) + " TO " + q(name));
    if (password != null) c.unwrap(org.postgresql.PGConnection.class).alterUserPassword(name, password,
        "scram-sha-256");
    log.add((created ? "created" : "updated") + " login role " + name + ", member of " + group
        + (password != null ? ", password " + (created ? "set" : "changed") : ", password unchanged"));
    return created;
  }

  /** Takes `name` out of the group (its sessions lose every right at their next statement) and drops it. */
  void dropLogin(String name, List<String> log) throws SQLException {
    checkName(name, "NAME");
    if (!roleExists(name)) throw new Refused(new Refused.NoSuchRole(name));
    checkAppUser(name);
    if (memberOf(name, group)) exec("REVOKE " + q(group) + " FROM " + q(name));
    int ended = terminateSessions(name);
    exec("DROP ROLE " + q(name));
    log.add("dropped login role " + name + (ended > 0 ? " and ended its " + ended + " session(s)" : ""));
  }

  /** Revokes everything the group was given (now and by default) and drops it; refused while it has members. */
  void dropGroup(List<String> log) throws SQLException {
    if (!roleExists(group)) throw new Refused(new Refused.NoSuchRole(group));
    List<String> members = members();
    if (!members.isEmpty())
      throw new Refused(new Refused.HasMembers(group, members));
    String dflt = "ALTER DEFAULT PRIVILEGES FOR ROLE " + q(ctx.migrator()) + " IN SCHEMA " + q(ctx.schema())
        + " REVOKE ";
    exec(dflt + "ALL ON TABLES FROM " + q(group));
    exec(dflt + "ALL ON SEQUENCES FROM " + q(group));
    exec(dflt + "ALL ON FUNCTIONS FROM " + q(group));
    String from = " IN SCHEMA " + q(ctx.schema()) + " FROM " + q(group);
    exec("REVOKE ALL ON ALL TABLES" + from);
    exec("REVOKE ALL ON ALL SEQUENCES" + from);
    exec("REVOKE ALL ON ALL FUNCTIONS" + from);
    exec("REVOKE ALL ON SCHEMA " + q(ctx.schema()) + " FROM " + q(group));
    exec("REVOKE ALL ON DATABASE " + q(ctx.database()) + " FROM " + q(group));
    exec("DROP ROLE " + q(group));
    log.add("revoked every privilege of group " + group + " in database " + ctx.database() + " and dropped it");
  }

  /** One line per fact, for `roles status`. */
  List<String> status() throws SQLException {
    List<String> out = new ArrayList<>();
    out.add("database " + ctx.database() + ", schema " + ctx.schema() + ", migrations run by " + ctx.migrator()
        + "; this session: " + ctx.user()
        + (ctx.superuser() ? " (superuser)" : ctx.createRole() ? " (CREATEROLE)" : ""));
    if (!roleExists(group)) {
      out.add("group " + group + ": missing (create it with: roles create-app-user NAME)");
      return out;
    }
    out.add("group " + group + ": members " + (members().isEmpty() ? "(none)" : String.join(", ", members())));
    String missing = one("SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace ="
        + " ?::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT has_table_privilege(?, c.oid,"
        + " 'SELECT, INSERT, UPDATE, DELETE')", ctx.schema(), group);
    out.add("tables: " + count("'r', 'p', 'v', 'm', 'f'") + (missing == null ? ", all readable and writable by " + group
        : "; without the group's rights: " + missing + " (run create-app-user again)"));
    String dflt = one("SELECT string_agg(DISTINCT d.defaclobjtype::text, '') FROM pg_default_acl d,"
        + " aclexplode(d.defaclacl) a"
        + " WHERE a.grantee = to_regrole(?) AND d.defaclrole = to_regrole(?)", group, ctx.migrator());
    out.add("default privileges for what " + ctx.migrator() + " creates later: "
        + (dflt == null ? "none" : "tables " + yes(dflt, 'r') + ", sequences " + yes(dflt, 'S') + ", functions "
        + yes(dflt, 'f')));
    return out;
  }

  // --------------------------------------------------------------------------- plumbing

  private static String yes(String kinds, char kind) { return kinds.indexOf(kind) >= 0 ? "yes" : "no"; }

  private static Ctx context(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_user, r.rolsuper,"
        + " r.rolcreaterole, current_schema(), coalesce((SELECT pg_get_userbyid(t.relowner) FROM pg_class t"
        + " WHERE t.oid = to_regclass('_migrations')), current_user), current_database()"
        + " FROM pg_roles r WHERE r.rolname = current_user")) {
      rs.next();
      return new Ctx(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), rs.getString(4), rs.getString(5),
          rs.getString(6));
    }
  }

  /** A login role this code may change: LOGIN, no attribute beyond it, owns nothing here, not this session's user. */
  private void checkAppUser(String name) throws SQLException {
    String why = one("SELECT concat_ws(', ', CASE WHEN r.rolname = current_user THEN 'it is this session''s user' END,"
        + " CASE WHEN r.rolsuper THEN 'superuser' END, CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,"
        + " CASE WHEN r.rolcreatedb THEN 'CREATEDB' END, CASE WHEN r.rolreplication THEN 'REPLICATION' END,"
        + " CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END, CASE WHEN NOT r.rolcanlogin THEN 'cannot log in (a"
        + " group?)' END,"
        + " CASE WHEN EXISTS (SELECT 1 FROM pg_class WHERE relowner = r.oid) THEN 'owns tables' END,"
        + " CASE WHEN EXISTS (SELECT 1 FROM pg_database WHERE datdba = r.oid) THEN 'owns a database' END)"
        + " FROM pg_roles r WHERE r.rolname = ?", name);
    if (why != null && !why.isEmpty())
      throw new Refused(new Refused.NotAnAppUser(name, why));
  }

  /** Ends the role's sessions where this session may (a savepoint keeps a refusal from aborting the verb). */
  private int terminateSessions(String name) throws SQLException {
    java.sql.Savepoint sp = c.setSavepoint();
    try {
      int n = Integer.parseInt(one("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
          + " WHERE usename = ?", name));
      c.releaseSavepoint(sp);
      return n;
    } catch (SQLException e) {
      c.rollback(sp); // not allowed to signal them (16+ without pg_signal_backend): they lost the rights already
      return 0;
    }
  }

  private List<String> ownFunctions() throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT p.oid::regprocedure::text FROM pg_proc p"
        + " WHERE p.pronamespace = ?::regnamespace AND pg_has_role(?, p.proowner, 'USAGE') AND NOT EXISTS"
        + " (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
        + " ORDER BY 1")) {
      ps.setString(1, ctx.schema());
      ps.setString(2, ctx.migrator());
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) out.add(rs.getString(1)); }
    }
    return out;
  }

  /**
   * The group's logins. Administrators are left out: from PostgreSQL 16 on, the role that creates a role
   * is made a member of it with ADMIN OPTION only (no INHERIT, no SET), which is how it may manage it.
   */
  private List<String> members() throws SQLException {
    String all = one("SELECT string_agg(m.rolname, ', ' ORDER BY m.rolname) FROM pg_auth_members a"
        + " JOIN pg_roles m ON m.oid = a.member WHERE a.roleid = to_regrole(?) AND NOT m.rolsuper AND NOT"
        + " m.rolcreaterole",
        group);
    return all == null ? List.of() : List.of(all.split(", "));
  }

  private String count(String kinds) throws SQLException {
    return one("SELECT count(*) FROM pg_class WHERE relnamespace = ?::regnamespace AND relkind IN (" + kinds
        + ")", ctx.schema());
  }

  boolean roleExists(String name) throws SQLException { return one("SELECT 1 FROM pg_roles WHERE rolname = ?",
      name) != null; }
  private boolean canLogin(String name) throws SQLException {
    return "t".equals(one("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?", name));
  }
  private boolean memberOf(String member, String role) throws SQLException {
    return one("SELECT 1 FROM pg_auth_members WHERE member = to_regrole(?) AND roleid = to_regrole(?)", member,
        role) != null;
  }

  private boolean has(String sql) throws SQLException { return "t".equals(one(sql)); }

  private String one(String sql, String... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setString(i + 1, params[i]);
      try (ResultSet rs = ps.executeQuery()) { return rs.next() ? rs.getString(1) : null; }
    }
  }

  private void exec(String sql) throws SQLException {
    try (Statement st = c.createStatement()) { st.execute(sql); }
  }

  /** A quoted identifier (names are checked to be plain already; the schema and database may not be). */
  static String q(String identifier) { return "\"" + identifier.replace("\"", "\"\"") + "\""; }
}
