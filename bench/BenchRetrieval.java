// `bench retrieval` (//SOURCES bench/BenchRetrieval.java): recall@k, short results and
// latency of the nearest-memory query per query class and HNSW setting, against
// the exact answer; load rate and index builds. See docs/retrieval.md.

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "retrieval", mixinStandardHelpOptions = true,
    description = "Loads synthetic memories into a scratch database and measures the nearest-memory query: "
        + "recall@k against the exact answer, short results and p50/p95 latency per query class and HNSW setting.")
final class BenchRetrieval implements Callable<Integer> {

  // The settings docs/retrieval.md recommends (marked "recommended" in the output).
  static final int RECOMMENDED_EF = 100;
  static final String RECOMMENDED_MODE = "relaxed_order";
  static final String RECOMMENDED_OWNER = "any";
  /**
   * Part of the recommended session settings: without it, PostgreSQL switches a prepared statement to a generic
   * plan after five executions, and the generic plan of `repo = $2` (estimated ~500 rows) is the repo btree plus a
   * full sort by distance: an exact scan of the whole dominant repo. The bench measures that too (strategy generic_plan).
   */
  static final String RECOMMENDED_PLAN_CACHE_MODE = "force_custom_plan";

  static final int[] EF_SEARCH = {40, 100, 200};
  static final String[] MODES = {"off", "relaxed_order", "strict_order"};
  static final String HALFVEC_INDEX = "bench_learning_memories_embedding_halfvec";

  /** The store's main query; the materialized CTE re-sorts what relaxed_order may return out of order. */
  static String single(boolean halfvec) {
    return "WITH nearest AS MATERIALIZED (SELECT id, " + distance(halfvec) + " AS distance FROM learning_memories "
        + "WHERE repo = ? AND NOT stale ORDER BY distance LIMIT ?) SELECT id, distance FROM nearest ORDER BY distance";
  }

  /** Cross-repo in one statement: the top k of the union equals the merged per-repo top k. */
  static String any(boolean halfvec) {
    return "WITH nearest AS MATERIALIZED (SELECT id, " + distance(halfvec) + " AS distance FROM learning_memories "
        + "WHERE repo = ANY(?::text[]) AND NOT stale ORDER BY distance LIMIT ?) SELECT id, distance FROM nearest ORDER BY distance";
  }

  static String distance(boolean halfvec) {
    return halfvec ? "embedding::halfvec(1024) <=> ?::halfvec(1024)" : "embedding <=> ?::vector";
  }

  @Mixin BenchData.Options opt;

  record QClass(String name, String strategy, List<String> repos, List<BenchData.Query> queries) {}

  record Result(String cls, String strategy, String index, int ef, String mode, double recall, int shortQueries,
      int queries, double p50, double p95, double exactP50, String plan, boolean recommended) {}

  record Hit(long id, double distance) {}

  @Override public Integer call() throws Exception {
    PrintStream out = System.out;
    String invalid = opt.validate();
    if (invalid != null) { System.err.println("bench retrieval: " + invalid); return 2; }
    BenchData data = new BenchData(opt);
    List<BenchJson> json = new ArrayList<>();
    try (BenchScratch s = BenchScratch.create(opt.url, opt.keep, out); Connection c = s.migrateAndConnect()) {
      BenchData.Setup setup = data.prepare(c, s, out);
      BenchIndexes.Built hnsw = setup.hnsw();
      String halfDdl = "CREATE INDEX " + HALFVEC_INDEX + " ON learning_memories USING hnsw ((embedding::halfvec(1024)) halfvec_cosine_ops) "
          + "WITH (" + hnswOptions(c, hnsw.name()) + ")";
      BenchIndexes.Built half = BenchIndexes.build(c, s.url, HALFVEC_INDEX, halfDdl, out);

      List<QClass> classes = List.of(
          new QClass("dominant", "single", List.of(data.repo[data.dominant]), data.queries(List.of(data.repo[data.dominant]), data.dominant, 1)),
          new QClass("medium", "single", List.of(data.repo[data.medium]), data.queries(List.of(data.repo[data.medium]), data.medium, 4)),
          new QClass("small", "single", List.of(data.repo[data.small]), data.queries(List.of(data.repo[data.small]), data.small, 2)),
          new QClass("owner", "per_repo", data.ownerRepos, data.queries(data.ownerRepos, data.dominant, 3)),
          new QClass("owner", "any", data.ownerRepos, data.queries(data.ownerRepos, data.dominant, 3)));
      for (QClass q : classes)
        if (!q.strategy().equals("any"))
          out.printf(Locale.ROOT, "class %-8s %d repo(s), %,d non-stale rows%n", q.name(), q.repos().size(), BenchData.liveRows(c, q.repos()));

      List<Result> results = measure(c, classes, hnsw.name(), out);
      printTable(out, results, setup, hnsw, half);
      json.add(summary(setup, hnsw, half, data, c));
      for (Result r : results) json.add(toJson(r));
      if (opt.json != null) { BenchJson.write(opt.json, json); out.println("wrote " + opt.json); }
    }
    return 0;
  }

