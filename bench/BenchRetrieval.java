// `bench retrieval` (//SOURCES bench/BenchRetrieval.java): recall@k, short results and
// latency of the nearest-memory query for every repo size (query classes by the repo's
// share of rows), against the exact float32 answer; load rate, index builds, sizes.
// `--shape b1ms` runs the throwaway cluster shaped like Azure B1ms. See docs/retrieval.md.

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "retrieval", mixinStandardHelpOptions = true,
    description = "Loads synthetic memories into a scratch database and measures the nearest-memory query per repo size "
        + "(0.1% .. 25% of the rows, the dominant repo, the owner query): recall@k against the exact float32 answer, "
        + "short results, p50/p95 latency, per plan (exact, HNSW at several ef_search) and for the recommended per-class rule.")
final class BenchRetrieval implements Callable<Integer> {

  /**
   * The per-class rule docs/retrieval.md recommends: the caller knows how many live rows the repos it asks about
   * hold. Up to this many, the exact plan (the repo btree, every row's inline halfvec, a top-k sort), forced with
   * `SET LOCAL enable_indexscan = off` (the planner would otherwise pick HNSW for some of them, and lose recall
   * to the repo filter); above it, the HNSW index with the session defaults (ef_search 100, relaxed_order).
   */
  static final long EXACT_MAX_ROWS = 3000;
  /**
   * The owner query (several repos in one `= ANY`): the exact plan up to this many live rows together; above it,
   * one query per repo, merged. Per-repo indexes cannot serve several repos, and the global index lost recall
   * (0.47 at 300,000 rows); one exact scan of 3,459 rows cost 8.0 ms p95 on-CPU there, the per-repo path 10.1 ms.
   */
  static final long OWNER_EXACT_MAX_ROWS = 4000;
  static final int RECOMMENDED_EF = 100;
  /**
   * A repo's own graph loses recall at ef_search 100 as it grows, so the rule raises ef_search with the repo's live
   * rows (docs/retrieval.md, growth; two 1,000,000-row runs): above 50,000 rows to 200 (a 90,381-row repo: 0.900 at
   * 100, 0.970 at 200; 53,790 rows: 0.993 at 100), above 150,000 to 400 (225,093 and 359,830 rows: 0.883-0.963 at
   * 100, 0.923-0.980 at 200, 0.947-0.983 at 400).
   */
  static final long MEDIUM_REPO_ROWS = 50_000, LARGE_REPO_ROWS = 150_000;
  static final int MEDIUM_REPO_EF = 200, LARGE_REPO_EF = 400;

  /** ef_search of the recommended rule for one repo of `liveRows` live rows (on its own index). */
  static int efFor(long liveRows) {
    return liveRows > LARGE_REPO_ROWS ? LARGE_REPO_EF : liveRows > MEDIUM_REPO_ROWS ? MEDIUM_REPO_EF : RECOMMENDED_EF;
  }

  /** The same for a query over `repos` repos: several are run exact or one query per repo, each with its own rule. */
  static int efFor(long liveRows, int repos) { return repos == 1 ? efFor(liveRows) : RECOMMENDED_EF; }
  static final String RECOMMENDED_MODE = "relaxed_order";
  static final String RECOMMENDED_PLAN_CACHE_MODE = "force_custom_plan";
  /** Rows the inner query takes per wanted row: relaxed_order hands rows over slightly out of order. */
  static final int OVERFETCH = 4;
  static final int[] EF_SEARCH = {40, 100, 200, 400};

  /** The recommended query (migration 007): halfvec distance, over-fetch, re-sort; parameters vector, repos, k x 4, k. */
  static final String QUERY = "WITH nearest AS MATERIALIZED (SELECT id, embedding_half <=> ?::halfvec(1024) AS distance "
      + "FROM learning_memories WHERE repo = ANY(?::text[]) AND NOT stale ORDER BY distance LIMIT ?) "
      + "SELECT id, distance FROM nearest ORDER BY distance LIMIT ?";
  /** The exact answer: float32 distance (no index orders by it since 007), parameters vector, repos, k. */
  static final String TRUTH = "SELECT id FROM learning_memories WHERE repo = ANY(?::text[]) AND NOT stale "
      + "ORDER BY embedding <=> ?::vector, id LIMIT ?";

