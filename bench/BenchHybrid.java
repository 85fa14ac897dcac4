// `bench hybrid` (//SOURCES bench/BenchHybrid.java): the hybrid retrieval query (vector
// top-N and ts_rank_cd top-N on search_tsv, fused by Reciprocal Rank Fusion with
// 1/(60 + rank)), its recall against the exact fusion and its latency.

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "hybrid", mixinStandardHelpOptions = true,
    description = "Loads synthetic memories into a scratch database and measures the hybrid (RRF) query: "
        + "recall of the fused top k against the exact fusion, p50/p95 latency.")
final class BenchHybrid implements Callable<Integer> {

  /** Candidates per side: N = 5k (50 at k = 10). */
  static int candidates(int k) { return 5 * k; }

  /**
   * The hybrid query. Text match all_words: websearch_to_tsquery (every word, as migration 003 documents);
   * any_word: plainto_tsquery with & replaced by | (a row with any of the words). Parameters: vector, repos, N,
   * text, repos, N, k.
   */
  static String sql(boolean anyWord) {
    return SQL.replace("TSQUERY", anyWord ? "replace(plainto_tsquery('english', ?)::text, ' & ', ' | ')::tsquery"
        : "websearch_to_tsquery('english', ?)");
  }

  /** The recommended text match: every word (websearch_to_tsquery, as migration 003 documents). */
  static final String RECOMMENDED_TEXT = "all_words";

  private static final String SQL = """
      WITH vec AS MATERIALIZED (
        SELECT id, embedding <=> ?::vector AS distance
        FROM learning_memories
        WHERE repo = ANY(?::text[]) AND NOT stale
        ORDER BY distance LIMIT ?),
      vec_ranked AS (SELECT id, row_number() OVER (ORDER BY distance, id) AS rnk FROM vec),
      txt AS (
        SELECT m.id, row_number() OVER (ORDER BY ts_rank_cd(m.search_tsv, q.query) DESC, m.id) AS rnk
        FROM learning_memories m,
             (SELECT TSQUERY AS query) q
        WHERE m.repo = ANY(?::text[]) AND NOT m.stale AND m.search_tsv @@ q.query
        ORDER BY rnk LIMIT ?)
      SELECT id, sum(1.0 / (60 + rnk)) AS score
      FROM (SELECT id, rnk FROM vec_ranked UNION ALL SELECT id, rnk FROM txt) both_sides
      GROUP BY id ORDER BY score DESC, id LIMIT ?""";

  @Mixin BenchData.Options opt;

  record QClass(String name, List<String> repos, List<BenchData.Query> queries) {}