  List<Result> measure(Connection c, List<QClass> classes, String hnswName, PrintStream out) throws SQLException {
    List<Result> results = new ArrayList<>();
    String exactFor = null;
    List<List<Long>> exact = null;
    double exactP50 = 0;
    for (QClass q : classes) {
      if (!q.name().equals(exactFor)) { // the exact answer: the same query as a sequential scan
        exactFor = q.name();
        exact = new ArrayList<>();
        set(c, "SET enable_indexscan = off", "SET enable_bitmapscan = off");
        double[] ms = new double[q.queries().size()];
        for (int i = 0; i < ms.length; i++) {
          long t0 = System.nanoTime();
          exact.add(ids(run(c, "any", q.repos(), q.queries().get(i), false)));
          ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        set(c, "RESET enable_indexscan", "RESET enable_bitmapscan");
        exactP50 = BenchData.percentile(ms, 50);
        out.printf(Locale.ROOT, "  %-8s exact (sequential scan): p50 %.1f ms%n", q.name(), exactP50);
      }
      set(c, "SET plan_cache_mode = " + RECOMMENDED_PLAN_CACHE_MODE);
      for (int ef : EF_SEARCH)
        for (String mode : MODES) {
          results.add(one(c, q, q.strategy(), exact, exactP50, ef, mode, false, hnswName));
          if (ef == RECOMMENDED_EF && mode.equals(RECOMMENDED_MODE))
            results.add(one(c, q, q.strategy(), exact, exactP50, ef, mode, true, HALFVEC_INDEX));
        }
      if (q.strategy().equals("single") && q.name().equals("dominant")) { // the hazard the plan_cache_mode setting avoids
        set(c, "RESET plan_cache_mode");
        results.add(one(c, q, "generic_plan", exact, exactP50, RECOMMENDED_EF, RECOMMENDED_MODE, false, hnswName));
        set(c, "SET plan_cache_mode = " + RECOMMENDED_PLAN_CACHE_MODE);
      }
      out.printf("  %-8s %-8s measured%n", q.name(), q.strategy());
    }
    set(c, "RESET plan_cache_mode");
    set(c, "RESET hnsw.ef_search", "RESET hnsw.iterative_scan");
    return results;
  }

  private Result one(Connection c, QClass q, String label, List<List<Long>> exact, double exactP50, int ef, String mode,
      boolean half, String indexName) throws SQLException {
    set(c, "SET hnsw.ef_search = " + ef, "SET hnsw.iterative_scan = " + mode);
    List<BenchData.Query> qs = q.queries();
    // Warm-up; ten runs also let a prepared statement reach its generic plan where plan_cache_mode allows it.
    for (int i = 0; i < Math.min(10, qs.size()); i++) run(c, q.strategy(), q.repos(), qs.get(i), half);
    double[] ms = new double[qs.size()];
    double recallSum = 0;
    int counted = 0, shortQ = 0;
    for (int i = 0; i < qs.size(); i++) {
      long t0 = System.nanoTime();
      List<Hit> got = run(c, q.strategy(), q.repos(), qs.get(i), half);
      ms[i] = (System.nanoTime() - t0) / 1e6;
      List<Long> want = exact.get(i);
      if (want.isEmpty()) continue;
      Set<Long> hit = new HashSet<>(ids(got));
      hit.retainAll(want);
      recallSum += (double) hit.size() / want.size();
      counted++;
      if (got.size() < want.size()) shortQ++;
    }
    boolean rec = !half && ef == RECOMMENDED_EF && mode.equals(RECOMMENDED_MODE) && label.equals(q.strategy())
        && (!q.name().equals("owner") || q.strategy().equals(RECOMMENDED_OWNER));
    return new Result(q.name(), label, half ? "halfvec" : "vector", ef, mode, counted == 0 ? 1.0 : recallSum / counted,
        shortQ, qs.size(), BenchData.percentile(ms, 50), BenchData.percentile(ms, 95), exactP50,
        label.equals("generic_plan") ? "generic" : plan(c, q, qs.get(0), half, indexName), rec);
  }

  /** One query of a class: per_repo runs the single-repo query per repo and merges by distance, as the store does. */
  List<Hit> run(Connection c, String strategy, List<String> repos, BenchData.Query q, boolean half) throws SQLException {
    if (strategy.equals("per_repo")) {
      List<Hit> all = new ArrayList<>();
      for (String r : repos) all.addAll(run(c, "single", List.of(r), q, half));
      all.sort(Comparator.comparingDouble(Hit::distance));
      return all.subList(0, Math.min(opt.k, all.size()));
    }
    try (PreparedStatement ps = c.prepareStatement(strategy.equals("single") ? single(half) : any(half))) {
      bind(c, ps, strategy, repos, q);
      List<Hit> hits = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) hits.add(new Hit(rs.getLong(1), rs.getDouble(2))); }
      return hits;
    }
  }

  private void bind(Connection c, PreparedStatement ps, String strategy, List<String> repos, BenchData.Query q) throws SQLException {
    ps.setObject(1, q.pgvector());
    if (strategy.equals("single")) ps.setString(2, repos.get(0));
    else ps.setArray(2, c.createArrayOf("text", repos.toArray()));
    ps.setInt(3, opt.k);
  }

  /** Which index the planner picks for the first query of the class (per repo for per_repo). */
  private String plan(Connection c, QClass q, BenchData.Query query, boolean half, String indexName) throws SQLException {
    Set<String> plans = new TreeSet<>();
    List<List<String>> groups = q.strategy().equals("per_repo") ? q.repos().stream().map(List::of).toList() : List.of(q.repos());
    for (List<String> repos : groups) {
      String strategy = q.strategy().equals("any") ? "any" : "single";
      try (PreparedStatement ps = c.prepareStatement("EXPLAIN (COSTS OFF) " + (strategy.equals("single") ? single(half) : any(half)))) {
        bind(c, ps, strategy, repos, query);
        StringBuilder sb = new StringBuilder();
        try (ResultSet rs = ps.executeQuery()) { while (rs.next()) sb.append(rs.getString(1)).append('\n'); }
        String p = sb.toString();
        plans.add(p.contains(indexName) ? "hnsw" : p.contains("Index") ? "btree" : "seq");
      }
    }
    return String.join("+", plans);
  }

  static List<Long> ids(List<Hit> hits) { return hits.stream().map(Hit::id).toList(); }

  static void set(Connection c, String... sql) throws SQLException {
    try (Statement st = c.createStatement()) { for (String s : sql) st.execute(s); }
  }

  /** m and ef_construction of the migrated HNSW index, so the halfvec index is built alike. */
  static String hnswOptions(Connection c, String index) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT coalesce(array_to_string(reloptions, ', '), 'm=16, ef_construction=64') FROM pg_class WHERE relname = '" + index + "'")) {
      return rs.next() ? rs.getString(1) : "m=16, ef_construction=64";
    }
  }

  private void printTable(PrintStream out, List<Result> rs, BenchData.Setup s, BenchIndexes.Built hnsw, BenchIndexes.Built half) {
    out.println();
    out.printf(Locale.ROOT, "retrieval: %,d rows, k=%d, %d queries per class, PostgreSQL %s, pgvector %s%n",
        opt.rows, opt.k, opt.queries, s.server(), s.pgvector());
    out.printf(Locale.ROOT, "load %,.0f rows/s (binary COPY); maintenance_work_mem %s, max_parallel_maintenance_workers %d%n",
        s.loadRowsPerS(), s.maintenanceWorkMem(), s.parallelWorkers());
    out.printf(Locale.ROOT, "HNSW vector:  build %.1f s, %.1f MB%nHNSW halfvec: build %.1f s, %.1f MB%n",
        hnsw.seconds(), hnsw.mb(), half.seconds(), half.mb());
    if (s.gin() != null) out.printf(Locale.ROOT, "GIN search_tsv: build %.1f s, %.1f MB%n", s.gin().seconds(), s.gin().mb());
    out.println();
    out.printf("%-8s %-12s %-7s %4s %-13s %7s %7s %8s %8s %10s %-10s%n",
        "class", "strategy", "index", "ef", "iterative", "recall", "short", "p50 ms", "p95 ms", "exact p50", "plan");
    for (Result r : rs)
      out.printf(Locale.ROOT, "%-8s %-12s %-7s %4d %-13s %7.3f %7s %8.2f %8.2f %10.1f %-10s%s%n", r.cls(), r.strategy(), r.index(),
          r.ef(), r.mode(), r.recall(), r.shortQueries() + "/" + r.queries(), r.p50(), r.p95(), r.exactP50(), r.plan(),
          r.recommended() ? " <- recommended" : "");
  }

  private BenchJson summary(BenchData.Setup s, BenchIndexes.Built hnsw, BenchIndexes.Built half, BenchData data, Connection c) throws SQLException {
    BenchJson j = new BenchJson().put("bench", "retrieval")
        .put("load_rows_per_s", s.loadRowsPerS()).put("hnsw_build_s", hnsw.seconds()).put("index_mb", hnsw.mb())
        .put("halfvec_build_s", half.seconds()).put("halfvec_index_mb", half.mb());
    if (s.gin() != null) j.put("gin_build_s", s.gin().seconds()).put("gin_index_mb", s.gin().mb());
    return j.put("hnsw_graph_spilled", hnsw.spilled()).put("maintenance_work_mem", s.maintenanceWorkMem())
        .put("max_parallel_maintenance_workers", s.parallelWorkers()).put("rows", opt.rows).put("repos", opt.repos)
        .put("dominant_share", opt.dominantShare).put("stale_share", opt.staleShare).put("k", opt.k).put("queries", opt.queries)
        .put("seed", opt.seed).put("postgresql", s.server()).put("pgvector", s.pgvector())
        .put("dominant_live_rows", BenchData.liveRows(c, List.of(data.repo[data.dominant])))
        .put("medium_live_rows", BenchData.liveRows(c, List.of(data.repo[data.medium])))
        .put("small_live_rows", BenchData.liveRows(c, List.of(data.repo[data.small])))
        .put("owner_live_rows", BenchData.liveRows(c, data.ownerRepos));
  }

  static BenchJson toJson(Result r) {
    return new BenchJson().put("bench", "retrieval").put("query_class", r.cls()).put("strategy", r.strategy())
        .put("index", r.index()).put("ef_search", r.ef()).put("iterative_scan", r.mode()).put("recommended", r.recommended())
        .put("recall", r.recall()).put("short_queries", r.shortQueries()).put("queries", r.queries())
        .put("p50_ms", r.p50()).put("p95_ms", r.p95()).put("exact_p50_ms", r.exactP50()).put("plan", r.plan());
  }
}