  @Mixin BenchData.Options opt;
  @Option(names = "--chart", paramLabel = "FILE.png", description = "also draw recall against p95 per class (PNG)")
  Path chart;
  @Mixin BenchRepoIndexOptions repoIndexes;

  record QClass(String name, List<String> repos, long liveRows, List<BenchData.Query> queries) {}

  /** One measured configuration of one class. strategy: exact, hnsw, or the recommended rule. */
  record Result(String cls, String strategy, int ef, double recall, int shortQueries, int queries, double p50, double p95,
      double cpuP50, double cpuP95, double exactP50, String plan, boolean recommended, long liveRows) {}

  @Override public Integer call() throws Exception {
    PrintStream out = System.out;
    String invalid = opt.validate();
    if (invalid != null) { System.err.println("bench retrieval: " + invalid); return 2; }
    BenchData data = new BenchData(opt);
    List<BenchJson> json = new ArrayList<>();
    try (BenchScratch s = BenchScratch.create(opt.url, opt.keep, opt.shape, out); Connection c = s.migrateAndConnect()) {
      BenchData.Setup setup = data.prepare(c, s, out);
      RepoBuild repoBuild = repoIndexes.build(c, setup.maintenanceWorkMem(), out);
      List<QClass> classes = classes(c, data);
      for (QClass q : classes)
        out.printf(Locale.ROOT, "class %-8s %d repo(s), %,d live rows%n", q.name(), q.repos().size(), q.liveRows());
      List<Result> results = new ArrayList<>();
      for (QClass q : classes) results.addAll(measure(c, q, out));
      printTable(out, results, setup, s);
      if (repoBuild != null) repoBuild.print(out);
      json.add(repoIndexes.describe(setup.json(data, opt).put("bench", "retrieval").put("shape", s.shape.name), repoBuild));
      for (Result r : results) json.add(toJson(r));
      if (opt.json != null) { BenchJson.write(opt.json, json); out.println("wrote " + opt.json); }
      if (chart != null) {
        boolean onCpu = results.stream().allMatch(r -> Double.isFinite(r.cpuP95()));
        BenchChart.recallVsP95(chart, "retrieval, " + String.format(Locale.ROOT, "%,d rows", opt.rows) + ", shape " + s.shape.name,
            onCpu ? "p95 on-CPU time of the server, ms (log)" : "p95 latency, ms (log)",
            results.stream().map(r -> new BenchChart.Point(r.cls(), r.strategy().equals("hnsw") ? "ef " + r.ef() : r.strategy(),
                r.recall(), onCpu ? r.cpuP95() : r.p95())).toList());
        out.println("wrote " + chart);
      }
    }
    return 0;
  }

  /** What `indexes sync` built: per-repo indexes, their rows, build time and size. */
  record RepoBuild(long minRows, int count, long rows, double seconds, double mb) {
    void print(PrintStream out) {
      out.printf(Locale.ROOT, "per-repo HNSW indexes (indexes sync, repos over %,d live rows): %d built in %.1f s, %,d rows, %.0f MB%n",
          minRows, count, seconds, rows, mb);
    }
  }

