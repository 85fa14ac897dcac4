// `bench retrieval` (//SOURCES bench/BenchRetrieval.java): recall@k, short results and latency of
// kodiai's own nearest-memory statements (retrieval/KodiaiQueries.java: retrieveMemories per repo
// size, retrieveMemoriesForOwner) exactly as the bot sends them, with no setting of its own,
// against the exact float32 answer (BenchTruth); beside them the exact plan and the per-class rule
// docs/retrieval.md recommended before issue 22. `--shape b1ms` runs the throwaway cluster shaped
// like Azure B1ms. See docs/retrieval.md.

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "retrieval", mixinStandardHelpOptions = true,
    description = "Loads synthetic memories into a scratch database and measures kodiai's own nearest-memory"
        + " statements per "
        + "repo size (0.1%% .. 25%% of the rows, the dominant repo, the owner query over small repos and over"
            + " the dominant "
        + "one) as the bot sends them: recall@k against the exact float32 answer, short results, p50/p95"
            + " latency; beside "
        + "them the exact plan and the per-class rule recommended before (a CTE with SET LOCALs).")
final class BenchRetrieval implements Callable<Integer> {
  @Spec CommandSpec spec;

  /**
   * The rule docs/retrieval.md recommended before issue 22 (kept as a peer): the caller knows a repo's live rows;
   * up to this many, the exact plan forced with `SET LOCAL enable_indexscan = off`; above it, the repo's own HNSW
   * index with ef_search raised for large repos; the query a materialized CTE over-fetching 4k rows.
   */
  static final long EXACT_MAX_ROWS = 3000;
  static final int RECOMMENDED_EF = 100;
  static final long MEDIUM_REPO_ROWS = 50_000, LARGE_REPO_ROWS = 150_000;
  static final int MEDIUM_REPO_EF = 200, LARGE_REPO_EF = 400;
  static final int OVERFETCH = 4;
  /** The session defaults of migration 006 (what the hybrid bench sets explicitly). */
  static final String RECOMMENDED_MODE = "relaxed_order";
  static final String RECOMMENDED_PLAN_CACHE_MODE = "force_custom_plan";

  /** ef_search of the earlier rule for one repo of `liveRows` live rows (on its own index). */
  static int efFor(long liveRows) {
    return liveRows > LARGE_REPO_ROWS ? LARGE_REPO_EF : liveRows > MEDIUM_REPO_ROWS ? MEDIUM_REPO_EF : RECOMMENDED_EF;
  }

  /** The same for a query over `repos` repos (BenchHybrid: several repos go exact or per repo). */
  static int efFor(long liveRows, int repos) { return repos == 1 ? efFor(liveRows) : RECOMMENDED_EF; }

  /** The earlier rule's session settings for a repo of `liveRows` (SET LOCAL in its transaction). */
  static List<String> settingsFor(long liveRows) {
    if (liveRows <= EXACT_MAX_ROWS) return List.of("enable_indexscan = off");
    int ef = efFor(liveRows);
    return ef != RECOMMENDED_EF ? List.of("hnsw.ef_search = " + ef) : List.of();
  }

  /** The earlier recommended query: halfvec distance, over-fetch, re-sort; parameters vector, repos, k x 4, k. */
  static final String QUERY = "WITH nearest AS MATERIALIZED (SELECT id, embedding <=> ?::halfvec(1024) AS distance "
      + "FROM learning_memories WHERE repo = ANY(?::text[]) AND NOT stale ORDER BY distance LIMIT ?) "
      + "SELECT id, distance FROM nearest ORDER BY distance LIMIT ?";

  @Mixin BenchData.Options opt;
  @Option(names = "--chart", paramLabel = "FILE.png", description = "also draw recall against p95 per class (PNG)")
  Path chart;
  @Mixin BenchRepoIndexOptions repoIndexes;
  @Option(names = "--explain",
      description = "also print EXPLAIN (ANALYZE, BUFFERS) of the bot's statement per class (its first query, warm)")
  boolean explain;
  @Option(names = "--setup-sql", paramLabel = "FILE",
      description = "run FILE's SQL after the per-repo indexes, before measuring: a prototype layout to measure"
          + " (e.g. bench/prototypes/partition-by-repo.sql)")
  Path setupSql;

