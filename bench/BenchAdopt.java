// `bench adopt` (issue 23): a database as kodiai's own runner leaves it (bench/KodiaiFixture), filled in SQL with
// --rows memories and as many review comments with 1024-d float32 vectors (the bulk of production's 5.3 GB),
// rows/10 wiki chunks with vectors and knowledge and telemetry rows in proportion, then adopted by `migrate up` as
// an operator runs it (recognition, every conversion of migrations/from-kodiai/, our migrations after them) while a
// bot-like reader and writer run (OnlineWorkload, lock_timeout 10 s). Per statement of the runner (AdoptSampler):
// its duration, the longest ACCESS EXCLUSIVE lock it held on a table and the longest lock wait of the bot. Then the
// per-table proof (rows and checksums before and after). The figures in docs/adopt.md come from it. Issue 23's
// rule: no hold over 2 s.

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "adopt", mixinStandardHelpOptions = true,
    description = {"Converts a generated kodiai-built database while a bot-like reader and writer run.",
        "The database: kodiai 24fba64a's runner, files 001-054, --rows memories and as many review comments with",
        "vectors; then `migrate up` (every conversion, our migrations after). Prints per statement its",
        "duration, the longest ACCESS EXCLUSIVE hold on a table and the bot's longest lock wait, and per table",
        "the rows and checksums before and after. Run it from the checkout."})
