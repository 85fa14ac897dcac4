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
        SELECT id, embedding_half <=> ?::halfvec(1024) AS distance
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
    try (BenchScratch s = BenchScratch.create(opt.url, opt.keep, opt.shape, out); Connection c = s.migrateAndConnect()) {
      BenchData.Setup setup = data.prepare(c, s, out);
      List<String> dom = List.of(data.repo[data.dominant]), small = List.of(data.repo[data.small]);
      List<QClass> classes = List.of(
          new QClass("dominant", dom, data.queries(dom, data.dominant, 11)),
          new QClass("1%", small, data.queries(small, data.small, 12)),
          new QClass("owner", data.ownerRepos, data.queries(data.ownerRepos, data.dominant, 13)));
      List<BenchJson> rows = new ArrayList<>();
      out.println();
      out.printf(Locale.ROOT, "hybrid (RRF, N=%d per side, k=%d): %,d rows, %d queries per class, shape %s, PostgreSQL %s, pgvector %s%n",
          candidates(opt.k), opt.k, opt.rows, opt.queries, s.shape.name, setup.server(), setup.pgvector());
      out.printf("%-8s %8s %-9s %7s %7s %8s %8s %8s %8s %10s%n", "class", "rows", "text", "recall", "short", "p50 ms", "p95 ms",
          "cpu p50", "cpu p95", "exact p50");
      BenchRetrieval.set(c, "SET plan_cache_mode = " + BenchRetrieval.RECOMMENDED_PLAN_CACHE_MODE,
          "SET hnsw.ef_search = " + BenchRetrieval.RECOMMENDED_EF, "SET hnsw.iterative_scan = " + BenchRetrieval.RECOMMENDED_MODE);
      for (QClass q : classes) {
        long live = BenchData.liveRows(c, q.repos());
        for (String text : List.of("all_words", "any_word")) {
          boolean any = text.equals("any_word");
          // The exact fusion: both sides without indexes (sequential scans, float32 distance order is not needed:
          // the halfvec exact order is what the index approximates; recall here measures the index and the text side).
          BenchRetrieval.set(c, "SET enable_indexscan = off", "SET enable_bitmapscan = off");
          List<List<Long>> exact = new ArrayList<>();
          double[] ems = new double[q.queries().size()];
          for (int i = 0; i < ems.length; i++) {
            long t0 = System.nanoTime();
            exact.add(run(c, q.repos(), q.queries().get(i), any));
            ems[i] = (System.nanoTime() - t0) / 1e6;
          }
          BenchRetrieval.set(c, "RESET enable_indexscan", "RESET enable_bitmapscan");
          double exactP50 = BenchData.percentile(ems, 50);
          List<String> settings = BenchRetrieval.settingsFor(live); // the per-class rule of `bench retrieval`
          for (String x : settings) BenchRetrieval.set(c, "SET " + x);
          for (BenchData.Query x : q.queries()) run(c, q.repos(), x, any); // warm
          double[] ms = new double[q.queries().size()], cpu = new double[ms.length];
          double recall = 0;
          int counted = 0, shortQ = 0;
          int pid = BenchRetrieval.backendPid(c);
          for (int i = 0; i < ms.length; i++) {
            long c0 = BenchShape.onCpuNanos(pid), t0 = System.nanoTime();
            List<Long> got = run(c, q.repos(), q.queries().get(i), any);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            long c1 = BenchShape.onCpuNanos(pid);
            cpu[i] = c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e6;
            List<Long> want = exact.get(i);
            if (want.isEmpty()) continue;
            Set<Long> hit = new HashSet<>(got);
            hit.retainAll(want);
            recall += (double) hit.size() / want.size();
            counted++;
            if (got.size() < want.size()) shortQ++;
          }
          for (String x : settings) BenchRetrieval.set(c, "RESET " + x.substring(0, x.indexOf(' ')));
          double r = counted == 0 ? 1.0 : recall / counted, p50 = BenchData.percentile(ms, 50), p95 = BenchData.percentile(ms, 95);
          double cpu50 = BenchData.percentile(cpu, 50), cpu95 = BenchData.percentile(cpu, 95);
          boolean quality = r >= 0.95 && shortQ == 0;
          out.printf(Locale.ROOT, "%-8s %,8d %-9s %7.3f %7s %8.2f %8.2f %8.2f %8.2f %10.1f %s%n", q.name(), live, text, r,
              shortQ + "/" + ms.length, p50, p95, cpu50, cpu95, exactP50, quality && p95 <= 25 ? "targets met"
                  : quality && cpu95 <= 25 ? "targets met on-CPU only (wall p95 over 25 ms)" : "target MISSED");
          rows.add(new BenchJson().put("bench", "hybrid").put("query_class", q.name()).put("live_rows", live)
              .put("ef_search", BenchRetrieval.RECOMMENDED_EF).put("iterative_scan", BenchRetrieval.RECOMMENDED_MODE)
              .put("recommended", text.equals(RECOMMENDED_TEXT)).put("recall", r).put("short_queries", shortQ)
              .put("queries", ms.length).put("p50_ms", p50).put("p95_ms", p95).put("cpu_p50_ms", cpu50).put("cpu_p95_ms", cpu95)
              .put("exact_p50_ms", exactP50).put("text_match", text)
              .put("candidates_per_side", candidates(opt.k)));
        }
      }
      BenchRetrieval.set(c, "RESET hnsw.ef_search", "RESET hnsw.iterative_scan", "RESET plan_cache_mode");
      json.add(setup.json(data, opt).put("bench", "hybrid").put("shape", s.shape.name));
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
