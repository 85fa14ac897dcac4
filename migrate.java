///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.postgresql:postgresql:42.7.8
//DEPS com.pgvector:pgvector:0.1.6
//DEPS com.zaxxer:HikariCP:6.3.0
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-nop:2.0.17
//SOURCES cli/Cli.java DbClient.java migration/MigrationSource.java migration/Migrator.java migration/AdvisoryLock.java
//FILES migrations/=migrations/*.sql
//DESCRIPTION Applies and rolls back kodiai's PostgreSQL migrations (up, down, status, validate, resolve, new); safe with many runners at once.
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:cds=off -Xlog:cds+dynamic=off
//CDS

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "migrate", mixinStandardHelpOptions = true, version = "migrate 1.0",
    description = "Applies and rolls back the SQL migrations of kodiai's database. With no command: up.",
    subcommands = {migrate.Up.class, migrate.Down.class, migrate.Status.class, migrate.Validate.class,
        migrate.Resolve.class, migrate.New.class},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  success", "  1  a migration failed (its changes were rolled back, or it is recorded as failed)",
        "  2  usage error (bad option, missing DATABASE_URL, malformed URL)", "  3  cannot connect or authenticate",
        "  4  timed out waiting for another runner's lock", "  5  validation failed (edited, missing or misnamed files; nothing ran)",
        "%nEnvironment: DATABASE_URL (postgresql://USER:PASSWORD@HOST:5432/DB?sslmode=require), DATABASE_CONNECT_TIMEOUT_MS,",
        "DATABASE_LOCK_TIMEOUT_MS (DDL lock wait, default 10000), DATABASE_STATEMENT_TIMEOUT_MS (default 0: none for migrations)."})
public class migrate implements Callable<Integer> {

