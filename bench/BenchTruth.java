// Shared source of the bench command (//SOURCES bench/BenchTruth.java): the exact float32 answers.
// Since migration 007 the database keeps each embedding as halfvec only, so the exact answer a
// retrieval is measured against cannot come from it: BenchTruth generates the rows again (same
// seed, same order, so row i is the memory with id i + 1) and keeps, for every query and every
// repo the query may search, the k live memories nearest by float32 cosine distance.

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

final class BenchTruth {
  /** One nearest memory: its id and float32 cosine distance. */
  record Hit(long id, double distance) {}

  private final int k;
  private final List<BenchData.Query> queries;
  /** nearest.get(q).get(repo): the k nearest live memories of that repo to query q, ascending. */
  private final List<Map<String, List<Hit>>> nearest = new ArrayList<>();

  private BenchTruth(List<BenchData.Query> queries, int k) {
    this.queries = queries;
    this.k = k;
    for (int i = 0; i < queries.size(); i++) nearest.add(new HashMap<>());
  }

  /** Generates the `data` rows again and keeps the exact nearest per query and repo (each query's own repos). */
  static BenchTruth compute(BenchData data, List<BenchData.Query> queries, int k) {
    BenchTruth t = new BenchTruth(queries, k);
    Map<String, List<Integer>> byRepo = new HashMap<>();
    for (int q = 0; q < queries.size(); q++) for (String r : queries.get(q).repos()) byRepo.computeIfAbsent(r, x
        -> new ArrayList<>()).add(q);
    double[] norms = queries.stream().mapToDouble(q -> Math.sqrt(dot(q.vector(), q.vector()))).toArray();
    SplittableRandom r = new SplittableRandom(data.o.seed);
    BenchData.Row row = new BenchData.Row();
    for (long i = 0; i < data.o.rows; i++) {
      data.fill(row, i, r);
      List<Integer> qs = byRepo.get(data.repo[row.repoIndex]);
      if (row.stale || qs == null) continue;
      double rowNorm = Math.sqrt(dot(row.embedding, row.embedding));
      for (int q : qs) {
        double d = 1 - dot(queries.get(q).vector(), row.embedding) / (norms[q] * rowNorm);
        t.offer(q, data.repo[row.repoIndex], new Hit(row.findingId, d));
      }
    }
    return t;
  }

  private void offer(int q, String repo, Hit h) {
    List<Hit> l = nearest.get(q).computeIfAbsent(repo, x -> new ArrayList<>(k + 1));
    if (l.size() == k && compare(h, l.get(k - 1)) >= 0) return;
    int at = 0;
    while (at < l.size() && compare(l.get(at), h) <= 0) at++;
    l.add(at, h);
    if (l.size() > k) l.remove(k);
  }

  /** By distance, then id (the order of `ORDER BY embedding <=> $1, id`). */
  private static int compare(Hit a, Hit b) {
    int c = Double.compare(a.distance(), b.distance());
    return c != 0 ? c : Long.compare(a.id(), b.id());
  }

  /** The exact top k of one repo for query q: ids. */
  List<Long> repoTop(int q, String repo) {
    return nearest.get(q).getOrDefault(repo, List.of()).stream().limit(k).map(Hit::id).toList();
  }

  /**
   * The exact answer of kodiai's owner query for query q over `chosen` repos (the ones its first step picked):
   * the nearest ceil(k / repos) of each, merged by distance, the first k.
   */
  List<Long> ownerTop(int q, List<String> chosen) {
    if (chosen.isEmpty()) return List.of();
    int each = Math.max(1, (int) Math.ceil((double) k / chosen.size()));
    List<Hit> merged = new ArrayList<>();
    for (String repo : chosen) merged.addAll(nearest.get(q).getOrDefault(repo,
        List.of()).stream().limit(each).toList());
    merged.sort(BenchTruth::compare);
    return merged.stream().limit(k).map(Hit::id).toList();
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) s += (double) a[j] * b[j];
    return s;
  }
}
