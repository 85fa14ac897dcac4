// Shared source of the bench command (//SOURCES bench/BenchData.java): the options every
// bench subcommand takes, the synthetic learning-memory generator, the binary COPY
// loader, and `prepare`, which loads a scratch database (BenchScratch) and rebuilds
// its search indexes (BenchIndexes). Results are written with BenchJson.

import com.pgvector.PGvector;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import picocli.CommandLine.Option;

final class BenchData {

  /** The options of `bench retrieval` and `bench hybrid` (a picocli mixin). */
  static final class Options {
    @Option(names = "--rows", defaultValue = "100000", description = "memories to load (default: ${DEFAULT-VALUE})")
    int rows;
    @Option(names = "--repos", defaultValue = "200", description = "repositories, >= 2 (default: ${DEFAULT-VALUE})")
    int repos;
    @Option(names = "--dominant-share", defaultValue = "0.4",
        description = "share of rows in the largest repo (default: ${DEFAULT-VALUE})")
    double dominantShare;
    @Option(names = "--stale-share", defaultValue = "0.1",
        description = "share of rows marked stale (default: ${DEFAULT-VALUE})")
    double staleShare;
    @Option(names = "--queries", defaultValue = "100",
        description = "queries per query class (default: ${DEFAULT-VALUE})")
    int queries;
    @Option(names = "--k", defaultValue = "10",
        description = "rows per query, the k of recall@k (default: ${DEFAULT-VALUE})")
    int k;
    @Option(names = "--seed", defaultValue = "42",
        description = "seed of the synthetic data (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--url", description = "admin URL of the server to run on (a scratch database is created there); "
        + "default $KODIAI_BENCH_DATABASE_URL, then $DATABASE_URL, else a throwaway local cluster")
    String url;
    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as a JSON array to FILE")
    Path json;
    @Option(names = "--keep", description = "keep the scratch database (and a throwaway cluster) at the end")
    boolean keep;
    @Option(names = "--shape", defaultValue = "none", paramLabel = "none|b1ms",
        description = "shape of the throwaway cluster: "
        + "none (data kept in memory), b1ms (Azure B1ms: 1 CPU, 2 GiB incl. page cache, Azure's parameters; needs root "
        + "for the memory cgroup and taskset, else says so) (default: ${DEFAULT-VALUE})")
    String shape;

    String validate() {
      if (rows < 100) return "--rows must be >= 100";
      if (repos < 2) return "--repos must be >= 2";
      if (!(dominantShare > 0 && dominantShare < 0.99)) return "--dominant-share must be in (0, 0.99)";
      if (!(staleShare >= 0 && staleShare < 0.9)) return "--stale-share must be in [0, 0.9)";
      if (queries < 1) return "--queries must be >= 1";
      if (k < 1 || k > 1000) return "--k must be in 1..1000";
      if (!BenchShape.NONE.equals(shape) && !BenchShape.B1MS.equals(shape)) return "--shape must be none or b1ms";
      return null;
    }
  }

  // ------------------------------------------------------------ generator

  static final int DIM = 1024;
  static final int CLUSTERS = 300;       // topical centres ("a few hundred")
  static final int SUBS = 20;            // sub-topics per centre: near-duplicate findings
  static final int HOME_CLUSTERS = 8;    // clusters a repo prefers
  static final double HOME_SHARE = 0.6;  // share of a repo's rows drawn from its home clusters
  static final float SUB_SIGMA = 0.030f, NOISE_SIGMA = 0.025f;
  static final String MODEL = "voyage-code-3";

  final Options o;
  final String[] repo, owner;
  final double[] cumShare;
  final int dominant = 0, small = 1;
  final int medium;  // the 6% repo
  /**
   * Query classes by a repo's share of all rows: repo i+1 gets CLASS_SHARES[i] (scaled down if the dominant share
   * leaves less).
   */
  static final double[] CLASS_SHARES = {0.001, 0.01, 0.03, 0.06, 0.10, 0.25};
  static final String[] CLASS_NAMES = {"0.1%", "1%", "3%", "6%", "10%", "25%"};
  final int[] classRepo = new int[CLASS_SHARES.length]; // repo index per class (-1: too few repos)
  final List<String> ownerRepos = new ArrayList<>(); // up to 5 other repos of the dominant repo's owner
  private final float[][] centres = new float[CLUSTERS][];
  private final float[][] subs = new float[CLUSTERS * SUBS][];
  private final int[][] home;
  private final float[] gauss = new float[65536];

