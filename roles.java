///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES cli/*.java secret/*.java DbClient.java roles/*.java
//DESCRIPTION The bot's least-privilege database login: a group role that may only read and write kodiai's rows, and login roles in it (create-app-user, drop-app-user, drop-group, status).
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "roles", mixinStandardHelpOptions = true, version = "roles 1.0",
    description = {"The bot's own database login, with only the rights it needs. A group role (--group, default "
        + AppRoles.DEFAULT_GROUP + ")",
        "may SELECT, INSERT, UPDATE and DELETE on every table and use every sequence of the schema, and nothing else",
        "(no CREATE, ALTER, DROP, TRUNCATE, no ownership); tables of later migrations come by default privileges.",
        "Each login role the bot uses is a member of it. Run with the URL migrate uses (MIGRATE_DATABASE_URL: the",
        "server's admin; CREATEROLE is enough), PostgreSQL's own address, not a pooler. Each verb runs in one",
        "transaction: all of it happens, or nothing. Details: docs/roles.md"},
    subcommands = {roles.CreateAppUser.class, roles.DropAppUser.class, roles.DropGroup.class, roles.Status.class},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  done", "  1  the database refused a statement (everything of the verb was rolled back)",
        "  2  usage error: a bad name or option, no password for a new login, a URL whose user may not create",
        "     roles or does not own the tables, a NAME that is not a plain login role, drop-group while logins",
        "     remain; nothing changed",
        "  3  cannot connect or authenticate (also a TLS certificate that does not verify)",
        "  8  the --env-file could not be written; nothing changed",
        " 11  the URL names a connection pooler; nothing changed",
        "(the same numbers mean the same in every kodiai-db command: see README.md)",
        "%nEnvironment: MIGRATE_DATABASE_URL, then DATABASE_URL (--url); KODIAI_APP_PASSWORD (the new login's",
        "password; KODIAI_APP_PASSWORD_FILE / --password-file wins); KODIAI_APP_GROUP (--group);",
        "DATABASE_CONNECT_TIMEOUT_MS (default 10000)."})
public class roles implements Callable<Integer> {
  static final String PASSWORD_ENV = "KODIAI_APP_PASSWORD";
  static final String ENV_HEADER = "# kodiai bot's database login ";

