///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES cli/*.java DbClient.java migration/*.java
//FILES migrations/=migrations/*.sql
//FILES migrations/from-kodiai/=migrations/from-kodiai/*.sql
//DESCRIPTION Applies and rolls back kodiai's PostgreSQL migrations (up, down, status, validate, resolve, new); safe with many runners at once.
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:cds=off -Xlog:cds+dynamic=off
//CDS

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "migrate", mixinStandardHelpOptions = true, version = "migrate 1.0",
    description = "Applies and rolls back the SQL migrations of kodiai's database. With no command: up.",
    subcommands = {migrate.Up.class, migrate.Down.class, migrate.Status.class, migrate.Validate.class,
        migrate.Resolve.class, migrate.New.class, migrate.KodiaiDrift.class},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  success", "  1  a migration failed (its changes were rolled back, or it is recorded as failed)",
        "  2  usage error (bad option, missing DATABASE_URL, malformed URL)", "  3  cannot connect or authenticate",
        "  4  timed out waiting for another runner's lock",
        "  5  validation failed (edited, missing or misnamed files, or a _migrations table it does not understand;",
        "     a kodiai file kodiai's runner applied, with no conversion; nothing ran);",
        "     kodiai-drift: kodiai's folder has files kodiai-db does not carry, or carried files kodiai edited",
        "  8  local files unreadable (permissions)",
        " 11  needs one session but the URL is a pooler; nothing changed (see MIGRATE_DATABASE_URL)",
        "  130/143  interrupted by SIGINT/SIGTERM (after saying what committed)",
        "(the same numbers mean the same in every kodiai-db command: see README.md)",
        "%nEnvironment: DATABASE_URL (postgresql://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full),"
            + " MIGRATE_DATABASE_URL",
        "(wins over DATABASE_URL: PostgreSQL's own address where DATABASE_URL is a pooler),"
            + " MIGRATE_WAIT_SECONDS (--wait),",
        "DATABASE_CONNECT_TIMEOUT_MS (default 10000), DATABASE_LOCK_TIMEOUT_MS (DDL lock wait, default 10000),",
        "DATABASE_STATEMENT_TIMEOUT_MS (default 0: none for migrations),"
            + " DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS (default: the",
        "database's, 120000 after migration 006),",
        "DATABASE_APPLICATION_NAME (default kodiai-db)."})
public class migrate implements Callable<Integer> {

