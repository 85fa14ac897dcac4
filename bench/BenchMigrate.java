// Shared source (pulled in by bench.java with //SOURCES bench/BenchMigrate.java): the
// `bench migrate` subcommand. Generates N small migrations, then times, each on a
// new scratch database of the same server:
//   floor  - psql running the same SQL in one session, one transaction per file
//            plus its tracking insert (what no runner can beat by much);
//   apply  - the real CLI as a subprocess (`./jbang migrate.java up`), JVM start included;
//   no-op  - `./jbang migrate@kodiai up` with nothing pending (the replica-boot case).
// Without a server URL it starts a throwaway cluster with fsync ON: commits then cost
// what they cost in production, which is what the floor is made of.

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = {"Times `migrate up` on N generated migrations against psql's floor, and a no-op `up`.",
        "Each migration is a CREATE TABLE and a CREATE INDEX; the floor is psql running the same SQL in one session,",
        "one transaction per file plus a tracking insert.",
        "Targets: applying N within 1.3x the floor (JVM start included); a cached no-op `./jbang migrate@kodiai"
            + " up` (the",
        "bundled migrations, as replicas run it at boot) median <= 0.6 s, shown beside psql's floor and"
            + " dbmate's `status`."})
class BenchMigrate implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Where the figures go: picocli's writer (a test gives each run its own). */
  private PrintWriter out() { return spec.commandLine().getOut(); }
  @Option(names = "--url",
      description = "Admin URL of the server to use (default: $KODIAI_BENCH_DATABASE_URL, then $DATABASE_URL;"
      + " neither: a throwaway local cluster with fsync on). Scratch databases are created there and dropped.")
  String url;
  @Option(names = {"-n", "--count"}, defaultValue = "500",
      description = "Migrations to generate (default: ${DEFAULT-VALUE}).")
  int count;
  @Option(names = "--rounds", defaultValue = "4",
      description = "Rounds of floor and apply, alternating which goes first; medians are reported (default: "
      + "${DEFAULT-VALUE}).")
  int rounds;
  @Option(names = "--noop-runs", defaultValue = "7",
      description = "No-op runs of each kind; medians are reported (default: ${DEFAULT-VALUE}).")
  int noopRuns;
  @Option(names = "--json", description = "Also write the figures to this file as JSON.")
  Path json;
  @Option(names = "--statements", split = ",", paramLabel = "N",
      description = {"Instead: one migration of N INSERT statements"
      + " (e.g. 80000,160000) against psql running the same file in one transaction (psql -1), as the runner does.",
      "Target: within " + 1.5 + "x psql (issue 14: the runner was quadratic in statements per file)."})
  List<Integer> statements;

  static final double STATEMENTS_TARGET = 1.5;

  static final double APPLY_TARGET = 1.3, NOOP_TARGET_S = 0.6;

  @Override public Integer call() throws Exception {
    if (count < 1) throw new BenchFailure(new BenchFailure.BadOption("--count", 1));
    if (rounds < 1) throw new BenchFailure(new BenchFailure.BadOption("--rounds", 1));
    Path root = MigrationSource.checkoutRoot(); // it runs ./jbang there, as a user would
    if (root == null) throw new BenchFailure(new BenchFailure.NotInCheckout("./jbang migrate.java"));
    Path work = Files.createTempDirectory("kodiai-bench-migrate-");
    LocalCluster.Temporary cluster = null;
    List<String> scratch = new ArrayList<>();
    String admin = BenchScratch.adminUrl(url);
    try {
      if (admin == null) {
        out().println("starting a throwaway PostgreSQL cluster (fsync on) ...");
        cluster = LocalCluster.temporary("kodiai-bench-migrate-pg-", "kodiai_bench", false);
        admin = cluster.adminUrl();
      }
      if (statements != null && !statements.isEmpty()) return bigFiles(root, work, admin, scratch);
      Generated files = generate(work);
      String server = describeServer(admin);
      String tag = "bench_mig_" + ProcessHandle.current().pid() + "_";
      warmUp(root, files.warmup(), admin, tag + "warm", scratch);
      Rounds measured = alternate(root, files, admin, tag, scratch);
      Boot boot = bootNoops(root, admin, tag + "boot", work, scratch);
      report(measured, boot, server);
      return 0;
    } finally {
      cleanUp(admin, scratch, cluster, work);
    }
  }

  /** The generated migrations (dir), the first alone (warmup), and psql's equivalent of applying them (floor). */
  record Generated(Path dir, Path warmup, Path floor) {}

  /** Floor and apply of each round, and the no-op runs with --dir after the last. */
  record Rounds(List<Double> floors, List<Double> applies, List<Double> noops) {}

  /** The interleaved no-op runs on the bundled migrations: cached alias, JBang asked, psql, dbmate (if installed). */
  record Boot(List<Double> cached, List<Double> uncached, List<Double> psql, List<Double> dbmate, boolean haveDbmate) {}

  // Applying: the script by path, JVM and JBang start included. The no-op: the catalog alias,
  // as replicas run it at boot (resolving the alias costs JBang about 0.1 s more).
  static final String SCRIPT = "migrate.java";
  static final String ALIAS = "migrate@kodiai";

  /** Writes the N migrations, the first of them alone, and the floor's SQL file. */
  private Generated generate(Path work) throws IOException {
    Path dir = Files.createDirectories(work.resolve("migrations"));
    Path one = Files.createDirectories(work.resolve("warmup"));
    StringBuilder floorSql = new StringBuilder(TRACKING_TABLE);
    int width = Math.max(3, String.valueOf(count).length());
    for (int i = 1; i <= count; i++) {
      String file = String.format("%0" + width + "d-bench-%d.sql", i, i);
      String sql = "CREATE TABLE bench_" + i
          + " (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n"
          + "CREATE INDEX bench_" + i + "_name ON bench_" + i + " (name);\n";
      Files.writeString(dir.resolve(file), sql);
      if (i == 1) Files.writeString(one.resolve(file), sql);
      floorSql.append("BEGIN;\n").append(sql)
          .append("INSERT INTO _migrations (name, version, checksum, execution_ms, status) VALUES ('")
          .append(file).append("', ").append(i).append(", '").append(MigrationSource.checksum(sql))
          .append("', 0, 'applied');\nCOMMIT;\n");
    }
    Path floorFile = work.resolve("floor.sql");
    Files.writeString(floorFile, floorSql);
    return new Generated(dir, one, floorFile);
  }

  private String describeServer(String admin) throws SQLException {
    String server;
    try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
      server = one(st, "SHOW server_version") + ", fsync " + one(st, "SHOW fsync") + ", synchronous_commit "
          + one(st, "SHOW synchronous_commit");
    }
    out().printf("server: %s (%s); %d cores; %d migrations, %d rounds%n", DbClient.parse(admin).redacted(), server,
        Runtime.getRuntime().availableProcessors(), count, rounds);
    return server;
  }

  /** JBang builds (and caches) the script once; that is not what is measured. */
  private static void warmUp(Path root, Path one, String admin, String warmDb, List<String> scratch) throws Exception {
    createDb(admin, warmDb, scratch);
    for (String how : List.of(SCRIPT, ALIAS)) {
      Result warm = runMigrate(root, how, one, DbClient.withDatabase(admin, warmDb));
      if (warm.exit != 0) throw new BenchFailure(new BenchFailure.RunFailed("warm-up " + how, warm.exit, warm.output));
    }
  }

  /** Floor and runner alternate on fresh databases, so background load hits both alike. */
  private Rounds alternate(Path root, Generated files, String admin, String tag, List<String> scratch)
      throws Exception {
    Rounds out = new Rounds(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (int r = 1; r <= rounds; r++) {
      String floorDb = tag + "floor" + r, applyDb = tag + "apply" + r;
      createDb(admin, floorDb, scratch);
      createDb(admin, applyDb, scratch);
      // Alternating which goes first, each after a checkpoint: neither inherits the other's
      // background work (unlinked files, dirty buffers) or a cheaper WAL state.
      Result floor = null, apply = null;
      for (int k = 0; k < 2; k++) {
        checkpoint(admin);
        if ((k == 0) == (r % 2 == 1)) floor = runPsql(admin, floorDb, files.floor());
        else apply = runMigrate(root, SCRIPT, files.dir(), DbClient.withDatabase(admin, applyDb));
      }
      requireOk("psql", floor);
      requireOk("migrate up", apply);
      checkApplied(DbClient.withDatabase(admin, floorDb), count);
      checkApplied(DbClient.withDatabase(admin, applyDb), count);
      out.floors().add(floor.seconds);
      out.applies().add(apply.seconds);
      out().printf("round %d: floor %.2f s, migrate up %.2f s (%.2fx)%n", r, floor.seconds, apply.seconds,
          apply.seconds / floor.seconds);
      for (int i = 0; r == rounds && i < Math.min(3, Math.max(1, noopRuns)); i++) {
        out.noops().add(requireNoop(runMigrate(root, ALIAS, files.dir(), DbClient.withDatabase(admin, applyDb))));
      }
      dropDb(admin, floorDb, scratch);
      dropDb(admin, applyDb, scratch);
    }
    return out;
  }

  /** The replica-boot case: the bundled migrations, all applied; the catalog alias, as replicas run it. */
  private Boot bootNoops(Path root, String admin, String bootDb, Path work, List<String> scratch) throws Exception {
    createDb(admin, bootDb, scratch);
    String bootUrl = DbClient.withDatabase(admin, bootDb);
    requireOk("migrate up of the bundled migrations", runMigrate(root, ALIAS, null, bootUrl, false));
    Boot out = new Boot(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), onPath("dbmate"));
    for (int i = 0; i < Math.max(1, noopRuns); i++) { // interleaved, so background load hits each kind alike
      out.cached().add(requireNoop(runMigrate(root, ALIAS, null, bootUrl, false)));
      out.uncached().add(requireOk("no-op up (JBang asked)", runMigrate(root, ALIAS, null, bootUrl, true)).seconds);
      String query = "SELECT version, checksum, status FROM _migrations ORDER BY version";
      out.psql().add(requireOk("psql", runPsqlCommand(admin, bootDb, query)).seconds);
      if (out.haveDbmate()) out.dbmate().add(runDbmateStatus(admin, bootDb, work).seconds);
    }
    return out;
  }

  private static Result requireOk(String what, Result r) {
    if (r.exit != 0) throw new BenchFailure(new BenchFailure.RunFailed(what, r.exit, r.output));
    return r;
  }

  /** A no-op `up` must succeed and apply nothing; returns its seconds. */
  private static double requireNoop(Result r) {
    requireOk("no-op up", r);
    if (!r.output.contains("0 applied")) throw new BenchFailure(new BenchFailure.RunFailed("no-op up", 0, r.output));
    return r.seconds;
  }

  private void report(Rounds m, Boot boot, String server) throws IOException {
    double floor = median(m.floors()), apply = median(m.applies()), noop = median(boot.cached()), ratio = apply / floor;
    out().printf("%-58s %6.2f s%n", "floor: psql, one session, one transaction per file", floor);
    out().printf("%-58s %6.2f s  %.2fx the floor (target <= %.1fx)  %s%n", "./jbang " + SCRIPT + " up (" + count
        + " pending, JVM start incl.)", apply, ratio, APPLY_TARGET, ratio <= APPLY_TARGET ? "OK" : "MISSED");
    out().printf("%-58s %6.2f s  (%d pending files in --dir)%n", "./jbang " + ALIAS
        + " up --dir (nothing pending)",
        median(m.noops()), count);
    out().printf("%-58s %6.2f s  (target <= %.1f s)  %s%n", "./jbang " + ALIAS + " up (bundled, nothing pending)",
        noop, NOOP_TARGET_S, noop <= NOOP_TARGET_S ? "OK" : "MISSED");
    out().printf("%-58s %6.2f s  (JBang's own JVM: %.2f s of it)%n",
        "  the same with KODIAI_JBANG_NO_CACHE=1 (JBang decides)", median(boot.uncached()),
            median(boot.uncached()) - noop);
    out().printf("%-58s %6.2f s%n", "  floor: psql reading _migrations (connect + one query)",
        median(boot.psql()));
    if (boot.haveDbmate()) out().printf("%-58s %6.2f s%n", "  dbmate status", median(boot.dbmate()));
    else out().printf("%-58s %6s%n", "  dbmate status", "dbmate not installed");
    out().println("(medians of " + rounds + " rounds, floor and apply alternating first, and of "
        + boot.cached().size() + " interleaved no-op runs)");
    if (json != null) {
      Files.writeString(json, json(m, boot, server));
      out().println("wrote " + json);
    }
  }

  private String json(Rounds m, Boot boot, String server) {
    double floor = median(m.floors()), apply = median(m.applies()), noop = median(boot.cached());
    String dbmate = boot.haveDbmate() ? String.format(java.util.Locale.ROOT, "%.3f", median(boot.dbmate())) : "null";
    return String.format(java.util.Locale.ROOT, "{\"migrations\": %d, \"server\": \"%s\", \"cores\": %d,"
            + " \"floor_s\": %.3f, \"apply_s\": %.3f, \"apply_ratio\": %.3f, \"noop_s\": %.3f,"
            + " \"floor_runs_s\": %s, \"apply_runs_s\": %s, \"noop_runs_s\": %s, \"apply_target_ratio\": %.1f,"
            + " \"noop_target_s\": %.1f, \"noop_jbang_uncached_s\": %.3f, \"noop_psql_s\": %.3f,"
            + " \"noop_dbmate_s\": %s, \"noop_dir_s\": %.3f}%n",
        count, server, Runtime.getRuntime().availableProcessors(), floor, apply, apply / floor, noop,
        list(m.floors()), list(m.applies()), list(boot.cached()), APPLY_TARGET, NOOP_TARGET_S,
        median(boot.uncached()), median(boot.psql()), dbmate, median(m.noops()));
  }

  /** Drops the scratch databases, discards the throwaway cluster, deletes the work folder; never throws. */
  private void cleanUp(String admin, List<String> scratch, LocalCluster.Temporary cluster, Path work) {
    if (!scratch.isEmpty()) {
      try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
        for (String db : scratch) st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      } catch (RuntimeException | SQLException e) {
        spec.commandLine().getErr().println("bench: could not drop the scratch databases " + scratch + ": "
            + DbClient.redact(e.getMessage()));
      }
    }
    if (cluster != null) {
      try {
        cluster.discard();
      } catch (IOException | InterruptedException e) {
        // a temp folder left behind is harmless
      }
    }
    try (Stream<Path> s = Files.walk(work)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a temp folder left behind is harmless
    }
  }

  /** `--statements`: one big file per size, the runner against psql -1 on the same file; medians of the rounds. */
  private int bigFiles(Path root, Path work, String admin, List<String> scratch) throws Exception {
    String tag = "bench_stm_" + ProcessHandle.current().pid() + "_";
    out().printf("%d cores; one migration of N INSERTs; %d rounds, alternating which goes first%n",
        Runtime.getRuntime().availableProcessors(), rounds);
    StringBuilder json = new StringBuilder("[");
    for (int n : statements) {
      Path dir = Files.createDirectories(work.resolve("stm" + n));
      StringBuilder sql = new StringBuilder("CREATE TABLE bench_rows (id int PRIMARY KEY, name text NOT NULL);\n");
      for (int i = 1; i <= n; i++) {
        sql.append("INSERT INTO bench_rows VALUES (").append(i).append(", 'row ").append(i).append("');\n");
      }
      Files.writeString(dir.resolve("001-rows.sql"), sql);
      Path floorFile = work.resolve("floor" + n + ".sql");
      Files.writeString(floorFile, TRACKING_TABLE + sql
          + "INSERT INTO _migrations (name, version, checksum, execution_ms, status)"
          + " VALUES ('001-rows.sql', 1, '" + MigrationSource.checksum(sql.toString()) + "', 0, 'applied');\n");
      createDb(admin, tag + "warm", scratch); // JBang's build is cached first
      runMigrate(root, "migrate.java", dir, DbClient.withDatabase(admin, tag + "warm"));
      dropDb(admin, tag + "warm", scratch);
      List<Double> floors = new ArrayList<>(), applies = new ArrayList<>();
      for (int r = 1; r <= rounds; r++) {
        createDb(admin, tag + "floor", scratch);
        createDb(admin, tag + "apply", scratch);
        Result floor = null, apply = null;
        for (int k = 0; k < 2; k++) {
          checkpoint(admin);
          if ((k == 0) == (r % 2 == 1)) floor = runPsql(admin, tag + "floor", floorFile, "-1");
          else apply = runMigrate(root, "migrate.java", dir, DbClient.withDatabase(admin, tag + "apply"));
        }
        requireOk("psql -1", floor);
        requireOk("migrate up", apply);
        try (Connection c = DbClient.open(DbClient.withDatabase(admin, tag + "apply"));
            Statement st = c.createStatement()) {
          String rows = one(st, "SELECT count(*) FROM bench_rows");
          if (!rows.equals(String.valueOf(n))) {
            throw new BenchFailure(new BenchFailure.WrongResult(tag + "apply", "rows of bench_rows", rows, "" + n));
          }
        }
        floors.add(floor.seconds);
        applies.add(apply.seconds);
        out().printf("%d statements, round %d: psql -1 %.2f s, migrate up %.2f s (%.2fx)%n", n, r, floor.seconds,
            apply.seconds,
            apply.seconds / floor.seconds);
        dropDb(admin, tag + "floor", scratch);
        dropDb(admin, tag + "apply", scratch);
      }
      double floor = median(floors), apply = median(applies);
      out().printf("%d statements: psql -1 %.2f s, ./jbang migrate.java up %.2f s (JVM start incl.): %.2fx "
          + "(target <= %.1fx) %s%n",
          n, floor, apply, apply / floor, STATEMENTS_TARGET, apply / floor <= STATEMENTS_TARGET ? "OK" : "MISSED");
      json.append(json.length() > 1 ? ", " : "").append(String.format(java.util.Locale.ROOT,
          "{\"statements\": %d, \"psql_s\": %.3f, \"apply_s\": %.3f, \"ratio\": %.3f}", n, floor, apply,
              apply / floor));
    }
    if (this.json != null) Files.writeString(this.json, json.append("]\n").toString());
    return 0;
  }

  // The runner's table, created up front as the runner does before its first migration.
  private static final String TRACKING_TABLE = "CREATE TABLE _migrations (id serial PRIMARY KEY, name text NOT NULL "
      + "UNIQUE,"
      + " applied_at timestamptz NOT NULL DEFAULT now(), version integer, checksum text, execution_ms integer,"
      + " status text NOT NULL DEFAULT 'applied', applied_by text DEFAULT current_user);\n";

  record Result(int exit, double seconds, String output) {}

  private static double median(List<Double> xs) { return xs.stream().sorted().toList().get(xs.size() / 2); }

  private static String list(List<Double> xs) {
    return xs.stream().map(d -> String.format(java.util.Locale.ROOT, "%.3f", d)).toList().toString();
  }

  private static void createDb(String admin, String db, List<String> scratch) throws SQLException {
    try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + db);
      st.execute("CREATE DATABASE " + db);
      scratch.add(db);
    }
  }

  /** A checkpoint if the URL's user may ask for one (superuser or pg_checkpoint); otherwise nothing. */
  private static void checkpoint(String admin) {
    try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
      st.execute("CHECKPOINT");
    } catch (SQLException | RuntimeException e) {
      // not allowed: the alternating order alone has to do
    }
  }

  private static void dropDb(String admin, String db, List<String> scratch) throws SQLException {
    try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      scratch.remove(db);
    }
  }

  private static Result runMigrate(Path root, String script, Path dir, String dbUrl) throws IOException,
      InterruptedException {
    return runMigrate(root, script, dir, dbUrl, false);
  }

  /** `./jbang SCRIPT up [--dir DIR]`; `askJBang`: with the launcher's replay of JBang's command turned off. */
  private static Result runMigrate(Path root, String script, Path dir, String dbUrl, boolean askJBang)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(root.resolve("jbang").toString(), script, "up"));
    if (dir != null) cmd.addAll(List.of("--dir", dir.toString()));
    ChildProcess child = ChildProcess.of(cmd).dir(root).env("DATABASE_URL", dbUrl); // never argv: it holds the password
    if (askJBang) child.env("KODIAI_JBANG_NO_CACHE", "1");
    return time(child);
  }

  /** psql -c SQL: the least a no-op can cost (a process, a connection with its authentication, one query). */
  private static Result runPsqlCommand(String admin, String db, String sql) throws IOException, InterruptedException {
    DbClient.Target t = DbClient.parse(admin);
    return time(ChildProcess.of("psql", "-X", "-q", "-At", "-h", t.host(), "-p", String.valueOf(t.port()),
        "-U", t.user() == null ? System.getProperty("user.name") : t.user(), "-d", db, "-c", sql)
        .env("PGPASSWORD", t.password()).env("PGSSLMODE", t.params().get("sslmode")));
  }

  /** dbmate status on an empty migrations folder (it reads its own table): the Go tool's process + connect + query. */
  private static Result runDbmateStatus(String admin, String db, Path work) throws IOException, InterruptedException {
    Path empty = Files.createDirectories(work.resolve("dbmate-migrations"));
    String url = DbClient.withDatabase(admin, db).replaceFirst("^jdbc:", "");
    return time(ChildProcess.of("dbmate", "--migrations-dir", empty.toString(), "--no-dump-schema", "status")
        .env("DATABASE_URL", url + (url.contains("sslmode=") ? "" : (url.contains("?") ? "&" : "?")
            + "sslmode=disable")));
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
      if (Files.isExecutable(Path.of(d, tool))) return true;
    return false;
  }

  /** psql with the password in PGPASSWORD (never argv), stopping at the first error. */
  private static Result runPsql(String admin, String db, Path file, String... extra) throws IOException,
      InterruptedException {
    DbClient.Target t = DbClient.parse(admin);
    List<String> cmd = new ArrayList<>(List.of("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", t.host(), "-p",
        String.valueOf(t.port()),
        "-U", t.user() == null ? System.getProperty("user.name") : t.user(), "-d", db, "-f", file.toString()));
    cmd.addAll(List.of(extra));
    return time(ChildProcess.of(cmd).env("PGPASSWORD", t.password()).env("PGSSLMODE", t.params().get("sslmode")));
  }

  /** Runs the child (stdout and stderr together) for at most 600 s; the figure is its wall time. */
  private static Result time(ChildProcess child) {
    ChildProcess.Result r = child.mergeErrors().run(java.time.Duration.ofSeconds(600));
    if (r.end() != ChildProcess.End.EXITED) r.orThrow(); // hung or interrupted: no figure
    return new Result(r.exitCode(), r.millis() / 1e3, DbClient.redact(r.stdout()));
  }

  private static void checkApplied(String dbUrl, int count) throws SQLException {
    try (Connection c = DbClient.open(dbUrl); Statement st = c.createStatement()) {
      String n = one(st, "SELECT count(*) FROM _migrations WHERE status = 'applied'");
      String idx = one(st, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE "
          + "'bench\\_%\\_name'");
      String db = DbClient.parse(dbUrl).database();
      if (!n.equals(String.valueOf(count))) {
        throw new BenchFailure(new BenchFailure.WrongResult(db, "migrations tracked", n, "" + count));
      }
      if (!idx.equals(String.valueOf(count))) {
        throw new BenchFailure(new BenchFailure.WrongResult(db, "indexes made", idx, "" + count));
      }
    }
  }

  private static String one(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) { rs.next(); return rs.getString(1); }
  }
}