  @Override public Integer call() throws Exception {
    PrintStream out = System.out;
    String invalid = opt.validate();
    if (invalid != null) { System.err.println("bench hybrid: " + invalid); return 2; }
    BenchData data = new BenchData(opt);
    List<BenchJson> json = new ArrayList<>();
    try (BenchScratch s = BenchScratch.create(opt.url, opt.keep, out); Connection c = s.migrateAndConnect()) {
      BenchData.Setup setup = data.prepare(c, s, out);
      List<QClass> classes = List.of(
          new QClass("dominant", List.of(data.repo[data.dominant]), data.queries(List.of(data.repo[data.dominant]), data.dominant, 11)),
          new QClass("small", List.of(data.repo[data.small]), data.queries(List.of(data.repo[data.small]), data.small, 12)),
          new QClass("owner", data.ownerRepos, data.queries(data.ownerRepos, data.dominant, 13)));
      List<BenchJson> rows = new ArrayList<>();
      out.println();
      out.printf(Locale.ROOT, "hybrid (RRF, N=%d per side, k=%d): %,d rows, %d queries per class, PostgreSQL %s, pgvector %s%n",
          candidates(opt.k), opt.k, opt.rows, opt.queries, setup.server(), setup.pgvector());
      out.printf("%-8s %-9s %4s %-13s %7s %7s %8s %8s %10s%n", "class", "text", "ef", "iterative", "recall", "short", "p50 ms", "p95 ms", "exact p50");
      for (QClass q : classes) {
        BenchRetrieval.set(c, "SET enable_indexscan = off", "SET enable_bitmapscan = off");
        List<List<Long>> exact = new ArrayList<>(), anyExact = new ArrayList<>();
        double[] ems = new double[q.queries().size()], aems = new double[ems.length];
        for (int i = 0; i < ems.length; i++) {
          long t0 = System.nanoTime();
          exact.add(run(c, q.repos(), q.queries().get(i), false));
          ems[i] = (System.nanoTime() - t0) / 1e6;
          t0 = System.nanoTime();
          anyExact.add(run(c, q.repos(), q.queries().get(i), true));
          aems[i] = (System.nanoTime() - t0) / 1e6;
        }
        double anyExactP50 = BenchData.percentile(aems, 50);
        BenchRetrieval.set(c, "RESET enable_indexscan", "RESET enable_bitmapscan");
        double exactP50 = BenchData.percentile(ems, 50);
        for (String text : List.of("all_words", "any_word"))
        for (int ef : BenchRetrieval.EF_SEARCH)
          for (String mode : BenchRetrieval.MODES) {
            boolean rec = ef == BenchRetrieval.RECOMMENDED_EF && mode.equals(BenchRetrieval.RECOMMENDED_MODE);
            if (text.equals("any_word") && !rec) continue; // any_word: the recommended vector setting only
            boolean any = text.equals("any_word");
            List<List<Long>> want0 = any ? anyExact : exact;
            double ex50 = any ? anyExactP50 : exactP50;
            BenchRetrieval.set(c, "SET hnsw.ef_search = " + ef, "SET hnsw.iterative_scan = " + mode,
                "SET plan_cache_mode = " + BenchRetrieval.RECOMMENDED_PLAN_CACHE_MODE);
            for (int i = 0; i < Math.min(10, q.queries().size()); i++) run(c, q.repos(), q.queries().get(i), any);
            double[] ms = new double[q.queries().size()];
            double recall = 0;
            int counted = 0, shortQ = 0;
            for (int i = 0; i < ms.length; i++) {
              long t0 = System.nanoTime();
              List<Long> got = run(c, q.repos(), q.queries().get(i), any);
              ms[i] = (System.nanoTime() - t0) / 1e6;
              List<Long> want = want0.get(i);
              if (want.isEmpty()) continue;
              Set<Long> hit = new HashSet<>(got);
              hit.retainAll(want);
              recall += (double) hit.size() / want.size();
              counted++;
              if (got.size() < want.size()) shortQ++;
            }
            rec = rec && text.equals(RECOMMENDED_TEXT);
            double r = counted == 0 ? 1.0 : recall / counted, p50 = BenchData.percentile(ms, 50), p95 = BenchData.percentile(ms, 95);
            out.printf(Locale.ROOT, "%-8s %-9s %4d %-13s %7.3f %7s %8.2f %8.2f %10.1f%s%n", q.name(), text, ef, mode, r,
                shortQ + "/" + ms.length, p50, p95, ex50, rec ? " <- recommended" : "");
            rows.add(new BenchJson().put("bench", "hybrid").put("query_class", q.name()).put("ef_search", ef)
                .put("iterative_scan", mode).put("recommended", rec).put("recall", r).put("short_queries", shortQ)
                .put("queries", ms.length).put("p50_ms", p50).put("p95_ms", p95).put("exact_p50_ms", ex50).put("text_match", text)
                .put("candidates_per_side", candidates(opt.k)));
          }
      }
      BenchRetrieval.set(c, "RESET hnsw.ef_search", "RESET hnsw.iterative_scan", "RESET plan_cache_mode");
      BenchIndexes.Built hnsw = setup.hnsw();
      BenchJson summary = new BenchJson().put("bench", "hybrid").put("load_rows_per_s", setup.loadRowsPerS())
          .put("hnsw_build_s", hnsw.seconds()).put("index_mb", hnsw.mb());
      if (setup.gin() != null) summary.put("gin_build_s", setup.gin().seconds()).put("gin_index_mb", setup.gin().mb());
      json.add(summary.put("maintenance_work_mem", setup.maintenanceWorkMem())
          .put("max_parallel_maintenance_workers", setup.parallelWorkers()).put("rows", opt.rows).put("k", opt.k)
          .put("queries", opt.queries).put("seed", opt.seed).put("postgresql", setup.server()).put("pgvector", setup.pgvector()));
      json.addAll(rows);
      if (opt.json != null) { BenchJson.write(opt.json, json); out.println("wrote " + opt.json); }
    }
    return 0;
  }

  List<Long> run(Connection c, List<String> repos, BenchData.Query q, boolean anyWord) throws SQLException {
    int n = candidates(opt.k);
    try (PreparedStatement ps = c.prepareStatement(sql(anyWord))) {
      var arr = c.createArrayOf("text", repos.toArray());
      ps.setObject(1, q.pgvector());
      ps.setArray(2, arr);
      ps.setInt(3, n);
      ps.setString(4, q.text());
      ps.setArray(5, arr);
      ps.setInt(6, n);
      ps.setInt(7, opt.k);
      List<Long> ids = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) ids.add(rs.getLong(1)); }
      return ids;
    }
  }
}