  /** Options every verb takes. */
  static class Common {
    @Option(names = "--url", defaultValue = "${env:DATABASE_URL}", description = "Database URL (default: $DATABASE_URL).")
    String url;
    @Option(names = "--dir", description = "Folder of NNN-name.sql files (default: the migrations shipped with this tool).")
    Path dir;
    @Option(names = "--lock-timeout", defaultValue = "60", description = "Seconds to wait for another runner (default: ${DEFAULT-VALUE}).")
    int lockTimeoutSeconds;
    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "${env:MIGRATE_WAIT_SECONDS:-0}",
        description = "Wait up to SECONDS for the database to accept connections, as at boot (env MIGRATE_WAIT_SECONDS; default: ${DEFAULT-VALUE}).")
    int waitSeconds;
    @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
    boolean verbose;
    @Option(names = {"-q", "--quiet"}, description = "Print only errors and the summary.")
    boolean quiet;
  }

  @Mixin Common common;

  @Override public Integer call() throws Exception { return new Up().run(common, null, false); }

  @Command(name = "up", mixinStandardHelpOptions = true, description = "Apply pending migrations in version order.")
  static class Up implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--to", description = "Stop after this version.") Integer to;
    @Option(names = "--dry-run", description = "Print what would be applied; change nothing.") boolean dryRun;
    public Integer call() throws Exception { return run(common, to, dryRun); }

    int run(Common c, Integer to, boolean dryRun) throws SQLException {
      long t0 = System.nanoTime();
      return withMigrator(c, m -> {
        int applied = m.migrate(to, dryRun);
        var entries = m.status();
        long pending = entries.stream().filter(e -> e.state() == Migrator.State.PENDING).count();
        int at = entries.stream().filter(e -> e.state() == Migrator.State.APPLIED).mapToInt(Migrator.Entry::version).max().orElse(0);
        System.out.printf("migrate: %s%d applied, %d pending, at version %d (%.2f s)%n", dryRun ? "dry run: " : "",
            applied, pending, at, (System.nanoTime() - t0) / 1e9);
        return Migrator.OK;
      });
    }
  }

  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Roll back every applied migration above VERSION, newest first (0: all).")
  static class Down implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "VERSION", description = "Version to return to.") int target;
    @Option(names = "--dry-run", description = "Print what would be rolled back; change nothing.") boolean dryRun;
    public Integer call() throws Exception {
      long t0 = System.nanoTime();
      return withMigrator(common, m -> {
        int n = m.rollback(target, dryRun);
        System.out.printf("migrate: %s%d rolled back, at version %d (%.2f s)%n", dryRun ? "dry run: " : "", n,
            m.status().stream().filter(e -> e.row() != null).mapToInt(Migrator.Entry::version).max().orElse(0),
            (System.nanoTime() - t0) / 1e9);
        return Migrator.OK;
      });
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show every migration and its state.")
  static class Status implements Callable<Integer> {
    @Mixin Common common;
    public Integer call() throws Exception {
      return withMigrator(common, m -> {
        List<Migrator.Entry> entries = m.status();
        System.out.printf("%-8s %-40s %-13s %s%n", "VERSION", "NAME", "STATE", "APPLIED AT");
        for (var e : entries)
          System.out.printf("%-8s %-40s %-13s %s%n", String.format("%03d", e.version()), e.name(),
              e.state().name().toLowerCase().replace('_', ' '),
              e.row() == null || e.row().appliedAt() == null ? "-" : e.row().appliedAt().toInstant().toString());
        Map<Migrator.State, Long> n = new java.util.EnumMap<>(Migrator.State.class);
        for (var s : Migrator.State.values()) n.put(s, entries.stream().filter(e -> e.state() == s).count());
        System.out.printf("%d applied, %d pending, %d modified, %d file missing, %d failed%n", n.get(Migrator.State.APPLIED),
            n.get(Migrator.State.PENDING), n.get(Migrator.State.MODIFIED), n.get(Migrator.State.FILE_MISSING), n.get(Migrator.State.FAILED));
        return Migrator.OK;
      });
    }
  }

  @Command(name = "validate", mixinStandardHelpOptions = true, description = "Check the files against the database; change nothing.")
  static class Validate implements Callable<Integer> {
    @Mixin Common common;
    public Integer call() throws Exception {
      return withMigrator(common, m -> {
        List<Migrator.Entry> entries = m.status();
        List<String> problems = Migrator.problems(entries);
        problems.forEach(p -> System.err.println("migrate: invalid: " + p));
        long pending = entries.stream().filter(e -> e.state() == Migrator.State.PENDING).count();
        System.out.printf("migrate: %s: %d migrations, %d pending, %d problems%n", problems.isEmpty() ? "valid" : "INVALID",
            m.source.migrations.size(), pending, problems.size());
        return problems.isEmpty() ? Migrator.OK : Migrator.VALIDATION_FAILED;
      });
    }
  }

  @Command(name = "resolve", mixinStandardHelpOptions = true,
      description = "After fixing the database by hand, record how a failed or edited migration ended.")
  static class Resolve implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "VERSION") int version;
    @ArgGroup(exclusive = true, multiplicity = "1") How how;
    static class How {
      @Option(names = "--applied", description = "It is fully applied: record it as applied.") boolean applied;
      @Option(names = "--rolled-back", description = "It is fully undone: forget it, so `up` runs it again.") boolean rolledBack;
      @Option(names = "--accept-edit", description = "Its file was edited harmlessly: record the new checksum.") boolean acceptEdit;
    }
    public Integer call() throws Exception {
      return withMigrator(common, m -> {
        m.resolve(version, how.applied ? "applied" : how.rolledBack ? "rolled-back" : "accept-edit");
        return Migrator.OK;
      });
    }
  }

  @Command(name = "new", mixinStandardHelpOptions = true, description = "Create the next NNN-NAME.sql and NNN-NAME.down.sql.")
  static class New implements Callable<Integer> {
    @Option(names = "--dir", description = "Folder to create them in (default: the nearest ./migrations up from here).") Path dir;
    @Parameters(paramLabel = "NAME", description = "Lowercase words joined by '-' or '_', e.g. add-review-index.") String name;
    public Integer call() throws Exception {
      if (!name.matches("[a-z0-9][a-z0-9_-]*"))
        throw new Migrator.MigrationException(Migrator.USAGE, "NAME must be lowercase letters, digits, '-' or '_', got '" + name + "'");
      Path folder = dir != null ? dir : nearestMigrationsFolder();
      int next = MigrationSource.load(folder).latestVersion() + 1;
      String base = String.format("%03d-%s", next, name);
      Path up = folder.resolve(base + ".sql"), down = folder.resolve(base + ".down.sql");
      Files.writeString(up, "-- " + base + ": describe the change and why.\n"
          + "-- Runs in one transaction with its _migrations row. For CREATE INDEX CONCURRENTLY and\n"
          + "-- other statements that refuse a transaction, put this line first: " + MigrationSource.NO_TRANSACTION_MARKER + "\n\n");
      Files.writeString(down, "-- Exact inverse of " + base + ".sql; use IF EXISTS.\n\n");
      System.out.println("created " + up + "\ncreated " + down);
      return Migrator.OK;
    }

    private static Path nearestMigrationsFolder() {
      Path root = MigrationSource.checkoutRoot();
      if (root == null) throw new Migrator.MigrationException(Migrator.USAGE, "no migrations folder here or above; pass --dir FOLDER");
      return root.resolve("migrations");
    }
  }

  // --------------------------------------------------------------- library

  /** Applies pending migrations (dir null: the bundled ones) up to `to` (null: all); returns how many. Quiet. */
  static int runMigrations(String url, Path dir, Integer to) {
    return library(url, dir, m -> m.migrate(to, false));
  }

  /** Rolls back to `targetVersion` (0: everything); returns how many were rolled back. Quiet. */
  static int runRollback(String url, Path dir, int targetVersion) {
    return library(url, dir, m -> m.rollback(targetVersion, false));
  }

  /** Re-exported for callers: a failure with its exit code. */
  static class MigrationException extends Migrator.MigrationException {
    MigrationException(Migrator.MigrationException e) { super(e.exitCode, e.getMessage(), e); }
  }

  private static int library(String url, Path dir, Verb verb) {
    try (Connection c = connectForMigrations(url)) {
      Migrator m = new Migrator(c, MigrationSource.load(dir), new PrintStream(OutputStream.nullOutputStream()));
      return verb.run(m);
    } catch (Migrator.MigrationException e) {
      throw new MigrationException(e);
    } catch (MigrationSource.SourceException e) {
      throw new MigrationException(new Migrator.MigrationException(Migrator.VALIDATION_FAILED, e.getMessage(), e));
    } catch (DbClient.DbException e) {
      throw new MigrationException(new Migrator.MigrationException(
          e.kind == DbClient.DbException.Kind.CONFIG ? Migrator.USAGE : Migrator.CANNOT_CONNECT, e.getMessage(), e));
    } catch (SQLException e) {
      throw new MigrationException(new Migrator.MigrationException(Migrator.MIGRATION_FAILED, Migrator.serverMessage(e), e));
    }
  }

  // --------------------------------------------------------------- plumbing

  interface Verb { int run(Migrator m) throws SQLException; }

  /** One unpooled connection, no statement timeout (migrations may build big indexes), dead-client checks on. */
  static Connection connectForMigrations(String url) throws SQLException {
    DbClient.Settings s = DbClient.Settings.fromEnv(System.getenv());
    if (System.getenv("DATABASE_STATEMENT_TIMEOUT_MS") == null) s.statementTimeoutMs = 0;
    s.applicationName = "kodiai-migrate";
    // Simple query protocol: a run of migrations travels as one message that the server stops
    // at the first error, and error positions count characters of that message (see Migrator).
    DbClient.Target t = DbClient.parse(url);
    Map<String, String> params = new java.util.LinkedHashMap<>(t.params());
    params.put("preferQueryMode", "simple");
    Connection c = DbClient.open(new DbClient.Target(t.host(), t.port(), t.database(), t.user(), t.password(), params), s);
    if (c.getMetaData().getDatabaseMajorVersion() >= 14) {
      // A runner killed mid-migration: the server notices within a second and rolls back, releasing the lock.
      try (Statement st = c.createStatement()) { st.execute("SET client_connection_check_interval = 1000"); }
    }
    return c;
  }

  /**
   * Connects, retrying for up to `waitSeconds` while the server is not there yet (refused,
   * unreachable, starting up, out of connection slots); a wrong password or database fails at once.
   */
  static Connection connectWaiting(String url, int waitSeconds) throws SQLException {
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    boolean told = false;
    while (true) {
      try {
        return connectForMigrations(url);
      } catch (DbClient.DbException e) {
        if (e.kind != DbClient.DbException.Kind.CONNECT || !worthWaitingFor(e) || waitSeconds <= 0) throw e;
        if (System.nanoTime() > deadline)
          throw new DbClient.DbException(e.kind, e.getMessage() + " (waited " + waitSeconds + " s)", e.getCause());
        if (!told) { System.err.println("migrate: waiting up to " + waitSeconds + " s for the database: " + e.getMessage()); told = true; }
        try {
          Thread.sleep(500);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static boolean worthWaitingFor(DbClient.DbException e) {
    String state = e.getCause() instanceof SQLException se ? String.valueOf(se.getSQLState()) : "";
    return state.startsWith("08") || state.equals("57P03") || state.equals("53300");
  }

  static final String PASSWORD_IN_ARGS_WARNING =
      "migrate: warning: a password in --url is visible to other users of this machine (ps); prefer DATABASE_URL";

  private static int withMigrator(Common c, Verb verb) throws SQLException {
    if (c.url != null && !c.url.equals(System.getenv("DATABASE_URL")) && DbClient.parse(c.url).password() != null)
      System.err.println(PASSWORD_IN_ARGS_WARNING);
    MigrationSource source = MigrationSource.load(c.dir);
    try (Connection conn = connectWaiting(c.url, c.waitSeconds)) {
      Migrator m = new Migrator(conn, source, c.quiet ? new PrintStream(OutputStream.nullOutputStream()) : System.out);
      m.lockTimeout = Duration.ofSeconds(c.lockTimeoutSeconds);
      return verb.run(m);
    }
  }

  /** One line on stderr per failure, with its exit code; the stack trace only with --verbose. */
  static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    boolean verbose = parsed.expandedArgs().contains("--verbose") || parsed.expandedArgs().contains("-v");
    int code;
    String message;
    if (e instanceof Migrator.MigrationException me) { code = me.exitCode; message = me.getMessage(); }
    else if (e instanceof MigrationSource.SourceException se) { code = Migrator.VALIDATION_FAILED; message = se.getMessage(); }
    else if (e instanceof DbClient.DbException de) {
      code = de.kind == DbClient.DbException.Kind.CONFIG ? Migrator.USAGE : Migrator.CANNOT_CONNECT;
      message = de.getMessage();
    } else if (e instanceof SQLException se) { code = Migrator.MIGRATION_FAILED; message = Migrator.serverMessage(se); }
    else { code = Migrator.MIGRATION_FAILED; message = e.toString(); }
    for (String line : DbClient.redact(message).split("\n")) System.err.println("migrate: error: " + line);
    if (verbose) e.printStackTrace();
    return code;
  }

  /** The command as main runs it: safe usage errors, one-line execution errors. */
  static CommandLine commandLine() {
    return Cli.withSafeUsageErrors(new CommandLine(new migrate())).setExecutionExceptionHandler(migrate::handle);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