  BenchData(Options o) {
    this.o = o;
    SplittableRandom r = new SplittableRandom(o.seed);
    for (int i = 0; i < gauss.length; i += 2) { // Marsaglia polar method
      double u, v, s;
      do { u = 2 * r.nextDouble() - 1; v = 2 * r.nextDouble() - 1; s = u * u + v * v; } while (s >= 1 || s == 0);
      double f = Math.sqrt(-2 * Math.log(s) / s);
      gauss[i] = (float) (u * f);
      gauss[i + 1] = (float) (v * f);
    }
    for (int c = 0; c < CLUSTERS; c++) {
      centres[c] = noise(r, 1f);
      normalize(centres[c]);
      for (int s = 0; s < SUBS; s++) subs[c * SUBS + s] = noise(r, SUB_SIGMA);
    }
    int n = o.repos;
    repo = new String[n];
    owner = new String[n];
    home = new int[n][HOME_CLUSTERS];
    int owners = Math.max(1, n / 8);
    // Repos 1..6: the class shares (1%, 0.1%, 3%, 6%, 10%, 25%), scaled to fit beside the dominant one and leave 10%
    // for the rest;
    // the remaining repos share what is left, Zipf-distributed.
    int fixed = Math.min(CLASS_SHARES.length, n - 1);
    double wanted = 0;
    for (int c = 0; c < fixed; c++) wanted += CLASS_SHARES[c];
    double room = Math.max(0, 1 - o.dominantShare - (n - 1 > fixed ? 0.1 : 0));
    double scale = Math.min(1, room / wanted);
    double[] fixedShare = new double[n];
    java.util.Arrays.fill(classRepo, -1);
    int[] order = {1, 0, 2, 3, 4, 5}; // repo 1 is the 1% repo ("small-svc"), repo 2 the 0.1% one
    for (int k = 0; k < fixed; k++) { fixedShare[1 + k] = CLASS_SHARES[order[k]] * scale; classRepo[order[k]] = 1 + k; }
    double rest = 1 - o.dominantShare, harmonic = 0;
    for (int i = 1; i <= fixed; i++) rest -= fixedShare[i];
    for (int i = fixed + 1; i < n; i++) harmonic += 1.0 / (i - fixed);
    cumShare = new double[n];
    double acc = 0;
    for (int i = 0; i < n; i++) {
      int ow = i < 2 ? 0 : i % owners;
      owner[i] = String.format(Locale.ROOT, "org%02d", ow);
      repo[i] = owner[i] + "/"
          + (i == 0 ? "monolith" : i == 1 ? "small-svc" : String.format(Locale.ROOT, "svc-%03d", i));
      acc += i == 0 ? o.dominantShare : i <= fixed ? fixedShare[i] : rest / (i - fixed) / harmonic;
      cumShare[i] = acc;
      for (int h = 0; h < HOME_CLUSTERS; h++) home[i][h] = r.nextInt(CLUSTERS);
      if (i > 0 && ow == 0 && ownerRepos.size() < 5) ownerRepos.add(repo[i]);
    }
    cumShare[n - 1] = 1.0;
    medium = classRepo[3] >= 0 ? classRepo[3] : small;
  }

  private float[] noise(SplittableRandom r, float sigma) {
    float[] v = new float[DIM];
    for (int j = 0; j < DIM; j += 4) {
      long bits = r.nextLong();
      for (int t = 0; t < 4; t++) v[j + t] = sigma * gauss[(int) (bits >>> (16 * t)) & 0xFFFF];
    }
    return v;
  }

  static void normalize(float[] v) {
    double s = 0;
    for (float x : v) s += x * x;
    float inv = (float) (1 / Math.sqrt(s));
    for (int j = 0; j < v.length; j++) v[j] *= inv;
  }

  int pickRepo(SplittableRandom r) {
    double u = r.nextDouble();
    int lo = 0, hi = cumShare.length - 1;
    while (lo < hi) { int mid = (lo + hi) >>> 1; if (cumShare[mid] < u) lo = mid + 1; else hi = mid; }
    return lo;
  }

  int pickCluster(int repoIndex, SplittableRandom r) {
    return r.nextDouble() < HOME_SHARE ? home[repoIndex][r.nextInt(HOME_CLUSTERS)] : r.nextInt(CLUSTERS);
  }

