// Shared source of the bench command (//SOURCES BenchData.java): the options every
// bench subcommand takes, the synthetic learning-memory generator, the binary COPY
// loader, index (re)builds with progress, and the scratch database (on the server
// of --url, or on a throwaway local cluster when no URL is given).

import com.pgvector.PGvector;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    @Option(names = "--dominant-share", defaultValue = "0.6", description = "share of rows in the largest repo (default: ${DEFAULT-VALUE})")
    double dominantShare;
    @Option(names = "--stale-share", defaultValue = "0.1", description = "share of rows marked stale (default: ${DEFAULT-VALUE})")
    double staleShare;
    @Option(names = "--queries", defaultValue = "100", description = "queries per query class (default: ${DEFAULT-VALUE})")
    int queries;
    @Option(names = "--k", defaultValue = "10", description = "rows per query, the k of recall@k (default: ${DEFAULT-VALUE})")
    int k;
    @Option(names = "--seed", defaultValue = "42", description = "seed of the synthetic data (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--url", description = "admin URL of the server to run on (a scratch database is created there); "
        + "default $KODIAI_BENCH_DATABASE_URL, then $DATABASE_URL, else a throwaway local cluster")
    String url;
    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as a JSON array to FILE")
    Path json;
    @Option(names = "--keep", description = "keep the scratch database (and a throwaway cluster) at the end")
    boolean keep;

    String validate() {
      if (rows < 100) return "--rows must be >= 100";
      if (repos < 2) return "--repos must be >= 2";
      if (!(dominantShare > 0 && dominantShare < 0.99)) return "--dominant-share must be in (0, 0.99)";
      if (!(staleShare >= 0 && staleShare < 0.9)) return "--stale-share must be in [0, 0.9)";
      if (queries < 1) return "--queries must be >= 1";
      if (k < 1 || k > 1000) return "--k must be in 1..1000";
      return null;
    }

    String resolvedUrl() {
      if (url != null && !url.isBlank()) return url.trim();
      for (String env : List.of("KODIAI_BENCH_DATABASE_URL", "DATABASE_URL")) {
        String v = System.getenv(env);
        if (v != null && !v.isBlank()) return v.trim();
      }
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
  final int medium;  // the largest other repo (about 6% of rows with the defaults): beside the classes
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
    double smallShare = n == 2 ? 1 - o.dominantShare : Math.min(0.01, (1 - o.dominantShare) / 2);
    double rest = 1 - o.dominantShare - smallShare, harmonic = 0;
    for (int i = 2; i < n; i++) harmonic += 1.0 / (i - 1);
    cumShare = new double[n];
    double acc = 0;
    for (int i = 0; i < n; i++) {
      int ow = i < 2 ? 0 : i % owners;
      owner[i] = String.format(Locale.ROOT, "org%02d", ow);
      repo[i] = owner[i] + "/" + (i == 0 ? "monolith" : i == 1 ? "small-svc" : String.format(Locale.ROOT, "svc-%03d", i));
      acc += i == 0 ? o.dominantShare : i == 1 ? smallShare : rest / (i - 1) / harmonic;
      cumShare[i] = acc;
      for (int h = 0; h < HOME_CLUSTERS; h++) home[i][h] = r.nextInt(CLUSTERS);
      if (i > 0 && ow == 0 && ownerRepos.size() < 5) ownerRepos.add(repo[i]);
    }
    cumShare[n - 1] = 1.0;
    medium = n > 2 ? 2 : small;
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
            + "WHERE a.attrelid = 'learning_memories'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
      while (rs.next()) if (LOADED.contains(rs.getString(1))) cols.add(new String[] {rs.getString(1), rs.getString(2)});
    }
    if (cols.stream().noneMatch(x -> x[0].equals("embedding"))) throw new SQLException("learning_memories has no embedding column");
    String sql = "COPY learning_memories (" + String.join(", ", cols.stream().map(x -> x[0]).toList()) + ") FROM STDIN (FORMAT binary)";
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
          out.printf(Locale.ROOT, "  load: %,d / %,d rows (%,.0f rows/s)%n", i + 1, o.rows, (i + 1) / ((now - t0) / 1e9));
        }
      }
      b.putShort((short) -1);
      flush(copy, b);
      copy.endCopy();
    } finally {
      if (copy.isActive()) copy.cancelCopy();
    }
    double s = (System.nanoTime() - t0) / 1e9;
    out.printf(Locale.ROOT, "  load: %,d rows in %.1f s (%,.0f rows/s, binary COPY)%n", o.rows, s, o.rows / s);
    return o.rows / s;
  }

  static final List<String> LOADED = List.of("repo", "owner", "finding_id", "review_id", "source_repo", "finding_text",
      "severity", "category", "file_path", "outcome", "embedding_model", "embedding_dim", "stale", "created_at", "embedding");

  private Object value(Row row, String col) {
    return switch (col) {
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
      case "bool" -> b.putInt(1).put((byte) (v instanceof Boolean x ? (x ? 1 : 0) : ((Number) v).intValue() != 0 ? 1 : 0));
      case "timestamptz", "timestamp" -> b.putInt(8).putLong((Long) v);
      case "vector" -> { // int16 dim, int16 unused, dim x float4
        float[] f = (float[]) v;
        b.putInt(4 + 4 * f.length).putShort((short) f.length).putShort((short) 0);
        for (float x : f) b.putFloat(x);
      }
      default -> throw new IllegalStateException("bench cannot COPY a column of type " + type);
    }
  }

  private static void flush(CopyIn copy, ByteBuffer b) throws SQLException {
    copy.writeToCopy(b.array(), 0, b.position());
    b.clear();
  }

  // ------------------------------------------------------------ index builds

  record Built(String name, String method, double seconds, double mb, boolean spilled) {}

  /** Drops the HNSW and GIN indexes of learning_memories (so COPY does not maintain them); returns their definitions. */
  static Map<String, String> dropSearchIndexes(Connection c) throws SQLException {
    Map<String, String> defs = new LinkedHashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'learning_memories' "
            + "AND (indexdef ILIKE '% USING hnsw %' OR indexdef ILIKE '% USING gin %') ORDER BY indexdef ILIKE '% USING gin %' DESC")) {
      while (rs.next()) defs.put(rs.getString(1), rs.getString(2));
    }
    try (Statement st = c.createStatement()) {
      for (String name : defs.keySet()) st.execute("DROP INDEX " + name);
    }
    return defs;
  }

  /** Runs one CREATE INDEX, printing its progress every few seconds (from a second connection). */
  static Built build(Connection c, String url, String name, String ddl, PrintStream out) throws SQLException {
    String method = ddl.replaceAll("(?is).* USING (\\w+) .*", "$1").toLowerCase(Locale.ROOT);
    int pid;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      pid = rs.getInt(1);
    }
    long t0 = System.nanoTime();
    Thread progress = new Thread(() -> watch(url, pid, name, t0, out), "bench-progress");
    progress.setDaemon(true);
    progress.start();
    boolean spilled = false;
    try (Statement st = c.createStatement()) {
      st.execute(ddl);
      for (SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning())
        if (w.getMessage() != null && w.getMessage().contains("no longer fits")) spilled = true;
    } finally {
      progress.interrupt();
    }
    double s = (System.nanoTime() - t0) / 1e9;
    double mb;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_relation_size('" + name + "'::regclass)")) {
      rs.next();
      mb = rs.getLong(1) / 1048576.0;
    }
    out.printf(Locale.ROOT, "  build %s (%s): %.1f s, %.1f MB%s%n", name, method, s, mb,
        spilled ? " (graph did not fit in maintenance_work_mem)" : "");
    return new Built(name, method, s, mb, spilled);
  }

  private static void watch(String url, int pid, String name, long t0, PrintStream out) {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      while (!Thread.currentThread().isInterrupted()) {
        Thread.sleep(5000);
        try (ResultSet rs = st.executeQuery("SELECT phase, tuples_done, tuples_total, blocks_done, blocks_total "
            + "FROM pg_stat_progress_create_index WHERE pid = " + pid)) {
          if (rs.next()) out.printf(Locale.ROOT, "  build %s: %s, %,d tuples%s, blocks %,d/%,d (%.0f s)%n", name,
              rs.getString(1), rs.getLong(2), rs.getLong(3) > 0 ? String.format(Locale.ROOT, " of %,d", rs.getLong(3)) : "",
              rs.getLong(4), rs.getLong(5), (System.nanoTime() - t0) / 1e9);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | SQLException e) {
      // progress is best effort
    }
  }

  /** maintenance_work_mem for an in-memory HNSW build: about 8 KiB per row of 1024 dims, at least 256 MB. */
  static String maintenanceWorkMem(int rows) {
    long mb = Math.max(256, ((long) rows * 8 + 1023) / 1024);
    return mb % 1024 == 0 ? (mb / 1024) + "GB" : mb + "MB";
  }

  /** The text search configuration that migration 003 uses for search_tsv (default english). */
  static String textSearchConfig(Connection c) throws SQLException {
    Pattern p = Pattern.compile("to_tsvector\\(\\s*'(?:pg_catalog\\.)?(\\w+)'");
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT prosrc FROM pg_proc WHERE prosrc ILIKE '%search_tsv%' UNION ALL "
            + "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = 'learning_memories'::regclass")) {
      while (rs.next()) {
        Matcher m = p.matcher(String.valueOf(rs.getString(1)));
        if (m.find()) return m.group(1);
      }
    }
    return "english";
  }

  // ---------------------------------------------------------- scratch database

  /** A scratch database, dropped on close unless --keep; on a throwaway cluster when no URL was given. */
  static final class Scratch implements AutoCloseable {
    final String adminUrl, db, url;
    final boolean keep;
    final LocalCluster cluster;
    final PrintStream out;

    private Scratch(String adminUrl, String db, boolean keep, LocalCluster cluster, PrintStream out) {
      this.adminUrl = adminUrl;
      this.db = db;
      this.url = withDatabase(adminUrl, db);
      this.keep = keep;
      this.cluster = cluster;
      this.out = out;
    }

    static Scratch create(Options o, PrintStream out) throws Exception {
      String admin = o.resolvedUrl();
      LocalCluster cluster = null;
      if (admin == null) {
        Path dir = Files.createTempDirectory("kodiai-bench-pg-");
        if (LocalCluster.runningAsRoot())
          Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        cluster = new LocalCluster(dir.resolve("data"), LocalCluster.freePort());
        String pw = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
        out.println("no --url: starting a throwaway PostgreSQL cluster in " + dir);
        cluster.init("kodiai_bench", pw, true);
        cluster.start();
        admin = cluster.url("kodiai_bench", pw, "postgres");
        try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
          for (String s : CLUSTER_TUNING) st.execute("ALTER SYSTEM SET " + s);
        }
        cluster.stop(false);
        cluster.start();
        out.println("  cluster settings: " + String.join(", ", CLUSTER_TUNING));
        LocalCluster lc = cluster;
        if (!o.keep) Runtime.getRuntime().addShutdownHook(new Thread(() -> discard(lc)));
      }
      String db = "kodiai_bench_" + ProcessHandle.current().pid() + "_" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
      try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE " + db);
      }
      out.println("scratch database " + db + " on " + DbClient.parse(admin).redacted());
      return new Scratch(admin, db, o.keep, cluster, out);
    }

    /** Tuning of the throwaway cluster: the data (heap ~0.5 GB, HNSW index ~0.8 GB at 100k rows) stays in memory. */
    static final List<String> CLUSTER_TUNING = List.of("shared_buffers = '2GB'", "maintenance_work_mem = '1GB'",
        "max_parallel_maintenance_workers = 1", "effective_cache_size = '8GB'", "work_mem = '16MB'",
        "max_wal_size = '4GB'", "checkpoint_timeout = '30min'", "wal_level = minimal", "max_wal_senders = 0");

    static String withDatabase(String admin, String db) {
      int q = admin.indexOf('?');
      String query = q >= 0 ? admin.substring(q) : "";
      String base = q >= 0 ? admin.substring(0, q) : admin;
      int scheme = base.indexOf("://") + 3;
      int slash = base.indexOf('/', scheme);
      return (slash >= 0 ? base.substring(0, slash) : base) + "/" + db + query;
    }

    /** Applies every migration (those bundled with the tool) to the scratch database; returns a connection to it. */
    Connection migrateAndConnect() {
      long t0 = System.nanoTime();
      int applied = migrate.runMigrations(url, null, null);
      out.printf(Locale.ROOT, "migrated: %d migrations in %.1f s%n", applied, (System.nanoTime() - t0) / 1e9);
      return DbClient.open(url); // after the migrations: pgvector's types are registered on connect
    }

    @Override public void close() {
      if (keep) {
        out.println("kept scratch database " + db + (cluster != null
            ? " on the throwaway cluster in " + cluster.dataDir + " (port " + cluster.port + ", still running)" : ""));
        return;
      }
      try (Connection c = DbClient.open(adminUrl); Statement st = c.createStatement()) {
        st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      } catch (RuntimeException | SQLException e) {
        out.println("warning: could not drop scratch database " + db + ": " + DbClient.redact(e.getMessage()));
      }
      if (cluster != null) discard(cluster);
    }

    private static synchronized void discard(LocalCluster cluster) {
      try {
        cluster.stop(true);
        cluster.delete();
        Files.deleteIfExists(cluster.dataDir.getParent());
      } catch (IOException | InterruptedException e) {
        // best effort: a temp folder may stay behind
      }
    }
  }

  // ----------------------------------------------------------------- setup

  record Setup(double loadRowsPerS, List<Built> builds, String maintenanceWorkMem, int parallelWorkers, String server, String pgvector) {
    Built hnsw() { return builds.stream().filter(b -> b.method().equals("hnsw")).findFirst().orElseThrow(); }
    Built gin() { return builds.stream().filter(b -> b.method().equals("gin")).findFirst().orElse(null); }
  }

  /** Session settings of the bench connection: no statement timeout, memory for in-memory HNSW builds. */
  static void session(Connection c, int rows) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SET statement_timeout = 0");
      st.execute("SET maintenance_work_mem = '" + maintenanceWorkMem(rows) + "'");
      st.execute("SET max_parallel_maintenance_workers = " + PARALLEL_WORKERS);
    }
  }

  /** Leader plus one worker: both cores of this machine. */
  static final int PARALLEL_WORKERS = 1;

  /** Loads the rows with the search indexes dropped, then rebuilds those. */
  Setup prepare(Connection c, Scratch s, PrintStream out) throws Exception {
    session(c, o.rows);
    Map<String, String> defs = dropSearchIndexes(c);
    out.printf(Locale.ROOT, "loading %,d memories (%d repos, dominant %.0f%%, stale %.0f%%; indexes %s rebuilt after the load)%n",
        o.rows, o.repos, 100 * o.dominantShare, 100 * o.staleShare, String.join(", ", defs.keySet()));
    double rate = load(c, out);
    long t0 = System.nanoTime();
    try (Statement st = c.createStatement()) { st.execute("VACUUM ANALYZE learning_memories"); }
    out.printf(Locale.ROOT, "  vacuum analyze: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    out.printf("building indexes (maintenance_work_mem %s, max_parallel_maintenance_workers %d)%n", maintenanceWorkMem(o.rows), PARALLEL_WORKERS);
    List<Built> builds = new ArrayList<>();
    for (var e : defs.entrySet()) builds.add(build(c, s.url, e.getKey(), e.getValue(), out));
    String server, vector;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'vector')")) {
      rs.next();
      server = rs.getString(1);
      vector = rs.getString(2);
    }
    return new Setup(rate, builds, maintenanceWorkMem(o.rows), PARALLEL_WORKERS, server, vector);
  }

  /** Per-repo row counts (non-stale), for the class descriptions. */
  static long liveRows(Connection c, List<String> repos) throws SQLException {
    try (var ps = c.prepareStatement("SELECT count(*) FROM learning_memories WHERE repo = ANY(?) AND NOT stale")) {
      ps.setArray(1, c.createArrayOf("text", repos.toArray()));
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getLong(1); }
    }
  }

  // ------------------------------------------------------------- statistics

  static double percentile(double[] values, double p) {
    if (values.length == 0) return Double.NaN;
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    int i = (int) Math.ceil(p / 100.0 * v.length) - 1;
    return v[Math.max(0, Math.min(v.length - 1, i))];
  }

  /** A JSON object written by hand (string, number, boolean and null values only). */
  static final class Json {
    final Map<String, Object> fields = new LinkedHashMap<>();
    Json put(String k, Object v) { fields.put(k, v); return this; }

    @Override public String toString() {
      StringBuilder sb = new StringBuilder("{");
      fields.forEach((k, v) -> {
        if (sb.length() > 1) sb.append(", ");
        sb.append(quote(k)).append(": ");
        if (v == null) sb.append("null");
        else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) sb.append(v);
        else if (v instanceof Number n) {
          double d = n.doubleValue();
          sb.append(Double.isFinite(d) ? String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", ".0") : "null");
        } else sb.append(quote(String.valueOf(v)));
      });
      return sb.append('}').toString();
    }

    static String quote(String s) {
      StringBuilder sb = new StringBuilder("\"");
      for (char ch : s.toCharArray()) {
        switch (ch) {
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          default -> { if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch)); else sb.append(ch); }
        }
      }
      return sb.append('"').toString();
    }

    static void write(Path file, List<Json> objects) throws IOException {
      StringBuilder sb = new StringBuilder("[\n");
      for (int i = 0; i < objects.size(); i++) sb.append("  ").append(objects.get(i)).append(i + 1 < objects.size() ? ",\n" : "\n");
      if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, sb.append("]\n").toString());
    }
  }
}