  /**
   * A query class: one repo (owner null), or kodiai's owner query (owner, the repo it leaves out, the repos its first
   * step picks); `first` is the index of its first query in the run's list (BenchTruth's numbering).
   */
  record QClass(String name, List<String> repos, String owner, String exclude, long liveRows,
      List<BenchData.Query> queries,
      int first) {
    boolean ownerQuery() { return owner != null; }
  }

  /** One measured strategy of one class: bot (the contract), exact, or rule (the earlier recommendation). */
  /** The migration that partitions learning_memories by repo (issue 22's owner query). */
  static final int PARTITIONED = 70;

  record Result(String cls, String strategy, double recall, int shortQueries, int queries, double p50, double p95,
      double cpuP50, double cpuP95, String plan, long liveRows) {}

  @Override public Integer call() throws Exception {
    PrintStream out = CommandOut.out(spec);
    String invalid = opt.validate();
    if (invalid == null && setupSql != null && !java.nio.file.Files.isReadable(setupSql))
      invalid = "--setup-sql: no readable file " + setupSql;
    if (invalid != null) throw new BenchFailure(new BenchFailure.BadValue(invalid));
    BenchData data = new BenchData(opt);
    List<BenchJson> json = new ArrayList<>();
    // Loaded at the version before 070, then 070 applied: the layout a database that holds memories gets (a
    // partition of its own for each repo over 3,000 live rows), converted online as in production.
    try (BenchScratch s = BenchScratch.create(opt.url, opt.keep, opt.shape,
        out); Connection c = s.migrateAndConnect(PARTITIONED - 1)) {
      BenchData.Setup setup = data.prepare(c, s, out);
      out.printf(Locale.ROOT, "applying %d (learning_memories partitioned by repo, online) to the loaded table%n",
          PARTITIONED);
      s.migrateRest(null);
      // 070's database default, for this session too (it opened before 070 set it)
      try (Statement st = c.createStatement()) { st.execute("SET enable_partitionwise_aggregate = on"); }
      RepoBuild repoBuild = repoIndexes.build(c, setup.maintenanceWorkMem(), out);
      if (setupSql != null) runSetupSql(c, out);
      List<QClass> classes = classes(c, data);
      long t0 = System.nanoTime();
      BenchTruth truth = BenchTruth.compute(data, classes.stream().flatMap(q -> q.queries().stream()).toList(), opt.k);
      out.printf(Locale.ROOT, "exact float32 answers computed in %.1f s (the rows generated again)%n",
          (System.nanoTime() - t0) / 1e9);
      out.println("session: " + sessionSettings(c) + " (the database's defaults, migration 006; the bot sends none)");
      List<Result> results = new ArrayList<>();
      for (QClass q : classes) results.addAll(measure(c, q, truth, out));
      printTable(out, results, setup, s, repoBuild);
      json.add(repoIndexes.describe(setup.json(data, opt).put("bench", "retrieval").put("shape", s.shape.name)
          .put("warm_set_mb", setup.warmSetMb() + (repoBuild == null ? 0 : repoBuild.mb())), repoBuild));
      for (Result r : results) json.add(toJson(r));
      if (opt.json != null) { BenchJson.write(opt.json, json); out.println("wrote " + opt.json); }
      if (chart != null) drawChart(results, s);
    }
    return 0;
  }

  private void drawChart(List<Result> results, BenchScratch s) throws Exception {
    boolean onCpu = results.stream().allMatch(r -> Double.isFinite(r.cpuP95()));
    BenchChart.recallVsP95(chart, "retrieval, " + String.format(Locale.ROOT, "%,d rows", opt.rows) + ", shape "
        + s.shape.name,
        onCpu ? "p95 on-CPU time of the server, ms (log)" : "p95 latency, ms (log)",
        results.stream().map(r -> new BenchChart.Point(r.cls(), r.strategy(), r.recall(), onCpu ? r.cpuP95()
            : r.p95())).toList());
    spec.commandLine().getOut().println("wrote " + chart);
  }

  /**
   * Runs --setup-sql's file (one batch, one transaction: DO blocks and all), then VACUUM ANALYZE (not allowed in
   * a batch): the steady state autovacuum keeps. Timed together.
   */
  private void runSetupSql(Connection c, PrintStream out) throws Exception {
    long t0 = System.nanoTime();
    try (Statement st = c.createStatement()) {
      st.execute(java.nio.file.Files.readString(setupSql));
      st.execute("VACUUM ANALYZE learning_memories");
    }
    out.printf(Locale.ROOT, "ran %s in %.1f s%n", setupSql, (System.nanoTime() - t0) / 1e9);
  }