  /** Options every verb takes, before or after the verb. */
  static class Common {
    @Option(names = "--url", scope = ScopeType.INHERIT,
        defaultValue = "${env:MIGRATE_DATABASE_URL:-${env:DATABASE_URL}}",
        description = "The owner's URL, PostgreSQL's own address (default: $MIGRATE_DATABASE_URL, else $DATABASE_URL).")
    String url;
    @Option(names = "--group", scope = ScopeType.INHERIT, paramLabel = "ROLE",
        defaultValue = "${env:KODIAI_APP_GROUP:-" + AppRoles.DEFAULT_GROUP + "}",
        description = "The group role (env KODIAI_APP_GROUP; default: ${DEFAULT-VALUE}).")
    String group;
    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT, description = "Show stack traces of errors.")
    boolean verbose;
  }

  @Mixin Common common;
  @Spec CommandSpec spec;

  @Override public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "say what to do: create-app-user NAME, drop-app-user NAME, drop-group or status");
  }

  @Command(name = "create-app-user", mixinStandardHelpOptions = true,
      description = {"Creates login role NAME in the group, or brings an existing one back to exactly that.",
          "The group and its grants are created too, if needed. Its password: KODIAI_APP_PASSWORD, or"
              + " --password-file, or one generated",
          "into --env-file; an existing login keeps its password when none is given. The password is never printed."})
  static class CreateAppUser implements Callable<Integer> {
    @CommandLine.ParentCommand roles parent;
    @Parameters(index = "0", paramLabel = "NAME", description = "The bot's login role, e.g. kodiai_bot.") String name;
    @Option(names = "--password-file", paramLabel = "FILE", defaultValue = "${env:KODIAI_APP_PASSWORD_FILE}",
        description = "Read the password from FILE (one line; env KODIAI_APP_PASSWORD_FILE). Wins over "
            + PASSWORD_ENV + ".")
    Path passwordFile;
    @Option(names = "--env-file", paramLabel = "FILE",
        description = "Set DATABASE_URL (the bot's URL, with the password) in FILE, mode 0600; other lines are kept."
            + " Without a given password, a strong one is generated into it.")
    Path envFile;

    @Override public Integer call() throws Exception {
      return parent.createAppUser(name, passwordFile, envFile);
    }
  }

  @Command(name = "drop-app-user", mixinStandardHelpOptions = true,
      description = "Takes login role NAME out of the group (its open sessions lose every right at once), ends its"
          + " sessions where allowed, and drops it.")
  static class DropAppUser implements Callable<Integer> {
    @CommandLine.ParentCommand roles parent;
    @Parameters(index = "0", paramLabel = "NAME") String name;
    @Override public Integer call() throws Exception {
      return parent.inTransaction(r -> r.dropLogin(name, parent.log));
    }
  }

  @Command(name = "drop-group", mixinStandardHelpOptions = true,
      description = "Revokes everything the group was given, now and by default, and drops it; refused while login"
          + " roles remain.")
  static class DropGroup implements Callable<Integer> {
    @CommandLine.ParentCommand roles parent;
    @Override public Integer call() throws Exception { return parent.inTransaction(r -> r.dropGroup(parent.log)); }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows the group, its members and its grants; changes nothing.")
  static class Status implements Callable<Integer> {
    @CommandLine.ParentCommand roles parent;
    @Override public Integer call() throws Exception {
      try (Connection c = parent.connect()) {
        new AppRoles(c, parent.common.group).status().forEach(parent.spec.commandLine().getOut()::println);
        return ExitCode.OK;
      }
    }
  }

  final List<String> log = new ArrayList<>();
  private String secret; // the password this run handles, scrubbed from every message

  int createAppUser(String name, Path passwordFile, Path envFile) throws Exception {
    AppRoles.checkName(name, "NAME");
    SecretInput.Secret given = SecretInput.read(passwordFile, "--password-file", System.getenv(PASSWORD_ENV),
        PASSWORD_ENV,
        "password");
    if (envFile != null && (Files.isDirectory(envFile) || !Files.isDirectory(envFile.toAbsolutePath().getParent()))) {
      throw new RolesFailure(new RolesFailure.EnvFilePlace(envFile.toString()));
    }
    secret = given == null ? null : given.value();
    return inTransaction(r -> {
      r.checkOwner();
      boolean exists = r.roleExists(name);
      if (secret == null && !exists && envFile == null) {
        throw new AppRoles.Refused(new AppRoles.Refused.NoPassword(name, PASSWORD_ENV));
      }
      if (secret == null && !exists) secret = SecretInput.generate();
      r.ensureGroup(log);
      r.ensureLogin(name, secret == null ? null : secret.toCharArray(), log);
      String botUrl = botUrl(name, secret);
      if (envFile != null && secret != null) writeEnvFile(envFile, name,
          botUrl); // before the commit: never a lost password
      log.add("the bot's DATABASE_URL: " + DbClient.parse(botUrl).redacted().replace(":***@", ":<password>@")
          + (envFile != null && secret != null ? " (written to " + envFile + ", mode 600)" : ""));
    });
  }

  /** The bot's URL: this server and database, NAME and its password, the owner URL's sslmode (nothing else). */
  String botUrl(String name, String password) {
    DbClient.Target owner = DbClient.parse(common.url);
    Map<String, String> params = new LinkedHashMap<>();
    if (owner.params().containsKey("sslmode")) params.put("sslmode", owner.params().get("sslmode"));
    return new DbClient.Target(owner.host(), owner.port(), owner.database(), name, password == null ? "" : password,
        params).url();
  }

  /** DATABASE_URL in FILE; an owner's URL kept there as DATABASE_URL (older provision) becomes MIGRATE_DATABASE_URL. */
  void writeEnvFile(Path file, String name, String url) {
    try {
      String current = EnvFile.get(file, "DATABASE_URL");
      if (current != null && EnvFile.get(file, "MIGRATE_DATABASE_URL") == null && !name.equals(userOf(current))) {
        EnvFile.rename(file, "DATABASE_URL", "MIGRATE_DATABASE_URL");
        log.add("kept the owner's URL of " + file + " as MIGRATE_DATABASE_URL (it was DATABASE_URL)");
      }
      String header = ENV_HEADER + name + ", written by roles. Keep this file private.";
      EnvFile.set(file, ENV_HEADER, header, "DATABASE_URL", url);
    } catch (IOException e) {
      throw new RolesFailure(new RolesFailure.EnvFileUnwritable(file.toString(), e.getMessage()));
    }
  }

  private static String userOf(String url) {
    try {
      return DbClient.parse(url).user();
    } catch (RuntimeException e) {
      return null;
    }
  }

  interface Work { void run(AppRoles r) throws SQLException; }

  /** Runs `work` in one transaction on the owner's connection, prints what it did; a server error rolls it all back. */
  int inTransaction(Work work) throws SQLException {
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      try {
        AppRoles r = new AppRoles(c, common.group);
        work.run(r);
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw new RolesFailure(new RolesFailure.DatabaseRefused(e.getSQLState(),
            DbClient.scrub(DbClient.firstLine(e.getMessage()), secret)));
      } catch (RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    log.forEach(spec.commandLine().getOut()::println);
    return ExitCode.OK;
  }

  Connection connect() {
    DbClient.requireUrl(common.url);
    if (DbClient.parse(common.url).hasPassword() && !common.url.equals(System.getenv("DATABASE_URL"))
        && !common.url.equals(System.getenv("MIGRATE_DATABASE_URL")))
      spec.commandLine().getErr().println("roles: warning: a password in --url is visible to other users of this"
          + " machine (ps); prefer MIGRATE_DATABASE_URL");
    DbClient.Settings settings = DbClient.Settings.fromEnv(System.getenv());
    settings.applicationName = "kodiai-roles";
    return DbClient.open(DbClient.parse(common.url), settings);
  }

  String scrub(String message) { return DbClient.scrub(message, secret); }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** main without System.exit: the one error handler, passwords scrubbed. */
  static int execute(String... args) {
    CommandLine cl = commandLine();
    int code = cl.execute(args);
    cl.getOut().flush(); // picocli's writers buffer; System.exit does not flush them
    return code;
  }

  /** The command as main runs it; the tests give it writers of their own (tests/harness/Captured). */
  static CommandLine commandLine() {
    roles app = new roles();
    return Cli.commandLine(app, app::scrub);
  }
}
