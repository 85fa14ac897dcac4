///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES cli/*.java DbClient.java importer/*.java retrieval/RepoPartitions.java
//DESCRIPTION Imports kodiai's SQLite data (knowledge, telemetry, learning memories with their sqlite-vec vectors) into PostgreSQL: exact, verified, all or nothing, re-runnable.
//JAVA_OPTIONS -XX:+UseSerialGC -Xmx4g

// Usage: ./jbang import@kodiai [--knowledge FILE] [--telemetry FILE] [--url URL] [--dry-run] ...
// The command is `import` (alias import@kodiai, file import.java); its class is Import
// because `import` is a Java keyword. docs/import.md is the cut-over runbook.

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false, version = "import 1.0",
    description = {"Imports kodiai's SQLite files into the PostgreSQL database in one transaction: every table,"
        + " every column,",
        "every embedding (read from sqlite-vec's shadow tables, no extension needed), verified against the source",
        "before the commit. Running it again imports only rows the target lacks; nothing is ever overwritten.",
        "Without --knowledge/--telemetry: $KNOWLEDGE_DB_PATH / $TELEMETRY_DB_PATH, else ./data/kodiai-knowledge.db and",
        "./data/kodiai-telemetry.db (those that exist). See docs/import.md."},
    footerHeading = "%nEnvironment:%n",
    footer = {"  MIGRATE_DATABASE_URL, else DATABASE_URL  the target (--url), the schema owner's URL: the import moves",
        "    the id sequences and drops and builds learning_memories' vector indexes, which the bot's login may not:",
        "    postgresql://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full",
        "  KNOWLEDGE_DB_PATH  kodiai-knowledge.db when neither --knowledge nor --telemetry is given"
            + " (kodiai's own variable)",
        "  TELEMETRY_DB_PATH  kodiai-telemetry.db, likewise",
        "  DATABASE_CONNECT_TIMEOUT_MS  how long to wait for the connection (default 10000)",
        "  (the import sets its own statement and idle-in-transaction timeouts: none for its one transaction)",
        "",
        "Exit codes:",
        "  0  imported (or nothing to import); --dry-run: no problems found",
        "  1  failed: verification found a difference, or the target refused a row; nothing committed",
        "  2  usage error, an input file that does not exist, or a URL whose user may not write the tables"
            + " (use the owner's)",
        "  3  the database cannot be reached or refused the login",
        "  4  a writer held a SQLite file locked longer than --lock-timeout",
        "  8  local error: a file cannot be read, or its folder cannot be used (a WAL file's folder must be",
        "     writable), or --problems FILE cannot be written",
        "  9  source data: not SQLite, encrypted or corrupt, the wrong file, no vec0 table, invalid JSON,",
        "     a timestamp that does not parse, a vector with NaN or beyond halfvec (007), a row a CHECK refuses,",
        "     duplicate ids, a text too long for full-text search, a sqlite_sequence past the target's sequence,",
        "     with --strict a value that would be rounded or normalised (one line per problem, all in one pass;",
        "     the first 50 shown, all in --problems FILE; nothing written)",
        " 10  the target is not migrated far enough (run ./jbang migrate@kodiai up)"})