  /** What `indexes sync` built: per-repo indexes, their rows, build time and size. */
  record RepoBuild(long minRows, int count, long rows, double seconds, double mb) {
    void print(PrintStream out) {
      out.printf(Locale.ROOT,
          "per-repo HNSW indexes (indexes sync, repos over %,d live rows): %d built in %.1f s, %,d rows, %.0f MB%n",
          minRows, count, seconds, rows, mb);
    }
  }

  /** Builds the per-repo indexes exactly as `./jbang indexes@kodiai sync` does, timing them. */
  static RepoBuild buildRepoIndexes(Connection c, long minRows, String maintenanceWorkMem,
      PrintStream out) throws SQLException {
    long t0 = System.nanoTime(), rows = 0;
    int count = 0;
    for (RepoIndexes.Step st : RepoIndexes.plan(c, minRows)) {
      if (st.action() == RepoIndexes.Action.KEEP) continue;
      RepoIndexes.apply(c, st, maintenanceWorkMem);
      if (st.action() != RepoIndexes.Action.DROP) { count++; rows += st.liveRows(); }
    }
    double seconds = (System.nanoTime() - t0) / 1e9, mb = 0;
    try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(pg_relation_size(indexrelid)), 0)"
        + " FROM pg_index i "
        + "JOIN pg_class ic ON ic.oid = i.indexrelid WHERE indrelid = ?::regclass AND"
            + " starts_with(ic.relname, ?)")) {
      ps.setString(1, RepoIndexes.table(c));
      ps.setString(2, RepoIndexes.PREFIX);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); mb = rs.getLong(1) / 1048576.0; }
    }
    // The steady state autovacuum keeps: the visibility map set (the owner query's counts are an index-only scan).
    try (Statement st = c.createStatement()) { st.execute("VACUUM ANALYZE learning_memories"); }
    RepoBuild b = new RepoBuild(minRows, count, rows, seconds, mb);
    b.print(out);
    return b;
  }

  /**
   * The classes: one repo per share of rows and the dominant repo (retrieveMemories), then retrieveMemoriesForOwner
   * for the dominant repo's owner asked from the dominant repo (its other, small repos: class owner) and from its 1 %
   * repo (the dominant repo among the five: class owner+dom).
   */
  static List<QClass> classes(Connection c, BenchData data) throws SQLException {
    List<QClass> cs = new ArrayList<>();
    int first = 0;
    for (int i = 0; i < BenchData.CLASS_SHARES.length; i++) {
      int r = data.classRepo[i];
      if (r < 0) continue;
      List<String> repos = List.of(data.repo[r]);
      cs.add(new QClass(BenchData.CLASS_NAMES[i], repos, null, null, BenchData.liveRows(c, repos),
          data.queries(repos, r, 20 + i), first));
      first += data.o.queries;
    }
    List<String> dom = List.of(data.repo[data.dominant]);
    cs.add(new QClass("dominant", dom, null, null, BenchData.liveRows(c, dom), data.queries(dom, data.dominant, 1),
        first));
    first += data.o.queries;
    String owner = data.owner[data.dominant];
    for (String[] oc : new String[][] {{"owner", data.repo[data.dominant]}, {"owner+dom", data.repo[data.small]}}) {
      List<String> mine = new ArrayList<>();
      for (int i = 0; i < data.repo.length; i++) if (data.owner[i].equals(owner)
          && !data.repo[i].equals(oc[1])) mine.add(data.repo[i]);
      List<String> chosen = ownerRepos(c, owner, oc[1]);
      cs.add(new QClass(oc[0], chosen, owner, oc[1], BenchData.liveRows(c, chosen), data.queries(mine, data.small,
          oc[0].length()), first));
      first += data.o.queries;
    }
    return cs;
  }

  /** The repos kodiai's owner query searches: the first step of its own statement (its 5 largest other repos). */
  static List<String> ownerRepos(Connection c, String owner, String exclude) throws SQLException {
    String sql = KodiaiQueries.RETRIEVE_MEMORIES_FOR_OWNER;
    sql = sql.substring(sql.indexOf('(') + 1, sql.indexOf(" ), active_repos"));
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, owner);
      ps.setString(2, exclude);
      List<String> repos = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) repos.add(rs.getString(1)); }
      return repos;
    }
  }

  List<Result> measure(Connection c, QClass q, BenchTruth truth, PrintStream out) throws SQLException {
    List<Result> rs = new ArrayList<>();
    rs.add(one(c, q, truth, "bot", List.of()));
    rs.add(one(c, q, truth, "exact", List.of("enable_indexscan = off")));
    if (!q.ownerQuery()) rs.add(one(c, q, truth, "rule", settingsFor(q.liveRows())));
    out.printf(Locale.ROOT, "  %-9s measured%n", q.name());
    if (explain) explainAnalyze(c, q, out);
    return rs;
  }

  /** One strategy over the class's queries: a warm pass, then a measured one (wall and on-CPU time per query). */
  private Result one(Connection c, QClass q, BenchTruth truth, String strategy,
      List<String> settings) throws SQLException {
    c.setAutoCommit(false); // settings are SET LOCAL: this transaction only
    try (PreparedStatement ps = c.prepareStatement(strategy.equals("rule") ? QUERY : botSql(q))) {
      ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(1); // a named statement, as postgres.js prepares
      for (String s : settings) set(c, "SET LOCAL " + s);
      List<BenchData.Query> qs = q.queries();
      for (BenchData.Query x : qs) run(ps, q, x, strategy); // warm: every page this strategy reads is cached
      double[] ms = new double[qs.size()], cpu = new double[qs.size()];
      double recallSum = 0;
      int counted = 0, shortQ = 0, pid = backendPid(c);
      for (int i = 0; i < qs.size(); i++) {
        long c0 = BenchShape.onCpuNanos(pid), t0 = System.nanoTime();
        List<Long> got = run(ps, q, qs.get(i), strategy);
        ms[i] = (System.nanoTime() - t0) / 1e6;
        long c1 = BenchShape.onCpuNanos(pid);
        cpu[i] = c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e6;
        List<Long> want = q.ownerQuery() ? truth.ownerTop(q.first() + i, q.repos()) : truth.repoTop(q.first() + i,
            q.repos().get(0));
        if (want.isEmpty()) continue;
        Set<Long> hit = new HashSet<>(got);
        hit.retainAll(want);
        recallSum += (double) hit.size() / want.size();
        counted++;
        if (got.size() < want.size()) shortQ++;
      }
      String plan = plan(c, q, strategy);
      return new Result(q.name(), strategy, counted == 0 ? 1.0 : recallSum / counted, shortQ, qs.size(),
          BenchData.percentile(ms, 50), BenchData.percentile(ms, 95), BenchData.percentile(cpu, 50),
              BenchData.percentile(cpu, 95),
          plan, q.liveRows());
    } finally {
      c.rollback();
      c.setAutoCommit(true);
    }
  }

  static String botSql(QClass q) { return q.ownerQuery() ? KodiaiQueries.RETRIEVE_MEMORIES_FOR_OWNER
      : KodiaiQueries.RETRIEVE_MEMORIES; }

  /** Binds and runs one query of the class; the ids it returns, in order. */
  List<Long> run(PreparedStatement ps, QClass q, BenchData.Query x, String strategy) throws SQLException {
    bind(ps, q, x, strategy);
    List<Long> ids = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) { while (rs.next()) ids.add(rs.getLong(1)); }
    return ids;
  }

  private void bind(PreparedStatement ps, QClass q, BenchData.Query x, String strategy) throws SQLException {
    String vector = x.pgvector().getValue(); // the bot sends '[...]' text, cast with ::vector
    if (strategy.equals("rule")) {
      ps.setString(1, vector);
      ps.setArray(2, ps.getConnection().createArrayOf("text", q.repos().toArray()));
      ps.setInt(3, OVERFETCH * opt.k);
      ps.setInt(4, opt.k);
    } else if (q.ownerQuery()) {
      ps.setString(1, q.owner());
      ps.setString(2, q.exclude());
      ps.setString(3, vector);
      ps.setString(4, vector);
      ps.setInt(5, opt.k);
      ps.setInt(6, opt.k);
    } else {
      ps.setString(1, vector);
      ps.setString(2, q.repos().get(0));
      ps.setString(3, vector);
      ps.setInt(4, opt.k);
    }
  }

  /** The access path of the class's first query under the current settings: hnsw-repo, hnsw, btree (exact) or seq. */
  private String plan(Connection c, QClass q, String strategy) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (COSTS OFF) " + (strategy.equals("rule") ? QUERY
        : botSql(q)))) {
      bind(ps, q, q.queries().get(0), strategy);
      StringBuilder sb = new StringBuilder();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) sb.append(rs.getString(1)).append('\n'); }
      String p = sb.toString();
      return p.contains(RepoIndexes.PREFIX) ? "hnsw-repo" : p.contains("hnsw") ? "hnsw" : p.contains("Index")
          ? "btree" : "seq";
    }
  }

  private void explainAnalyze(Connection c, QClass q, PrintStream out) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + botSql(q))) {
      bind(ps, q, q.queries().get(0), "bot");
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) out.println("    " + rs.getString(1)); }
    }
  }

  static String sessionSettings(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT"
        + " current_setting('plan_cache_mode'), "
        + "current_setting('hnsw.ef_search', true), current_setting('hnsw.iterative_scan', true)")) {
      rs.next();
      return "plan_cache_mode " + rs.getString(1) + ", hnsw.ef_search " + rs.getString(2)
          + ", hnsw.iterative_scan " + rs.getString(3);
    }
  }

  static int backendPid(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  static void set(Connection c, String... sql) throws SQLException {
    try (Statement st = c.createStatement()) { for (String s : sql) st.execute(s); }
  }

  private void printTable(PrintStream out, List<Result> rs, BenchData.Setup s, BenchScratch scratch,
      RepoBuild repoBuild) {
    out.println();
    out.printf(Locale.ROOT, "retrieval: %,d rows, k=%d, %d queries per class, shape %s, PostgreSQL %s, pgvector %s%n",
        opt.rows, opt.k, opt.queries, scratch.shape.name, s.server(), s.pgvector());
    s.print(out);
    if (repoBuild != null) repoBuild.print(out);
    String usage = scratch.shape.usage();
    if (usage != null) out.println(usage);
    out.println();
    out.println("bot: kodiai's statement as it sends it; exact: the same with enable_indexscan = off; rule:"
        + " the earlier");
    out.println("recommendation (CTE, SET LOCALs). p50/p95: wall time at the client; cpu p50/p95: the server"
        + " process's time on");
    out.println("a CPU (what the query costs on a CPU of its own; the rest is waiting for a CPU held by other"
        + " work, or the round trip)");
    out.printf("%-9s %8s %-8s %7s %7s %8s %8s %8s %8s %-9s%n",
        "class", "rows", "strategy", "recall", "short", "p50 ms", "p95 ms", "cpu p50", "cpu p95", "plan");
    for (Result r : rs)
      out.printf(Locale.ROOT, "%-9s %,8d %-8s %7.3f %7s %8.2f %8.2f %8.2f %8.2f %-9s%s%n", r.cls(), r.liveRows(),
          r.strategy(),
          r.recall(), r.shortQueries() + "/" + r.queries(), r.p50(), r.p95(), r.cpuP50(), r.cpuP95(), r.plan(),
          r.strategy().equals("bot") ? targets(r) : "");
  }

  /** The targets for the bot's statement: recall@10 >= 0.95, no short results, p95 <= 10 ms. */
  static String targets(Result r) {
    boolean quality = BenchData.reaches(r.recall(), 0.95) && r.shortQueries() == 0;
    if (quality && r.p95() <= 10) return " <- targets met";
    if (quality && r.cpuP95() <= 10) return " <- targets met on-CPU only (wall p95 over 10 ms)";
    return " <- target MISSED";
  }

  static BenchJson toJson(Result r) {
    return new BenchJson().put("bench", "retrieval").put("query_class", r.cls()).put("live_rows", r.liveRows())
        .put("strategy", r.strategy()).put("recall", r.recall()).put("short_queries", r.shortQueries())
        .put("queries", r.queries()).put("p50_ms", r.p50()).put("p95_ms", r.p95()).put("cpu_p50_ms", r.cpuP50())
        .put("cpu_p95_ms", r.cpuP95()).put("plan", r.plan()).put("target_met", r.strategy().equals("bot")
            ? !targets(r).contains("MISSED") : null);
  }
}
