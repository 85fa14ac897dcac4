///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES cli/*.java DbClient.java retrieval/*.java
//DESCRIPTION Keeps one HNSW index per large repo on learning_memories (sync, status): fast, exact-enough retrieval for repos of every size.
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC

// Usage: ./jbang indexes@kodiai [sync|status] [--min-rows N] [--dry-run] ...
// Run it after an import, and on a schedule (daily is plenty: a repo gains a few memories per
// review). docs/retrieval.md says why these indexes exist and measures them.

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "indexes", mixinStandardHelpOptions = true, version = "indexes 1.0",
    description = {"Keeps the per-repo HNSW indexes of learning_memories in step with repo sizes: a repo with more "
        + "than",
        "--min-rows live memories gets its own partial index (built CONCURRENTLY, so the bot keeps reading and "
            + "writing),",
        "one that shrank below half of it loses it, and an index left invalid by an interrupted build is rebuilt.",
        "The bot's query does not change: the planner takes a repo's own index by itself. With no command: sync."},
    subcommands = {indexes.Sync.class, indexes.Status.class, indexes.Move.class},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  done (or nothing to do)",
        "  1  an index build failed (the half-built index was dropped again), or a move (rolled back)",
        "  2  usage error (bad option, missing DATABASE_URL, malformed URL; move: no --maintenance-window)",
        "  3  cannot connect or authenticate",
        "  4  another sync held the lock longer than --lock-timeout (move: or the table, --table-lock-timeout)",
        " 10  the database is not migrated far enough (needs migration 002: ./jbang migrate@kodiai up)",
        " 11  the URL names a connection pooler (index builds need one session: use PostgreSQL's own address)",
        "(the same numbers mean the same in every kodiai-db command: see README.md)",
        "%nEnvironment: MIGRATE_DATABASE_URL, then DATABASE_URL (--url), DATABASE_CONNECT_TIMEOUT_MS (default 10000)."})
public class indexes implements Callable<Integer> {
  @Mixin Common common;