  /** A normalized embedding: centre + sub-topic offset + per-finding noise. */
  float[] embedding(int cluster, int sub, SplittableRandom r, float[] out) {
    float[] c = centres[cluster], s = subs[cluster * SUBS + sub];
    double norm = 0;
    for (int j = 0; j < DIM; j += 4) {
      long bits = r.nextLong();
      for (int t = 0; t < 4; t++) {
        float x = c[j + t] + s[j + t] + NOISE_SIGMA * gauss[(int) (bits >>> (16 * t)) & 0xFFFF];
        out[j + t] = x;
        norm += x * x;
      }
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int j = 0; j < DIM; j++) out[j] *= inv;
    return out;
  }

  /** One synthetic memory. */
  static final class Row {
    int repoIndex, cluster, sub;
    long findingId, reviewId, createdMicros;
    boolean stale;
    String text, severity, category, filePath, outcome;
    final float[] embedding = new float[DIM];
  }

  static final String[] SEVERITIES = {"critical", "major", "medium", "minor"};
  static final String[] CATEGORIES = {"security", "correctness", "performance", "style", "documentation"};
  static final String[] OUTCOMES = {"accepted", "suppressed", "thumbs_up", "thumbs_down"};
  static final long PG_EPOCH_MICROS = 946_684_800_000_000L; // 2000-01-01 in Unix micros

  void fill(Row row, long i, SplittableRandom r) {
    row.repoIndex = pickRepo(r);
    row.cluster = pickCluster(row.repoIndex, r);
    row.sub = r.nextInt(SUBS);
    row.findingId = i + 1;
    row.reviewId = i / 8 + 1;
    row.stale = r.nextDouble() < o.staleShare;
    row.severity = SEVERITIES[Math.min(3, (int) (r.nextDouble() * r.nextDouble() * 5))];
    row.category = CATEGORIES[row.cluster % CATEGORIES.length];
    row.outcome = OUTCOMES[r.nextDouble() < 0.55 ? 0 : 1 + r.nextInt(3)];
    row.filePath = BenchVocabulary.filePath(row.cluster, row.sub, r);
    row.text = BenchVocabulary.findingText(row.cluster, row.sub, r);
    row.createdMicros = 1_767_225_600_000_000L - PG_EPOCH_MICROS - (long) (r.nextDouble() * 365 * 86_400e6);
    embedding(row.cluster, row.sub, r, row.embedding);
  }

  /** A query: a new finding of `repoIndex`, searched among `repos`. */
  record Query(List<String> repos, float[] vector, String text) {
    PGvector pgvector() { return new PGvector(vector); }
  }

  List<Query> queries(List<String> repos, int repoIndex, long salt) {
    SplittableRandom r = new SplittableRandom(o.seed * 1_000_003L + salt);
    List<Query> qs = new ArrayList<>();
    for (int i = 0; i < o.queries; i++) {
      int cluster = pickCluster(repoIndex, r), sub = r.nextInt(SUBS);
      qs.add(new Query(repos, embedding(cluster, sub, r, new float[DIM]), BenchVocabulary.queryText(cluster, sub, r)));
    }
    return qs;
  }

  // ---------------------------------------------------------------- loading