class Import implements Callable<Integer> {
  @Option(names = "--knowledge", paramLabel = "FILE",
      description = "kodiai-knowledge.db (knowledge tables, learning memories)")
  Path knowledge;
  @Option(names = "--telemetry", paramLabel = "FILE", description = "kodiai-telemetry.db")
  Path telemetry;
  @Option(names = "--url", defaultValue = "${env:MIGRATE_DATABASE_URL:-${env:DATABASE_URL}}",
      description = "target database URL (default: $MIGRATE_DATABASE_URL, else $DATABASE_URL)")
  String url;
  @Option(names = "--dry-run",
      description = "read, convert and check everything, print the summary and every problem; write nothing")
  boolean dryRun;
  @Option(names = "--lock-timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "wait this long for a writer's lock on a SQLite file (default: ${DEFAULT-VALUE})")
  int lockTimeoutSeconds;
  @Option(names = "--hnsw", paramLabel = "auto|rebuild|keep", defaultValue = "auto",
      description = "the HNSW indexes of learning_memories: built once after the load (dropped concurrently"
          + " before it) or kept and filled row by row; auto: whichever costs less (an empty or small table: built"
          + " after; docs/import.md), rebuild: always, keep:"
          + " never (default: ${DEFAULT-VALUE})")
  String hnsw;
  @Option(names = "--maintenance-work-mem", paramLabel = "SIZE", defaultValue = "1GB",
      description = "maintenance_work_mem for the HNSW build (default: ${DEFAULT-VALUE}; Azure B1ms: 256MB)")
  String maintenanceWorkMem;
  @Option(names = "--skip-unknown-columns",
      description = "import although a source table has columns the target lacks (they are listed, not imported)")
  boolean skipUnknownColumns;
  @Option(names = "--strict",
      description = "refuse (exit 9) every value that would arrive otherwise than written: a cost_usd rounded to"
      + " numeric(18,10), JSON that jsonb normalises (a repeated key, a number's form); without it they are"
      + " counted in the summary")
  boolean strict;
  @Option(names = "--problems", paramLabel = "FILE",
      description = "write every problem there, one per line (the terminal shows the first 50)")
  Path problemsFile;
  @Option(names = {"-v", "--verbose"}, description = "stack traces on errors")
  boolean verbose;
  @Spec CommandSpec spec;

  @Override public Integer call() throws Exception {
    Importer.Settings s = new Importer.Settings();
    s.url = DbClient.requireUrl(url);
    s.dryRun = dryRun;
    if (lockTimeoutSeconds < 0) throw new ImportFailure(new ImportFailure.BadOption("--lock-timeout", "be >= 0"));
    s.lockTimeout = Duration.ofSeconds(lockTimeoutSeconds);
    try {
      s.hnsw = Importer.Hnsw.valueOf(hnsw.toUpperCase());
    } catch (IllegalArgumentException e) {
      throw new ImportFailure(new ImportFailure.BadOption("--hnsw", "be auto, rebuild or keep, not '" + hnsw + "'"));
    }
    if (!maintenanceWorkMem.matches("\\d+\\s*(kB|MB|GB)"))
      throw new ImportFailure(new ImportFailure.BadOption("--maintenance-work-mem", "look like 512MB or 1GB"));
    s.maintenanceWorkMem = maintenanceWorkMem;
    s.skipUnknownColumns = skipUnknownColumns;
    s.strict = strict;
    s.problemsFile = problemsFile;
    resolveInputs(s, knowledge, telemetry, System.getenv());
    return run(s, CommandOut.out(spec), Progress.forStderr(CommandOut.err(spec)));
  }

  /** The files to import: the options, else the environment, else kodiai's defaults that exist. */
  static void resolveInputs(Importer.Settings s, Path knowledge, Path telemetry, Map<String, String> env) {
    if (knowledge != null || telemetry != null) { // given: exactly those
      s.knowledge = knowledge;
      s.telemetry = telemetry;
      return;
    }
    s.knowledge = fallback(TableMap.FileKind.KNOWLEDGE, env);
    s.telemetry = fallback(TableMap.FileKind.TELEMETRY, env);
    if (s.knowledge == null && s.telemetry == null)
      throw new ImportFailure(new ImportFailure.NothingToImport(TableMap.FileKind.KNOWLEDGE.defaultPath,
          TableMap.FileKind.TELEMETRY.defaultPath));
  }

  /** $ENV (which must exist when set), else the default path when it exists, else null. */
  private static Path fallback(TableMap.FileKind kind, Map<String, String> env) {
    String v = env.get(kind.env);
    if (v != null && !v.isBlank()) return Path.of(v); // SqliteSource.open says so when it is missing
    Path d = Path.of(kind.defaultPath);
    return Files.exists(d) ? d : null;
  }

  /** Opens the sources, connects, imports; closes everything. */
  static int run(Importer.Settings s, PrintStream out, Progress progress) throws Exception {
    List<SqliteSource> sources = new ArrayList<>();
    try {
      if (s.knowledge != null) sources.add(SqliteSource.open(s.knowledge, TableMap.FileKind.KNOWLEDGE, s.lockTimeout));
      if (s.telemetry != null) sources.add(SqliteSource.open(s.telemetry, TableMap.FileKind.TELEMETRY, s.lockTimeout));
      DbClient.Target target = DbClient.parse(s.url);
      DbClient.Settings settings = DbClient.Settings.fromEnv(System.getenv());
      settings.applicationName = "kodiai-import";
      try (Connection conn = DbClient.open(target, settings)) {
        out.println("importing into " + target.redacted() + (s.dryRun ? " (dry run)" : ""));
        Importer importer = new Importer(s, out, progress);
        importer.opener = () -> DbClient.open(target, settings);
        return importer.run(sources, conn);
      }
    } finally {
      for (SqliteSource src : sources) src.close();
    }
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command in-process; returns the exit code. */
  static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** The command as main runs it (the tests run it with writers of their own: tests/harness/Captured). */
  static CommandLine commandLine() { return Cli.commandLine(new Import(), DbClient::redact); }
}