  /** Options every verb takes, before or after the verb (inherited); all defaults are here. */
  static class Common {
    @Option(names = "--url", scope = ScopeType.INHERIT,
        defaultValue = "${env:MIGRATE_DATABASE_URL:-${env:DATABASE_URL}}",
        description = "Database URL, PostgreSQL's own address (default: $MIGRATE_DATABASE_URL, else $DATABASE_URL).")
    String url;
    @Option(names = "--min-rows", paramLabel = "N", scope = ScopeType.INHERIT, defaultValue = "" + RepoIndexes.MIN_ROWS,
        description = "A repo with more live memories than N gets its own index; it loses it below N/2 (default: "
            + "${DEFAULT-VALUE}, "
            + "the exact plan's limit in docs/retrieval.md).")
    long minRows;
    @Option(names = "--maintenance-work-mem", paramLabel = "SIZE", scope = ScopeType.INHERIT, defaultValue = "512MB",
        description = "maintenance_work_mem of each build (default: ${DEFAULT-VALUE}; about 4 kB per row keeps a "
            + "build in memory; "
            + "on a 2 GiB server do not go higher).")
    String maintenanceWorkMem;
    @Option(names = "--lock-timeout", paramLabel = "SECONDS", scope = ScopeType.INHERIT, defaultValue = "60",
        description = "Seconds to wait for another sync (default: ${DEFAULT-VALUE}).")
    int lockTimeoutSeconds;
    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT, description = "Show stack traces of errors.")
    boolean verbose;
  }

  @Spec CommandSpec spec;

  @Override public Integer call() throws Exception { return new Sync().run(common, false, spec.commandLine()); }

  @Command(name = "sync", mixinStandardHelpOptions = true,
      description = "Creates, rebuilds and drops per-repo indexes as repo sizes require.")
  static class Sync implements Callable<Integer> {
    @ParentCommand indexes parent;
    @Spec CommandSpec spec;
    @Option(names = "--dry-run", description = "Print what it would do; change nothing.")
    boolean dryRun;

    @Override public Integer call() throws Exception { return run(parent.common, dryRun, spec.commandLine()); }

    /** Plans, prints the plan, and applies it step by step, printing each; `cl` holds the writers. */
    int run(Common o, boolean dryRun, CommandLine cl) throws SQLException, InterruptedException {
      PrintWriter out = cl.getOut();
      validate(o, cl.getErr());
      try (Connection c = connect(o)) {
        lock(c, o.lockTimeoutSeconds);
        List<RepoIndexes.Step> steps = RepoIndexes.plan(c, o.minRows);
        RepoIndexes.print(out, steps, o.minRows);
        if (dryRun) {
          out.println("dry run: nothing changed");
          return ExitCode.OK;
        }
        long started = System.nanoTime();
        for (RepoIndexes.Step s : steps) {
          if (s.action() != RepoIndexes.Action.KEEP) apply(c, s, o.maintenanceWorkMem, out);
        }
        out.printf(Locale.ROOT, "indexes: created %d, rebuilt %d, dropped %d, kept %d (%.1f s)%n",
            RepoIndexes.count(steps, RepoIndexes.Action.CREATE), RepoIndexes.count(steps, RepoIndexes.Action.REBUILD),
            RepoIndexes.count(steps, RepoIndexes.Action.DROP), RepoIndexes.count(steps, RepoIndexes.Action.KEEP),
            (System.nanoTime() - started) / 1e9);
        return ExitCode.OK;
      }
    }

    private static void apply(Connection c, RepoIndexes.Step s, String workMem, PrintWriter out) {
      long t0 = System.nanoTime();
      try {
        RepoIndexes.apply(c, s, workMem);
      } catch (SQLException e) {
        throw new IndexesFailure(new IndexesFailure.BuildFailed(s.action(), s.index(), s.repo(), e.getSQLState(),
            DbClient.firstLine(e.getMessage())), e);
      }
      out.printf(Locale.ROOT, "%s %s (%,d live rows) in %.1f s%n", pastTense(s.action()), s.index(), s.liveRows(),
          (System.nanoTime() - t0) / 1e9);
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Lists the per-repo indexes and what a sync would do; changes nothing.")
  static class Status implements Callable<Integer> {
    @ParentCommand indexes parent;
    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
      Common common = parent.common;
      validate(common, spec.commandLine().getErr());
      try (Connection c = connect(common)) {
        List<RepoIndexes.Step> steps = RepoIndexes.plan(c, common.minRows);
        RepoIndexes.print(spec.commandLine().getOut(), steps, common.minRows);
        RepoIndexes.printPartitionNote(c, spec.commandLine().getOut(), steps, common.minRows);
        return ExitCode.OK;
      }
    }
  }

  @Command(name = "move", mixinStandardHelpOptions = true,
      description = {"Moves large repos out of learning_memories_default into partitions of their own (NOT online).",
          "The owner query then reads them through their own HNSW index (migration 070's layout). Each repo is moved",
          "in one transaction holding learning_memories locked (ACCESS EXCLUSIVE): the bot's memory reads and writes",
          "wait until it commits (the repo's rows moved, a scan of the default partition, the btree and GIN indexes",
          "built: 0.4 s for 5,000 rows beside 95,000, docs/retrieval.md). Then the partition's HNSW index is built",
          "CONCURRENTLY (not locked). Run it in a maintenance window, with --maintenance-window. Prints per repo the",
          "rows moved and how long the table was locked. With no REPO: every repo over --min-rows live rows in the",
          "default partition (as status lists). Run again after a failure: it finishes or redoes what is missing."})
  static class Move implements Callable<Integer> {
    @ParentCommand indexes parent;
    @Spec CommandSpec spec;
    @CommandLine.Parameters(paramLabel = "REPO", arity = "0..*", description = "owner/name of a repo to move.")
    List<String> repos = List.of();
    @Option(names = "--maintenance-window", description = "Confirms that the bot may wait (or fail) while the table"
        + " is locked; required.")
    boolean confirmed;
    @Option(names = "--table-lock-timeout", paramLabel = "MS", defaultValue = "5000",
        description = "Milliseconds to wait for the table; then that repo fails, nothing changed (default: "
            + "${DEFAULT-VALUE}).")
    long tableLockTimeoutMs;

    @Override public Integer call() throws Exception {
      Common o = parent.common;
      validate(o, spec.commandLine().getErr());
      if (tableLockTimeoutMs < 1) throw new IndexesFailure(new IndexesFailure.BadOption("--table-lock-timeout",
          "be at least 1"));
      if (!confirmed) throw new IndexesFailure(new IndexesFailure.NotConfirmed());
      PrintWriter out = spec.commandLine().getOut();
      try (Connection c = connect(o)) {
        if (!RepoPartitions.partitioned(c)) throw new IndexesFailure(new IndexesFailure.NotPartitioned());
        lock(c, o.lockTimeoutSeconds);
        List<String> todo = repos.isEmpty() ? PartitionMove.candidates(c, o.minRows) : repos;
        for (String repo : todo)
          if (!RepoPartitions.hasPartition(c, repo) && !RepoPartitions.inDefault(c, repo))
            throw new IndexesFailure(new IndexesFailure.NothingToMove(repo));
        if (todo.isEmpty()) out.printf(Locale.ROOT, "no repo in %s has more than %,d live rows: nothing to move%n",
            RepoPartitions.DEFAULT, o.minRows);
        for (String repo : todo) move(c, repo, o, out);
        return ExitCode.OK;
      }
    }

    private void move(Connection c, String repo, Common o, PrintWriter out) throws SQLException {
      if (RepoPartitions.hasPartition(c, repo)) {
        if (RepoPartitions.hnswReady(c, repo)) out.printf("%s already has a partition of its own (%s): nothing to"
            + " do%n", repo, RepoPartitions.name(repo));
        else buildIndex(c, repo, o, out); // a move whose index build failed
        return;
      }
      PartitionMove.Moved m;
      try {
        m = PartitionMove.move(c, repo, tableLockTimeoutMs, o.maintenanceWorkMem);
      } catch (SQLException e) {
        if ("55P03".equals(e.getSQLState()))
          throw new IndexesFailure(new IndexesFailure.TableLocked(repo, tableLockTimeoutMs), e);
        throw new IndexesFailure(new IndexesFailure.MoveFailed(repo, e.getSQLState(),
            DbClient.firstLine(e.getMessage())), e);
      }
      out.printf(Locale.ROOT, "moved %s: %,d rows (%,d live) to %s; learning_memories locked %.2f s (rows %.2f s,"
          + " attach %.2f s; waited %.2f s for the lock)%n", repo, m.rows(), m.liveRows(), m.partition(),
          m.lockedMs() / 1e3, m.copyMs() / 1e3, m.attachMs() / 1e3, m.lockWaitMs() / 1e3);
      buildIndex(c, repo, o, out);
      long t0 = System.nanoTime();
      try (Statement st = c.createStatement()) { st.execute("ANALYZE " + RepoPartitions.TABLE); }
      out.printf(Locale.ROOT, "analyzed learning_memories in %.1f s (not locked: the bot reads and writes)%n",
          (System.nanoTime() - t0) / 1e9);
    }

    /** The partition's HNSW index, CONCURRENTLY (the table is not locked: the bot reads the repo exactly meanwhile). */
    private static void buildIndex(Connection c, String repo, Common o, PrintWriter out) throws SQLException {
      long t0 = System.nanoTime();
      try (Statement st = c.createStatement()) {
        st.execute(RepoPartitions.format(c, "SET maintenance_work_mem = %L", o.maintenanceWorkMem));
        RepoPartitions.buildHnswConcurrently(c, repo);
        st.execute("RESET maintenance_work_mem");
      } catch (SQLException e) {
        throw new IndexesFailure(new IndexesFailure.PartitionIndexFailed(repo, RepoPartitions.hnswName(repo),
            e.getSQLState(), DbClient.firstLine(e.getMessage())), e);
      }
      out.printf(Locale.ROOT, "built %s concurrently in %.1f s (not locked)%n", RepoPartitions.hnswName(repo),
          (System.nanoTime() - t0) / 1e9);
    }
  }

  static void validate(Common o, PrintWriter err) {
    if (o.minRows < 1) throw new IndexesFailure(new IndexesFailure.BadOption("--min-rows", "be at least 1"));
    if (o.lockTimeoutSeconds < 0) throw new IndexesFailure(new IndexesFailure.BadOption("--lock-timeout", "be >= 0"));
    if (!o.maintenanceWorkMem.matches("\\d+\\s*(kB|MB|GB)")) {
      throw new IndexesFailure(new IndexesFailure.BadOption("--maintenance-work-mem", "look like 256MB or 1GB"));
    }
    DbClient.requireUrl(o.url);
    if (DbClient.parse(o.url).hasPassword() && !o.url.equals(System.getenv("DATABASE_URL"))
        && !o.url.equals(System.getenv("MIGRATE_DATABASE_URL"))) {
      err.println(PASSWORD_IN_ARGS_WARNING);
    }
  }

  static final String PASSWORD_IN_ARGS_WARNING =
      "indexes: warning: a password in --url is visible to other users of this machine (ps); prefer DATABASE_URL";

  /** One direct session, autocommit (CREATE INDEX CONCURRENTLY runs outside a transaction), no timeouts on builds. */
  static Connection connect(Common o) throws SQLException {
    DbClient.Settings settings = DbClient.Settings.fromEnv(System.getenv());
    settings.applicationName = "kodiai-indexes";
    Connection c = DbClient.open(DbClient.parse(o.url), settings);
    try {
      if (DbClient.throughPooler(c)) throw new IndexesFailure(new IndexesFailure.Pooler());
      if (!RepoIndexes.targetReady(c)) {
        throw new IndexesFailure(new IndexesFailure.NotMigrated("halfvec embedding column"));
      }
      try (Statement st = c.createStatement()) {
        // A build of a large repo takes minutes, and CONCURRENTLY waits for older transactions: no timeouts.
        st.execute("SET statement_timeout = 0");
        st.execute("SET lock_timeout = 0");
      }
      return c;
    } catch (RuntimeException | SQLException e) {
      c.close();
      throw e;
    }
  }

  /** Waits for the sync lock (a session advisory lock) up to timeoutSeconds. */
  static void lock(Connection c, int timeoutSeconds) throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    while (true) {
      String sql = "SELECT pg_try_advisory_lock(" + RepoIndexes.LOCK_KEY + ")";
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        if (rs.getBoolean(1)) return;
      }
      if (System.nanoTime() >= deadline) throw new IndexesFailure(new IndexesFailure.LockTimeout(timeoutSeconds));
      Thread.sleep(200);
    }
  }

  private static String pastTense(RepoIndexes.Action a) {
    return switch (a) {
      case CREATE -> "created";
      case REBUILD -> "rebuilt";
      case DROP -> "dropped";
      case KEEP -> "kept";
    };
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command in-process; returns the exit code. */
  static int execute(String... args) {
    CommandLine cl = commandLine();
    int code = cl.execute(args);
    cl.getOut().flush(); // picocli's writers buffer; System.exit does not flush them
    return code;
  }

  /** The command as main runs it; the tests give it writers of their own (tests/harness/Captured). */
  static CommandLine commandLine() {
    return Cli.commandLine(new indexes(), DbClient::redact);
  }
}