  /** Streams `--rows` memories into learning_memories with binary COPY; returns rows per second. */
  double load(Connection c, PrintStream out) throws SQLException, IOException {
    List<String[]> cols = new ArrayList<>(); // name, type name
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            + "WHERE a.attrelid = 'learning_memories'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY "
                + "a.attnum")) {
      while (rs.next()) if (LOADED.contains(rs.getString(1))) cols.add(new String[] {rs.getString(1), rs.getString(2)});
    }
    if (cols.stream().noneMatch(x -> x[0].equals("embedding"))) throw new SQLException("learning_memories has no "
        + "embedding column");
    String sql = "COPY learning_memories (" + String.join(", ", cols.stream().map(x -> x[0]).toList())
        + ") FROM STDIN (FORMAT binary)";
    CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
    ByteBuffer b = ByteBuffer.allocate(8 << 20);
    b.put("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1)).putInt(0).putInt(0);
    SplittableRandom r = new SplittableRandom(o.seed);
    Row row = new Row();
    long t0 = System.nanoTime(), lastPrint = t0;
    try {
      for (long i = 0; i < o.rows; i++) {
        fill(row, i, r);
        if (b.remaining() < 64 << 10) flush(copy, b);
        b.putShort((short) cols.size());
        for (String[] col : cols) put(b, col[1], value(row, col[0]));
        long now = System.nanoTime();
        if (now - lastPrint > 3_000_000_000L) {
          lastPrint = now;
          out.printf(Locale.ROOT, "  load: %,d / %,d rows (%,.0f rows/s)%n", i + 1, o.rows,
              (i + 1) / ((now - t0) / 1e9));
        }
      }
      b.putShort((short) -1);
      flush(copy, b);
      copy.endCopy();
    } finally {
      if (copy.isActive()) copy.cancelCopy();
    }
    double s = (System.nanoTime() - t0) / 1e9;
    try (Statement st = c.createStatement()) { // ids were given: the next row the identity hands out comes after them
      st.execute("SELECT setval(pg_get_serial_sequence('learning_memories', 'id'), " + o.rows + ")");
    }
    out.printf(Locale.ROOT, "  load: %,d rows in %.1f s (%,.0f rows/s, binary COPY)%n", o.rows, s, o.rows / s);
    return o.rows / s;
  }

  static final List<String> LOADED = List.of("id", "repo", "owner", "finding_id", "review_id", "source_repo",
      "finding_text",
      "severity", "category", "file_path", "outcome", "embedding_model", "embedding_dim", "stale", "created_at",
          "embedding");

  private Object value(Row row, String col) {
    return switch (col) {
      case "id" -> row.findingId; // i + 1: BenchTruth knows each row by it
      case "repo", "source_repo" -> repo[row.repoIndex];
      case "owner" -> owner[row.repoIndex];
      case "finding_id" -> row.findingId;
      case "review_id" -> row.reviewId;
      case "finding_text" -> row.text;
      case "severity" -> row.severity;
      case "category" -> row.category;
      case "file_path" -> row.filePath;
      case "outcome" -> row.outcome;
      case "embedding_model" -> MODEL;
      case "embedding_dim" -> (long) DIM;
      case "stale" -> row.stale;
      case "created_at" -> row.createdMicros;
      case "embedding" -> row.embedding;
      default -> throw new IllegalArgumentException(col);
    };
  }

  /** One field in PostgreSQL's binary COPY format: int32 length, then the type's binary send format. */
  private static void put(ByteBuffer b, String type, Object v) {
    switch (type) {
      case "text", "varchar", "bpchar", "name", "citext" -> {
        byte[] s = ((String) v).getBytes(StandardCharsets.UTF_8);
        b.putInt(s.length).put(s);
      }
      case "int8" -> b.putInt(8).putLong(((Number) v).longValue());
      case "int4" -> b.putInt(4).putInt(((Number) v).intValue());
      case "int2" -> b.putInt(2).putShort(((Number) v).shortValue());
      case "bool" -> b.putInt(1)
          .put((byte) (v instanceof Boolean x ? (x ? 1 : 0) : ((Number) v).intValue() != 0 ? 1 : 0));
      case "timestamptz", "timestamp" -> b.putInt(8).putLong((Long) v);
      case "vector" -> { // int16 dim, int16 unused, dim x float4
        float[] f = (float[]) v;
        b.putInt(4 + 4 * f.length).putShort((short) f.length).putShort((short) 0);
        for (float x : f) b.putFloat(x);
      }
      case "halfvec" -> { // int16 dim, int16 unused, dim x IEEE half: the half pgvector's cast would store
        float[] f = (float[]) v;
        b.putInt(4 + 2 * f.length).putShort((short) f.length).putShort((short) 0);
        for (float x : f) b.putShort(PgBinary.half(Float.floatToRawIntBits(x)));
      }
      default -> throw new IllegalStateException("bench cannot COPY a column of type " + type);
    }
  }

  private static void flush(CopyIn copy, ByteBuffer b) throws SQLException {
    copy.writeToCopy(b.array(), 0, b.position());
    b.clear();
  }

  // ----------------------------------------------------------------- setup

  record Setup(double loadRowsPerS, List<BenchIndexes.Built> builds, String maintenanceWorkMem, int parallelWorkers,
      String server,
      String pgvector, long heapMb, long toastMb) {
    /** The migrations' own HNSW index, if any (none since issue 22: the per-repo indexes are built after). */
    BenchIndexes.Built hnsw() {
      return builds.stream().filter(b -> b.method().equals("hnsw")).findFirst().orElse(null);
    }
    BenchIndexes.Built gin() { return builds.stream().filter(b -> b.method().equals("gin")).findFirst().orElse(null); }

    /** What has to stay cached for warm retrieval, before the per-repo indexes: the table (with the inline halfvec). */
    double warmSetMb() { return heapMb + (hnsw() == null ? 0 : hnsw().mb()); }

    void print(PrintStream out) {
      out.printf(Locale.ROOT,
          "load %,.0f rows/s (binary COPY); maintenance_work_mem %s, max_parallel_maintenance_workers %d%n",
          loadRowsPerS, maintenanceWorkMem, parallelWorkers);
      if (hnsw() != null) out.printf(Locale.ROOT, "HNSW (halfvec): build %.1f s, %.1f MB%s%n", hnsw().seconds(),
          hnsw().mb(),
          hnsw().spilled() ? " (graph spilled)" : "");
      out.printf(Locale.ROOT, "table %,d MB with the inline halfvec (+ %,d MB TOAST)%n", heapMb, toastMb);
      if (gin() != null) out.printf(Locale.ROOT, "GIN search_tsv: build %.1f s, %.1f MB%n", gin().seconds(),
          gin().mb());
    }

    BenchJson json(BenchData data, Options o) {
      BenchJson j = new BenchJson().put("load_rows_per_s", loadRowsPerS).put("table_mb", heapMb).put("toast_mb",
          toastMb);
      if (hnsw() != null)
        j.put("hnsw_build_s", hnsw().seconds()).put("index_mb", hnsw().mb()).put("hnsw_graph_spilled",
            hnsw().spilled());
      if (gin() != null) j.put("gin_build_s", gin().seconds()).put("gin_index_mb", gin().mb());
      return j.put("maintenance_work_mem", maintenanceWorkMem).put("max_parallel_maintenance_workers", parallelWorkers)
          .put("rows", o.rows).put("repos", o.repos).put("dominant_share", o.dominantShare).put("stale_share",
              o.staleShare)
          .put("k", o.k).put("queries", o.queries).put("seed", o.seed).put("postgresql", server).put("pgvector",
              pgvector);
    }
  }

  /** Loads the rows with the search indexes dropped, then rebuilds those. */
  Setup prepare(Connection c, BenchScratch s, PrintStream out) throws Exception {
    boolean small = s.shape.b1ms();
    BenchIndexes.session(c, o.rows, small);
    Map<String, String> defs = BenchIndexes.dropSearchIndexes(c);
    out.printf(Locale.ROOT,
        "loading %,d memories (%d repos, dominant %.0f%%, stale %.0f%%; indexes %s rebuilt after the load)%n",
        o.rows, o.repos, 100 * o.dominantShare, 100 * o.staleShare, String.join(", ", defs.keySet()));
    double rate = load(c, out);
    long t0 = System.nanoTime();
    try (Statement st = c.createStatement()) {
      st.execute("VACUUM ANALYZE learning_memories, learning_memories_search");
    }
    out.printf(Locale.ROOT, "  vacuum analyze: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    String mwm = BenchIndexes.maintenanceWorkMem(o.rows, small);
    out.printf("building indexes (maintenance_work_mem %s, max_parallel_maintenance_workers %d)%n", mwm,
        BenchIndexes.parallelWorkers(small));
    List<BenchIndexes.Built> builds = new ArrayList<>();
    for (var e : defs.entrySet()) builds.add(BenchIndexes.build(c, s.url, e.getKey(), e.getValue(), out));
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'vector'), "
            // the table's, or its partitions' (migration 070): a partitioned table holds no rows itself
            + "sum(pg_relation_size(c.oid))::bigint >> 20, coalesce(sum(pg_relation_size(nullif(c.reltoastrelid, 0))),"
            + " 0)::bigint >> 20 FROM pg_class c WHERE c.oid = 'learning_memories'::regclass"
            + " OR c.oid IN (SELECT relid FROM pg_partition_tree('learning_memories'))")) {
      rs.next();
      return new Setup(rate, builds, mwm, BenchIndexes.parallelWorkers(small), rs.getString(1), rs.getString(2),
          rs.getLong(3), rs.getLong(4));
    }
  }

  /** Per-repo row counts (non-stale), for the class descriptions. */
  static long liveRows(Connection c, List<String> repos) throws SQLException {
    try (var ps = c.prepareStatement("SELECT count(*) FROM learning_memories WHERE repo = ANY(?) AND NOT stale")) {
      ps.setArray(1, c.createArrayOf("text", repos.toArray()));
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getLong(1); }
    }
  }

  // ------------------------------------------------------------- statistics

  /**
   * measured >= target, for a recall that is a mean of fractions: 30 queries with 10 of 10 and 30 with 9 of 10 are
   * exactly 0.95, but summed in floating point 0.9499999999999993. A millionth of slack, far below any real difference.
   */
  static boolean reaches(double measured, double target) { return measured >= target - 1e-6; }

  static double percentile(double[] values, double p) {
    if (values.length == 0) return Double.NaN;
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    int i = (int) Math.ceil(p / 100.0 * v.length) - 1;
    return v[Math.max(0, Math.min(v.length - 1, i))];
  }
}