  /** Options every verb takes. */
  static class Common {
    @Option(names = "--url", defaultValue = "${env:MIGRATE_DATABASE_URL:-${env:DATABASE_URL}}",
        description = "Database URL (default: $MIGRATE_DATABASE_URL, else $DATABASE_URL;"
            + " through a pooler, see docs/pooler.md).")
    String url;
    @Option(names = "--dir",
        description = "Folder of NNN-name.sql files (default: the migrations shipped with this tool).")
    Path dir;
    @Option(names = "--lock-timeout", defaultValue = "60",
        description = "Seconds to wait for another runner (default: ${DEFAULT-VALUE}).")
    int lockTimeoutSeconds;
    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "${env:MIGRATE_WAIT_SECONDS:-0}",
        description = "Wait up to SECONDS for the database to accept connections, as at boot"
            + " (env MIGRATE_WAIT_SECONDS; default: ${DEFAULT-VALUE}).")
    int waitSeconds;
    @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
    boolean verbose;
    @Option(names = {"-q", "--quiet"}, description = "Print only errors and the summary.")
    boolean quiet;
  }

  @Mixin Common common;
  @Spec CommandSpec spec;

  @Override public Integer call() throws Exception { return Up.run(spec, common, null, false); }

  @Command(name = "up", mixinStandardHelpOptions = true, description = "Apply pending migrations in version order.")
  static class Up implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--to", description = "Stop after this version.") Integer to;
    @Option(names = "--dry-run", description = "Print what would be applied; change nothing.") boolean dryRun;
    @Spec CommandSpec spec;
    public Integer call() throws Exception { return run(spec, common, to, dryRun); }

    static int run(CommandSpec spec, Common c, Integer to, boolean dryRun) throws SQLException {
      long t0 = System.nanoTime();
      PrintWriter out = spec.commandLine().getOut();
      return withMigrator(spec, c, m -> {
        String recognised = recognised(m, m.readAll()); // refuses an unknown kodiai schema before anything changes
        if (recognised != null && !c.quiet) out.println("migrate: " + recognised);
        int applied = m.migrate(to, dryRun);
        var entries = m.status();
        warnNewer(spec, entries);
        long pending = entries.stream().filter(e -> e.state() == Migrator.State.PENDING).count();
        int at = entries.stream().filter(e -> e.state() == Migrator.State.APPLIED || e.state() == Migrator.State.NEWER)
            .mapToInt(Migrator.Entry::version).max().orElse(0);
        out.printf("migrate: %s%d applied, %d pending, at version %d (%.2f s)%n", dryRun ? "dry run: " : "",
            applied, pending, at, (System.nanoTime() - t0) / 1e9);
        return ExitCode.OK;
      });
    }
  }

  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Roll back every applied migration above VERSION, newest first (0: all).")
  static class Down implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "VERSION", description = "Version to return to.") int target;
    @Option(names = "--dry-run", description = "Print what would be rolled back; change nothing.") boolean dryRun;
    @Spec CommandSpec spec;
    public Integer call() throws Exception {
      long t0 = System.nanoTime();
      return withMigrator(spec, common, m -> {
        int n = m.rollback(target, dryRun);
        spec.commandLine().getOut().printf("migrate: %s%d rolled back, at version %d (%.2f s)%n",
            dryRun ? "dry run: " : "", n,
            m.status().stream().filter(e -> e.row() != null).mapToInt(Migrator.Entry::version).max().orElse(0),
            (System.nanoTime() - t0) / 1e9);
        return ExitCode.OK;
      });
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show every migration and its state.")
  static class Status implements Callable<Integer> {
    @Mixin Common common;
    @Spec CommandSpec spec;
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      return withMigrator(spec, common, m -> {
        MigrationTable.Rows rows = m.readAll();
        String recognised = recognised(m, rows);
        if (recognised != null) out.println(recognised);
        List<Migrator.Entry> entries = m.status(rows);
        out.printf("%-8s %-40s %-13s %s%n", "VERSION", "NAME", "STATE", "APPLIED AT");
        boolean anyReplaced = false, anyConverts = false;
        for (var e : entries) {
          boolean replaced = replacedVersion(e);
          boolean converts = e.state() == Migrator.State.PENDING && !m.recordedByKodiai(e.migration(), rows).isEmpty();
          anyReplaced |= replaced;
          anyConverts |= converts;
          out.printf("%-8s %-40s %-13s %s%n", String.format("%03d", e.version()), e.name(),
              e.state().name().toLowerCase().replace('_', ' ') + (replaced ? "*" : "") + (converts ? "+" : ""),
              e.row() == null || e.row().appliedAt() == null ? "-" : e.row().appliedAt().toInstant().toString());
        }
        if (anyReplaced) out.println("* applied as an earlier version of the file,"
            + " which the current one replaces (" + MigrationSource.REPLACES_MARKER + ");"
            + " a later migration brings what it left to the current layout");
        if (anyConverts) out.println("+ kodiai's runner applied the kodiai files it carries: `up` converts"
            + " kodiai's objects with migrations/" + KodiaiFiles.FROM_KODIAI + "/ instead of running it"
            + " (`validate` says if a conversion is missing)");
        kodiaiSections(out, rows);
        Map<Migrator.State, Long> n = new java.util.EnumMap<>(Migrator.State.class);
        for (var s : Migrator.State.values()) n.put(s, entries.stream().filter(e -> e.state() == s).count());
        out.printf("%d applied, %d pending, %d modified, %d file missing, %d failed%s%n",
            n.get(Migrator.State.APPLIED), n.get(Migrator.State.PENDING), n.get(Migrator.State.MODIFIED),
            n.get(Migrator.State.FILE_MISSING), n.get(Migrator.State.FAILED),
            n.get(Migrator.State.NEWER) > 0 ? ", " + n.get(Migrator.State.NEWER) + " newer than these files" : "");
        warnNewer(spec, entries);
        return ExitCode.OK;
      });
    }
  }

  /**
   * The one line saying kodiai's runner built the database: the adoption's (kodiai 24fba64a, its schema checked;
   * an unknown or edited one is refused, exit 5, nothing changed), else the rows' (kodiai files of another
   * commit, e.g. a fixture's); null when kodiai's runner did not build it.
   */
  static String recognised(Migrator m, MigrationTable.Rows rows) throws SQLException {
    KodiaiAdoption.Recognition a = m.adoption(rows);
    return a.state() != KodiaiAdoption.State.NOT_KODIAI ? a.line() : KodiaiFiles.recognise(rows.nameOnly()).line();
  }

  /** The rows that are kodiai's runner's business: its own (left alone) and ours for it. */
  static void kodiaiSections(PrintWriter out, MigrationTable.Rows rows) {
    if (!rows.foreign().isEmpty())
      out.println("recorded by kodiai's runner: " + String.join(", ", rows.foreign().stream().map(r -> r.name())
          .toList()) + " (kodiai's own files, not kodiai-db's: left alone; `migrate kodiai-drift` lists what kodiai-db"
          + " does not carry)");
    if (!rows.provided().isEmpty())
      out.println("recorded for kodiai's runner: " + String.join(", ", rows.provided().stream()
          .map(r -> r.name() + " (by " + r.providedBy() + ")").toList())
          + " (carried by kodiai-db: kodiai's runner skips them)");
  }

  /** An applied row written by an earlier version of the file (its checksum is one the file replaces). */
  static boolean replacedVersion(Migrator.Entry e) {
    return e.state() == Migrator.State.APPLIED && e.row() != null && e.migration() != null && e.row().checksum() != null
        && !e.row().checksum().equals(e.migration().checksum());
  }

  @Command(name = "validate", mixinStandardHelpOptions = true,
      description = "Check the files against the database; change nothing.")
  static class Validate implements Callable<Integer> {
    @Mixin Common common;
    @Spec CommandSpec spec;
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      return withMigrator(spec, common, m -> {
        MigrationTable.Rows rows = m.readAll();
        String recognised = recognised(m, rows);
        if (recognised != null) out.println("migrate: " + recognised);
        List<Migrator.Entry> entries = m.status(rows);
        List<MigrationException.Problem> problems = m.problems(rows);
        problems.forEach(p -> spec.commandLine().getErr().println("migrate: invalid: " + p.describe()));
        warnNewer(spec, entries);
        long pending = entries.stream().filter(e -> e.state() == Migrator.State.PENDING).count();
        out.printf("migrate: %s: %d migration%s, %d pending, %d problem%s%n",
            problems.isEmpty() ? "valid" : "INVALID",
            m.source.migrations.size(), m.source.migrations.size() == 1 ? "" : "s", pending, problems.size(),
            problems.size() == 1 ? "" : "s");
        return problems.isEmpty() ? ExitCode.OK : ExitCode.VALIDATION;
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
      @Option(names = "--rolled-back", description = "It is fully undone: forget it, so `up` runs it again.")
      boolean rolledBack;
      @Option(names = "--accept-edit", description = "Its file was edited harmlessly: record the new checksum.")
      boolean acceptEdit;
    }
    @Spec CommandSpec spec;
    public Integer call() throws Exception {
      return withMigrator(spec, common, m -> {
        m.resolve(version, how.applied ? Migrator.Resolution.APPLIED
            : how.rolledBack ? Migrator.Resolution.ROLLED_BACK : Migrator.Resolution.ACCEPT_EDIT);
        return ExitCode.OK;
      });
    }
  }

  @Command(name = "new", mixinStandardHelpOptions = true,
      description = "Create the next NNN-NAME.sql and NNN-NAME.down.sql.")
  static class New implements Callable<Integer> {
    @Option(names = "--dir", description = "Folder to create them in (default: the nearest ./migrations up from here).")
    Path dir;
    @Parameters(paramLabel = "NAME", description = "Lowercase words joined by '-' or '_', e.g. add-review-index.")
    String name;
    @Spec CommandSpec spec;
    public Integer call() throws Exception {
      if (!name.matches("[a-z0-9][a-z0-9_-]*"))
        throw new MigrationException(new MigrationException.BadName(name));
      Path folder = dir != null ? dir : nearestMigrationsFolder();
      MigrationSource source = MigrationSource.load(folder);
      source.warnings.forEach(w -> spec.commandLine().getErr().println("migrate: warning: " + w));
      if (source.latestVersion() == Integer.MAX_VALUE)
        throw new MigrationException(new MigrationException.NoNextVersion());
      int next = source.latestVersion() + 1;
      String base = String.format("%03d-%s", next, name);
      Path up = folder.resolve(base + ".sql"), down = folder.resolve(base + ".down.sql");
      Files.writeString(up, "-- " + base + ": describe the change and why.\n"
          + "-- Runs in one transaction with its _migrations row. For CREATE INDEX CONCURRENTLY and\n"
          + "-- other statements that refuse a transaction, put this line first: "
          + MigrationSource.NO_TRANSACTION_MARKER + "\n\n");
      Files.writeString(down, "-- Exact inverse of " + base + ".sql; use IF EXISTS.\n\n");
      spec.commandLine().getOut().println("created " + up + "\ncreated " + down);
      return ExitCode.OK;
    }

    private static Path nearestMigrationsFolder() {
      Path root = MigrationSource.checkoutRoot();
      if (root == null)
        throw new MigrationException(new MigrationException.NoMigrationsFolder());
      return root.resolve("migrations");
    }
  }

  @Command(name = "kodiai-drift", mixinStandardHelpOptions = true,
      description = {"Lists kodiai's migration files that kodiai-db does not carry (declared by no `-- kodiai:` header,"
          + " not one of our file names), and carried files kodiai edited since (SHA-256 differs from the header's).",
          "Needs no database. Exit 0: no drift; 5: drift (one line per file)."})
  static class KodiaiDrift implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "A kodiai checkout, or its src/db/migrations folder.") Path path;
    @Option(names = "--dir", description = "Folder of our migrations (default: the migrations shipped with this tool).")
    Path dir;
    @Spec CommandSpec spec;
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      MigrationSource source = MigrationSource.load(dir);
      var files = KodiaiFiles.readFolder(path);
      KodiaiFiles.Drift d = KodiaiFiles.drift(source, files);
      d.notCarried().forEach(f -> out.println("not carried: " + f));
      d.edited().forEach(f -> out.println("edited: " + f));
      out.printf("migrate: kodiai-drift: %d kodiai files, %d not carried, %d edited since kodiai-db carried"
          + " them%n",
          files.size(), d.notCarried().size(), d.edited().size());
      return d.none() ? ExitCode.OK : ExitCode.VALIDATION;
    }
  }

  // --------------------------------------------------------------- plumbing

  static final String PASSWORD_IN_ARGS_WARNING =
      "migrate: warning: a password in --url is visible to other users of this machine (ps); prefer DATABASE_URL";

  /** The URL is parsed once, here: the Target serves the warning and the connection. */
  private static int withMigrator(CommandSpec spec, Common c, Migrations.Verb<Integer> verb) {
    PrintWriter err = spec.commandLine().getErr();
    DbClient.Target target = DbClient.parse(c.url);
    if (target.hasPassword() && !c.url.equals(System.getenv("DATABASE_URL"))
        && !c.url.equals(System.getenv("MIGRATE_DATABASE_URL")))
      err.println(PASSWORD_IN_ARGS_WARNING);
    MigrationSource source = MigrationSource.load(c.dir);
    source.warnings.forEach(w -> err.println("migrate: warning: " + w));
    PrintWriter out = c.quiet ? Migrations.quiet() : spec.commandLine().getOut();
    try {
      return Migrations.with(target, c.waitSeconds, source, out, err, Duration.ofSeconds(c.lockTimeoutSeconds), verb);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The command as main runs it: safe usage errors, one-line execution errors. */
  static CommandLine commandLine() {
    return Cli.commandLine(new migrate(), DbClient::redact);
  }

  /** Rolling deploys: an older release against a newer database says so, on stderr, and goes on. */
  private static void warnNewer(CommandSpec spec, List<Migrator.Entry> entries) {
    String w = Migrator.newerWarning(entries);
    if (w != null) spec.commandLine().getErr().println("migrate: warning: " + w);
  }

  /**
   * SIGTERM (143) and SIGINT (130): the migration running is cancelled, the run stops at the
   * next boundary and the error handler prints one line saying what committed and what to run
   * next. If the database does not answer within GRACE_SECONDS, or on a second signal, exit
   * at once (the server rolls back the open transaction when it notices the client is gone).
   */
  static void onSignals() {
    for (var sig : Map.of("TERM", 143, "INT", 130).entrySet()) {
      String name = "SIG" + sig.getKey();
      int code = sig.getValue();
      onSignal(sig.getKey(), () -> {
        Migrator m = Migrations.current;
        if (m == null || m.interruptedBy() != null) {
          System.err.println("migrate: error: interrupted by " + name
              + (m == null ? " before any change" : " again: stopping now; `migrate status` shows what committed"));
          Runtime.getRuntime().halt(code);
        }
        m.interrupt(name, code);
        Thread watchdog = new Thread(() -> {
          try { Thread.sleep(GRACE_SECONDS * 1000L); } catch (InterruptedException e) { return; }
          System.err.println("migrate: error: interrupted by " + name + "; the database did not answer within "
              + GRACE_SECONDS + " s: `migrate status` shows what committed");
          Runtime.getRuntime().halt(code);
        });
        watchdog.setDaemon(true);
        watchdog.start();
      });
    }
  }

  /** sun.misc.Signal (module jdk.unsupported), through reflection so that compiling shows no warning about it. */
  private static void onSignal(String name, Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal"), handler = Class.forName("sun.misc.SignalHandler");
      Object h = java.lang.reflect.Proxy.newProxyInstance(migrate.class.getClassLoader(), new Class<?>[] {handler},
          (proxy, method, args) -> {
            if (method.getName().equals("handle")) action.run();
            return null;
          });
      signal.getMethod("handle", signal, handler)
          .invoke(null, signal.getConstructor(String.class).newInstance(name), h);
    } catch (ReflectiveOperationException | RuntimeException unsupported) {
      // a JVM that does not let us handle it: its default (exit 128+n, no message) stays
    }
  }

  static final int GRACE_SECONDS = 15;

  public static void main(String[] args) {
    onSignals();
    System.exit(commandLine().execute(args));
  }
}