final class BenchAdopt implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin BenchData.Options opt;

  @picocli.CommandLine.Option(names = "--no-proof", description = "skip the per-table checksums before and after"
      + " (at 5 GB each pass reads every vector; the tests prove equality)")
  boolean noProof;

  record Step(String label, double seconds, double maxHoldMs, String heldOn, String strongest, String strongestOn,
      OnlineWorkload.Phase seen) {}

  /** How `up` ended, for the report. */
  String outcome = "";

  @Override public Integer call() throws Exception {
    PrintStream out = CommandOut.out(spec);
    String invalid = opt.validate();
    if (invalid != null) { spec.commandLine().getErr().println("bench adopt: " + invalid); return 2; }
    Path migrations = MigrationSource.checkoutRoot().resolve("migrations");
    try (BenchScratch s = BenchScratch.create(opt.url, opt.keep, opt.shape, out)) {
      try (Connection c = DbClient.open(s.url)) { build(c, opt.rows, out); }
      Map<String, KodiaiAdoption.TableSum> before = noProof ? null : timedSums(s.url, "before", out);
      List<Step> steps = run(s.url, migrations, out);
      try (Connection c = DbClient.open(s.url)) { out.println("converted: " + sizes(c)); }
      Map<String, KodiaiAdoption.TableSum> after = noProof ? null : timedSums(s.url, "after", out);
      print(out, steps);
      List<String> differ = noProof ? List.of() : KodiaiAdoption.compare(before, after, out);
      if (!differ.isEmpty()) {
        out.println("(the bot-like writer inserted reviews, findings and memories and flipped flags during the"
            + " conversion, so these differ here; AdoptStepsTest proves equality on a quiet database)");
      }
      if (opt.json != null) json(steps);
      boolean ok = outcome.endsWith("exit 0")
          && steps.stream().allMatch(st -> st.maxHoldMs() <= 2000 && st.seen().errors.isEmpty());
      return ok ? 0 : 1;
    }
  }

  /**
   * kodiai's database at `rows` (set-up, not a figure of the adoption): the schema, the fill with kodiai's HNSW
   * indexes left out (each row inserted into a float32 HNSW costs more than the rest of its insert: at 400,000
   * memories the fill took 11.5 min with it), then those indexes built from their own definitions, so the database
   * is the one kodiai's runner leaves; each phase timed.
   */
  static void build(Connection c, long rows, PrintStream out) throws SQLException {
    long t0 = System.nanoTime();
    KodiaiFixture.build(c);
    List<String> hnsw = withoutHnsw(c);
    fill(c, rows);
    long t1 = System.nanoTime();
    out.printf(Locale.ROOT, "kodiai's schema and rows: %.1f s (its %d HNSW indexes left out)%n", (t1 - t0) / 1e9,
        hnsw.size());
    String mem = buildMemory(rows);
    try (Statement st = c.createStatement()) {
      st.execute("SET maintenance_work_mem = '" + mem + "'");
      st.execute("SET max_parallel_maintenance_workers = 1");
      for (String ddl : hnsw) st.execute(ddl);
      st.execute("RESET maintenance_work_mem");
      st.execute("RESET max_parallel_maintenance_workers");
    }
    long t2 = System.nanoTime();
    out.printf(Locale.ROOT, "kodiai's HNSW indexes built: %.1f s (maintenance_work_mem %s, 1 parallel worker)%n",
        (t2 - t1) / 1e9, mem);
    try (Statement st = c.createStatement()) { st.execute("VACUUM ANALYZE"); }
    out.printf(Locale.ROOT, "VACUUM ANALYZE: %.1f s; kodiai-shaped database: %s%n", (System.nanoTime() - t2) / 1e9,
        sizes(c));
  }

  /** Drops every HNSW index of the schema; returns their definitions (pg_get_indexdef), to build them again. */
  static List<String> withoutHnsw(Connection c) throws SQLException {
    Map<String, String> defs = new java.util.LinkedHashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT i.indexrelid::regclass::text,"
        + " pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
        + " JOIN pg_am a ON a.oid = x.relam WHERE a.amname = 'hnsw' ORDER BY x.relname")) {
      while (rs.next()) defs.put(rs.getString(1), rs.getString(2));
    }
    try (Statement st = c.createStatement()) {
      for (String index : defs.keySet()) st.execute("DROP INDEX " + index);
    }
    return List.copyOf(defs.values());
  }

  /**
   * Enough for an in-memory HNSW build of `rows` float32 vectors of 1024 dimensions (4 KiB each, plus the graph's
   * neighbour lists: about 5 KiB a row), at least 256 MB: a build that spills to disk is many times slower.
   */
  static String buildMemory(long rows) {
    return Math.max(256, (rows * 5 + 1023) / 1024) + "MB";
  }

  private Map<String, KodiaiAdoption.TableSum> timedSums(String url, String when, PrintStream out) throws SQLException {
    long t0 = System.nanoTime();
    try (Connection c = DbClient.open(url)) {
      var sums = KodiaiAdoption.sums(c, KodiaiAdoption.allProved());
      out.printf(Locale.ROOT, "checksums %s: %.1f s%n", when, (System.nanoTime() - t0) / 1e9);
      return sums;
    }
  }

  /**
   * In SQL, fast: 1,000 random vectors, then `rows` memories and `rows` review comments reusing them (each row
   * stores its own copy: PostgreSQL shares no TOAST value between rows, and random floats do not compress);
   * reviews rows/10, wiki chunks rows/10 (with vectors), findings rows/2, feedback rows/20, telemetry rows/5, the
   * small tables rows/100.
   */
  static void fill(Connection c, long rows) throws SQLException {
    long reviews = Math.max(10, rows / 10), findings = Math.max(20, rows / 2), small = Math.max(10, rows / 100);
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TEMP TABLE pool AS SELECT i, (SELECT array_agg(random()::real - 0.5) FROM"
          + " generate_series(1, 1024) WHERE i > 0)::vector(1024) AS v FROM generate_series(0, 999) i");
      st.execute("INSERT INTO learning_memories (repo, owner, finding_id, review_id, source_repo, finding_text,"
          + " severity, category, file_path, outcome, embedding_model, embedding_dim, embedding, stale, language)"
          + " SELECT 'acme/r' || (g % 20), 'acme', 5000000000 + g, (g % " + reviews + ")::int + 1, 'acme/r',"
          + " 'memory text ' || g, 'minor', 'style', 'src/a.ts', 'accepted', 'voyage-4', 1024, p.v, g % 10 = 0,"
          + " 'typescript' FROM generate_series(1, " + rows + ") g JOIN pool p ON p.i = g % 1000");
      st.execute(genericInsert("review_comments", rows));
      st.execute(genericInsert("wiki_pages", Math.max(10, rows / 10)));
      st.execute("INSERT INTO reviews (repo, pr_number, config_snapshot) SELECT 'acme/r' || (g % 20), g,"
          + " CASE WHEN g % 50 = 0 THEN to_json('{\"a\": 1}'::text)::text ELSE '{\"a\": 1}' END"
          + " FROM generate_series(1, " + reviews + ") g");
      st.execute("INSERT INTO findings (review_id, file_path, severity, category, confidence, title, comment_id)"
          + " SELECT 1 + g % " + reviews + ", 'src/f' || (g % 500) || '.ts', 'minor', 'style', 50, 't' || (g % 200),"
          + " 4000000000 + g FROM generate_series(1, " + findings + ") g");
      st.execute("INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface,"
          + " reaction_id, reaction_content, reactor_login, severity, category, file_path, title)"
          + " SELECT 'acme/r' || (g % 20), 1 + g % " + reviews + ", 1 + g % " + findings + ", 4000000000 + g,"
          + " 'review', g, '+1', 'u', 'minor', 'style', 'src/a.ts', 't' || (g % 200) FROM generate_series(1, "
          + small * 5 + ") g");
      st.execute("INSERT INTO telemetry_events (repo, event_type, model, cost_usd, conclusion)"
          + " SELECT 'acme/r' || (g % 20), 'e', 'm', (g % 1000) * 0.00013, 'ok' FROM generate_series(1, " + rows / 5
          + ") g");
      st.execute("INSERT INTO dep_bump_merge_history (repo, pr_number, signals_json, merge_confidence_rationale_json)"
          + " SELECT 'acme/r' || (g % 20), g, '[\"s\"]', '[\"r\"]' FROM generate_series(1, " + small + ") g");
      st.execute("INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data)"
          + " SELECT 'k' || g, 'acme/r' || (g % 20), g, '{\"files\": []}' FROM generate_series(1, " + small + ") g");
      st.execute("INSERT INTO rate_limit_events (repo, event_type, cache_hit_rate, skipped_queries, retry_attempts,"
          + " degradation_path) SELECT 'acme/r1', 'e', (g % 100) / 100.0, 0, 0, 'none' FROM generate_series(1, "
          + small + ") g");
    }
  }

  /** An INSERT of `rows` rows into a table of KodiaiSchema: NOT NULL columns get a value of their type, a vector
   * column a pooled vector, the rest NULL. */
  static String genericInsert(String table, long rows) {
    List<String> cols = new ArrayList<>(), values = new ArrayList<>();
    for (var col : KodiaiAdoption.expectedColumns().get(table).entrySet()) {
      String type = col.getValue();
      boolean nn = type.endsWith("!");
      String v = type.startsWith("vector") ? "p.v" : !nn ? null : switch (type.replace("!", "")) {
        case "bigint" -> "g";
        case "integer", "smallint" -> "(g % 100000)::int";
        case "boolean" -> "false";
        case "timestamptz" -> "now()";
        case "jsonb" -> "'{}'::jsonb";
        case "text[]" -> "'{}'::text[]";
        case "integer[]" -> "'{}'::int[]";
        default -> type.startsWith("real") || type.startsWith("float8") || type.startsWith("numeric") ? "0"
            : "'review comment text ' || g";
      };
      if (v == null) continue;
      cols.add("\"" + col.getKey() + "\"");
      values.add(v);
    }
    return "INSERT INTO " + table + " (" + String.join(", ", cols) + ") SELECT " + String.join(", ", values)
        + " FROM generate_series(1, " + rows + ") g JOIN pool p ON p.i = g % 1000";
  }

  static String sizes(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_size_pretty(pg_database_size("
        + "current_database())), pg_size_pretty(pg_total_relation_size('learning_memories')),"
        + " pg_size_pretty(pg_total_relation_size('review_comments'))")) {
      rs.next();
      return "database " + rs.getString(1) + ", learning_memories " + rs.getString(2) + ", review_comments "
          + rs.getString(3);
    }
  }

  /**
   * `up` as an operator runs it (recognition, every conversion, our migrations after them), under the workload;
   * AdoptSampler watches the runner's backend. Returns the statements seen; `outcome` says how `up` ended.
   */
  private List<Step> run(String url, Path migrations, PrintStream out) throws Exception {
    MigrationSource source = MigrationSource.load(migrations);
    List<Step> steps = new ArrayList<>();
    try (OnlineWorkload w = new OnlineWorkload(url, "10s", "acme/r3", opt.rows)) {
      AdoptSampler sampler = new AdoptSampler(url, w, source.migrations);
      Thread t = new Thread(sampler, "adopt-sampler");
      t.setDaemon(true);
      t.start();
      long t0 = System.nanoTime();
      try {
        DbClient.Target target = DbClient.parse(url + (url.contains("?") ? "&" : "?") + "application_name="
            + AdoptSampler.APPLICATION);
        java.io.PrintWriter runner = new java.io.PrintWriter(sampler.runnerOutput(out), true);
        Migrations.with(target, 0, source, runner, Migrations.quiet(), Duration.ofSeconds(60),
            m -> m.migrate(null, false));
        runner.flush();
        outcome = "migrate up: exit 0";
      } catch (RuntimeException e) {
        outcome = "migrate up stopped: " + e.getMessage();
      }
      out.printf(Locale.ROOT, "%s (%.1f s)%n", outcome, (System.nanoTime() - t0) / 1e9);
      t.interrupt();
      t.join(5_000);
      w.phase("after");
      for (AdoptSampler.Seen s : sampler.seen()) {
        steps.add(new Step(s.label, s.seconds, s.maxHoldMs, s.heldOn, s.strongest, s.strongestOn, w.get(s.label)));
      }
    }
    return steps;
  }

  private void print(PrintStream out, List<Step> steps) {
    out.printf(Locale.ROOT, "%nadopt: %,d memories and %,d review comments; the bot: a reader and a writer,"
        + " lock_timeout 10 s%n", opt.rows, opt.rows);
    out.printf("%-72s %9s %14s %-24s %13s %13s %s%n", "migration: statement", "seconds", "AE hold ms", "on",
        "bot wait ms", "bot read ms", "errors");
    for (Step s : steps) {
      // the table lists what matters: long statements, holds, the bot's waits and errors (--json has them all)
      if (s.seconds() < 1 && s.maxHoldMs() < 10 && s.seen().maxLockWaitMs < 100 && s.seen().errors.isEmpty()) continue;
      out.printf(Locale.ROOT, "%-72s %9.1f %14.0f %-24s %13.0f %13.0f %s%n", s.label(), s.seconds(), s.maxHoldMs(),
          s.heldOn(), s.seen().maxLockWaitMs, s.seen().maxReadMs, String.join("; ", s.seen().errors));
    }
    double total = steps.stream().mapToDouble(Step::seconds).sum();
    double hold = steps.stream().mapToDouble(Step::maxHoldMs).max().orElse(0);
    double wait = steps.stream().mapToDouble(s -> s.seen().maxLockWaitMs).max().orElse(0);
    out.printf(Locale.ROOT,
        "total %.1f s; longest ACCESS EXCLUSIVE hold %.0f ms; longest lock wait of the bot %.0f ms%n",
        total, hold, wait);
    perMigration(out, steps);
  }

  /**
   * Per migration: its statements' seconds added up, the strongest table lock its runner was seen holding (and on
   * which table), the longest ACCESS EXCLUSIVE hold, the bot's longest lock wait and longest read, its failed
   * statements.
   */
  static void perMigration(PrintStream out, List<Step> steps) {
    Map<String, List<Step>> by = new java.util.LinkedHashMap<>();
    for (Step s : steps) by.computeIfAbsent(s.label().split(": ", 2)[0], k -> new ArrayList<>()).add(s);
    out.printf("%nper migration:%n%-40s %9s %-26s %-28s %10s %11s %11s %s%n", "migration", "seconds",
        "strongest lock", "on", "AE hold ms", "bot wait ms", "bot read ms", "bot errors");
    for (var e : by.entrySet()) {
      AdoptSampler.Seen m = new AdoptSampler.Seen(e.getKey());
      double wait = 0, read = 0;
      List<String> errors = new ArrayList<>();
      for (Step s : e.getValue()) {
        m.seconds += s.seconds();
        if (s.maxHoldMs() > m.maxHoldMs) m.maxHoldMs = s.maxHoldMs();
        AdoptSampler.strongest(m, s.strongest() + " " + s.strongestOn());
        wait = Math.max(wait, s.seen().maxLockWaitMs);
        read = Math.max(read, s.seen().maxReadMs);
        errors.addAll(s.seen().errors);
      }
      out.printf(Locale.ROOT, "%-40s %9.1f %-26s %-28s %10.0f %11.0f %11.0f %s%n", m.label, m.seconds, m.strongest,
          m.strongestOn, m.maxHoldMs, wait, read, errors.isEmpty() ? "0" : errors.size() + ": " + errors.get(0));
    }
  }

  private void json(List<Step> steps) throws Exception {
    List<BenchJson> json = new ArrayList<>();
    for (Step s : steps) {
      json.add(new BenchJson().put("bench", "adopt").put("rows", opt.rows).put("step", s.label())
          .put("seconds", s.seconds()).put("max_access_exclusive_ms", s.maxHoldMs()).put("table", s.heldOn())
          .put("strongest_lock", s.strongest()).put("strongest_lock_on", s.strongestOn())
          .put("max_lock_wait_ms", s.seen().maxLockWaitMs).put("max_read_ms", s.seen().maxReadMs)
          .put("max_write_ms", s.seen().maxWriteMs).put("reads", s.seen().reads).put("writes", s.seen().writes)
          .put("errors", String.join("; ", s.seen().errors)));
    }
    BenchJson.write(opt.json, json);
    spec.commandLine().getOut().println("wrote " + opt.json);
  }
}