  /** Builds the per-repo indexes exactly as `./jbang indexes@kodiai sync` does, timing them. */
  static RepoBuild buildRepoIndexes(Connection c, long minRows, String maintenanceWorkMem, PrintStream out) throws SQLException {
    long t0 = System.nanoTime(), rows = 0;
    int count = 0;
    for (RepoIndexes.Step st : RepoIndexes.plan(c, minRows)) {
      if (st.action() == RepoIndexes.Action.KEEP) continue;
      RepoIndexes.apply(c, st, maintenanceWorkMem);
      if (st.action() != RepoIndexes.Action.DROP) { count++; rows += st.liveRows(); }
    }
    double seconds = (System.nanoTime() - t0) / 1e9, mb = 0;
    try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_index i "
        + "JOIN pg_class ic ON ic.oid = i.indexrelid WHERE indrelid = 'learning_memories'::regclass AND starts_with(ic.relname, ?)")) {
      ps.setString(1, RepoIndexes.PREFIX);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); mb = rs.getLong(1) / 1048576.0; }
    }
    RepoBuild b = new RepoBuild(minRows, count, rows, seconds, mb);
    b.print(out);
    return b;
  }

  /** The query classes: one repo per share of rows, the dominant repo, and up to 5 repos of one owner in one query. */
  static List<QClass> classes(Connection c, BenchData data) throws SQLException {
    List<QClass> cs = new ArrayList<>();
    for (int i = 0; i < BenchData.CLASS_SHARES.length; i++) {
      int r = data.classRepo[i];
      if (r < 0) continue;
      List<String> repos = List.of(data.repo[r]);
      cs.add(new QClass(BenchData.CLASS_NAMES[i], repos, BenchData.liveRows(c, repos), data.queries(repos, r, 20 + i)));
    }
    List<String> dom = List.of(data.repo[data.dominant]);
    cs.add(new QClass("dominant", dom, BenchData.liveRows(c, dom), data.queries(dom, data.dominant, 1)));
    cs.add(new QClass("owner", data.ownerRepos, BenchData.liveRows(c, data.ownerRepos), data.queries(data.ownerRepos, data.dominant, 3)));
    return cs;
  }

  /** The recommended settings for a query over `liveRows` rows: the exact plan for small repos, ef_search for large ones (SET LOCAL). */
  static List<String> settingsFor(long liveRows) { return settingsFor(liveRows, 1); }

  /** The same for a query over `repos` repos (the owner query: exact up to OWNER_EXACT_MAX_ROWS together). */
  static List<String> settingsFor(long liveRows, int repos) {
    if (liveRows <= (repos > 1 ? OWNER_EXACT_MAX_ROWS : EXACT_MAX_ROWS)) return List.of("enable_indexscan = off");
    int ef = efFor(liveRows, repos);
    return ef != RECOMMENDED_EF ? List.of("hnsw.ef_search = " + ef) : List.of();
  }

  List<Result> measure(Connection c, QClass q, PrintStream out) throws SQLException {
    set(c, "SET plan_cache_mode = " + RECOMMENDED_PLAN_CACHE_MODE, "SET hnsw.iterative_scan = " + RECOMMENDED_MODE);
    // The exact answer, and what it costs without any index help for the order (float32 from TOAST).
    List<Set<Long>> truth = new ArrayList<>();
    double[] ms = new double[q.queries().size()];
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      truth.add(truth(c, q.repos(), q.queries().get(i)));
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    double exactP50 = BenchData.percentile(ms, 50);
    List<Result> rs = new ArrayList<>();
    if (q.liveRows() <= 4 * EXACT_MAX_ROWS) rs.add(one(c, q, "exact", RECOMMENDED_EF, List.of("enable_indexscan = off"), truth, exactP50, false));
    for (int ef : EF_SEARCH) // HNSW wherever the planner agrees (it may still pick the btree for tiny repos: see plan)
      rs.add(one(c, q, "hnsw", ef, List.of("enable_bitmapscan = off", "enable_seqscan = off"), truth, exactP50, false));
    rs.add(one(c, q, "recommended", efFor(q.liveRows(), q.repos().size()), settingsFor(q.liveRows(), q.repos().size()),
        truth, exactP50, true));
    out.printf(Locale.ROOT, "  %-8s measured (exact float32 p50 %.1f ms)%n", q.name(), exactP50);
    set(c, "RESET plan_cache_mode", "RESET hnsw.iterative_scan", "RESET hnsw.ef_search");
    return rs;
  }

  private Result one(Connection c, QClass q, String strategy, int ef, List<String> settings, List<Set<Long>> truth,
      double exactP50, boolean recommended) throws SQLException {
    set(c, "SET hnsw.ef_search = " + ef);
    for (String s : settings) set(c, "SET " + s);
    // The rule for several repos above the exact limit: each repo on its own path, lists merged (docs/retrieval.md).
    boolean split = recommended && q.repos().size() > 1 && q.liveRows() > OWNER_EXACT_MAX_ROWS;
    Map<String, Long> perRepo = new HashMap<>();
    if (split) for (String r : q.repos()) perRepo.put(r, BenchData.liveRows(c, List.of(r)));
    try {
      List<BenchData.Query> qs = q.queries();
      for (BenchData.Query x : qs) { if (split) runSplit(c, perRepo, x); else run(c, q.repos(), x); } // warm: every page this configuration reads is cached
      double[] ms = new double[qs.size()], cpu = new double[qs.size()];
      double recallSum = 0;
      int counted = 0, shortQ = 0;
      int pid = backendPid(c);
      for (int i = 0; i < qs.size(); i++) {
        long c0 = BenchShape.onCpuNanos(pid), t0 = System.nanoTime();
        List<Long> got = split ? runSplit(c, perRepo, qs.get(i)) : run(c, q.repos(), qs.get(i));
        ms[i] = (System.nanoTime() - t0) / 1e6;
        long c1 = BenchShape.onCpuNanos(pid);
        cpu[i] = c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e6;
        Set<Long> want = truth.get(i);
        if (want.isEmpty()) continue;
        Set<Long> hit = new HashSet<>(got);
        hit.retainAll(want);
        recallSum += (double) hit.size() / want.size();
        counted++;
        if (got.size() < want.size()) shortQ++;
      }
      return new Result(q.name(), strategy, ef, counted == 0 ? 1.0 : recallSum / counted, shortQ, qs.size(),
          BenchData.percentile(ms, 50), BenchData.percentile(ms, 95), BenchData.percentile(cpu, 50), BenchData.percentile(cpu, 95),
          exactP50, split ? "per-repo" : plan(c, q), recommended, q.liveRows());
    } finally {
      for (String s : settings) set(c, "RESET " + s.substring(0, s.indexOf(' ')));
    }
  }

  /** One query per repo, each with its own rule (exact up to EXACT_MAX_ROWS, else its own index), merged by distance. */
  List<Long> runSplit(Connection c, Map<String, Long> liveRows, BenchData.Query q) throws SQLException {
    List<Hit> hits = new ArrayList<>();
    for (var repo : liveRows.entrySet()) {
      List<String> settings = settingsFor(repo.getValue());
      for (String s : settings) set(c, "SET " + s);
      try {
        hits.addAll(hits(c, List.of(repo.getKey()), q));
      } finally {
        for (String s : settings) set(c, "RESET " + s.substring(0, s.indexOf(' ')));
      }
    }
    hits.sort(java.util.Comparator.comparingDouble(Hit::distance));
    return hits.stream().limit(opt.k).map(Hit::id).toList();
  }

  List<Long> run(Connection c, List<String> repos, BenchData.Query q) throws SQLException {
    return hits(c, repos, q).stream().map(Hit::id).toList();
  }

  record Hit(long id, double distance) {}

  /** The recommended query's rows, nearest first. */
  List<Hit> hits(Connection c, List<String> repos, BenchData.Query q) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(QUERY)) {
      ps.setObject(1, q.pgvector());
      ps.setArray(2, c.createArrayOf("text", repos.toArray()));
      ps.setInt(3, OVERFETCH * opt.k);
      ps.setInt(4, opt.k);
      List<Hit> hits = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) hits.add(new Hit(rs.getLong(1), rs.getDouble(2))); }
      return hits;
    }
  }

  Set<Long> truth(Connection c, List<String> repos, BenchData.Query q) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(TRUTH)) {
      ps.setArray(1, c.createArrayOf("text", repos.toArray()));
      ps.setObject(2, q.pgvector());
      ps.setInt(3, opt.k);
      Set<Long> ids = new HashSet<>();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) ids.add(rs.getLong(1)); }
      return ids;
    }
  }

  /** The access path of the class's first query under the current settings: hnsw, btree (exact) or seq. */
  private String plan(Connection c, QClass q) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (COSTS OFF) " + QUERY)) {
      ps.setObject(1, q.queries().get(0).pgvector());
      ps.setArray(2, c.createArrayOf("text", q.repos().toArray()));
      ps.setInt(3, OVERFETCH * opt.k);
      ps.setInt(4, opt.k);
      StringBuilder sb = new StringBuilder();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) sb.append(rs.getString(1)).append('\n'); }
      String p = sb.toString();
      return p.contains(RepoIndexes.PREFIX) ? "hnsw-repo" : p.contains("hnsw") ? "hnsw" : p.contains("Index") ? "btree" : "seq";
    }
  }

  static int backendPid(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) { rs.next(); return rs.getInt(1); }
  }

  static void set(Connection c, String... sql) throws SQLException {
    try (Statement st = c.createStatement()) { for (String s : sql) st.execute(s); }
  }

  private void printTable(PrintStream out, List<Result> rs, BenchData.Setup s, BenchScratch scratch) {
    out.println();
    out.printf(Locale.ROOT, "retrieval: %,d rows, k=%d, %d queries per class, shape %s, PostgreSQL %s, pgvector %s%n",
        opt.rows, opt.k, opt.queries, scratch.shape.name, s.server(), s.pgvector());
    s.print(out);
    String usage = scratch.shape.usage();
    if (usage != null) out.println(usage);
    out.println();
    out.println("p50/p95: wall time at the client; cpu p50/p95: the server process's time on a CPU (what the query costs on a");
    out.println("CPU of its own; the rest of the wall time is waiting for a CPU held by other work, or the round trip)");
    out.printf("%-8s %8s %-12s %4s %7s %7s %8s %8s %8s %8s %10s %-6s%n",
        "class", "rows", "strategy", "ef", "recall", "short", "p50 ms", "p95 ms", "cpu p50", "cpu p95", "exact p50", "plan");
    for (Result r : rs)
      out.printf(Locale.ROOT, "%-8s %,8d %-12s %4s %7.3f %7s %8.2f %8.2f %8.2f %8.2f %10.1f %-6s%s%n", r.cls(), r.liveRows(), r.strategy(),
          r.strategy().equals("exact") ? "-" : Integer.toString(r.ef()), r.recall(), r.shortQueries() + "/" + r.queries(),
          r.p50(), r.p95(), r.cpuP50(), r.cpuP95(), r.exactP50(), r.plan(), r.recommended() ? targets(r) : "");
  }

  /** The targets for the recommended rule: recall@10 >= 0.95, no short results, p95 <= 10 ms. */
  static String targets(Result r) {
    boolean quality = BenchData.reaches(r.recall(), 0.95) && r.shortQueries() == 0;
    if (quality && r.p95() <= 10) return " <- recommended, targets met";
    if (quality && r.cpuP95() <= 10) return " <- recommended, targets met on-CPU only (wall p95 over 10 ms)";
    return " <- recommended, target MISSED";
  }

  static BenchJson toJson(Result r) {
    return new BenchJson().put("bench", "retrieval").put("query_class", r.cls()).put("live_rows", r.liveRows())
        .put("strategy", r.strategy()).put("ef_search", r.ef()).put("iterative_scan", RECOMMENDED_MODE)
        .put("recommended", r.recommended()).put("recall", r.recall()).put("short_queries", r.shortQueries())
        .put("queries", r.queries()).put("p50_ms", r.p50()).put("p95_ms", r.p95()).put("cpu_p50_ms", r.cpuP50())
        .put("cpu_p95_ms", r.cpuP95()).put("exact_p50_ms", r.exactP50())
        .put("plan", r.plan());
  }
}
