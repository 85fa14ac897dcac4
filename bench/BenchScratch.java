// Shared source of the bench command (//SOURCES bench/BenchScratch.java): the scratch
// database each bench run works in, on the server of --url, or on a throwaway local
// cluster (tuned to keep the data in memory) when no URL is given. Dropped at the
// end unless --keep.

import java.io.IOException;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

/** A scratch database, dropped on close unless --keep; on a throwaway cluster when no URL was given. */
final class BenchScratch implements AutoCloseable {
  final String adminUrl, db, url;
  final boolean keep;
  final LocalCluster.Temporary cluster;
  final BenchShape shape;   // how the throwaway cluster is shaped (none with --url)
  final PrintStream out;

  private BenchScratch(String adminUrl, String db, boolean keep, LocalCluster.Temporary cluster, BenchShape shape,
      PrintStream out) {
    this.adminUrl = adminUrl;
    this.db = db;
    this.url = DbClient.withDatabase(adminUrl, db);
    this.keep = keep;
    this.cluster = cluster;
    this.shape = shape;
    this.out = out;
  }

  /**
   * The server the benches use: --url, else $KODIAI_BENCH_DATABASE_URL, else $DATABASE_URL; null: a throwaway cluster.
   */
  static String adminUrl(String url) {
    if (url != null && !url.isBlank()) return url.trim();
    for (String env : List.of("KODIAI_BENCH_DATABASE_URL", "DATABASE_URL")) {
      String v = System.getenv(env);
      if (v != null && !v.isBlank()) return v.trim();
    }
    return null;
  }

  /**
   * A new scratch database on the server of `url` (see adminUrl), or on a throwaway cluster; kept at the end if `keep`.
   */
  static BenchScratch create(String url, boolean keep, PrintStream out) throws Exception {
    return create(url, keep, BenchShape.NONE, out);
  }

  /** The same; a throwaway cluster gets the shape `shapeName` (BenchShape: none or b1ms). */
  static BenchScratch create(String url, boolean keep, String shapeName, PrintStream out) throws Exception {
    String admin = adminUrl(url);
    BenchShape shape = new BenchShape(admin == null ? shapeName : BenchShape.NONE);
    if (admin != null && !BenchShape.NONE.equals(shapeName))
      out.println("note: --shape " + shapeName + " shapes only a throwaway cluster; the server of --url runs as it is");
    LocalCluster.Temporary cluster = null;
    if (admin == null) {
      out.println("no --url: starting a throwaway PostgreSQL cluster"
          + (shape.b1ms() ? " shaped like Azure B1ms" : ""));
      cluster = LocalCluster.temporary("kodiai-bench-pg-", "kodiai_bench", true);
      admin = cluster.adminUrl();
      out.println("  in " + cluster.cluster().dataDir.getParent());
      List<String> tuning = shape.b1ms() ? B1MS_TUNING : CLUSTER_TUNING;
      try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
        for (String s : tuning) st.execute("ALTER SYSTEM SET " + s);
      }
      cluster.cluster().stop(false);
      LocalCluster.Temporary lc = cluster;
      if (!keep) Runtime.getRuntime().addShutdownHook(new Thread(() -> { discard(lc); shape.release(); }));
      cluster.cluster().startWith(shape.launcher());
      out.println("  cluster settings: " + String.join(", ", tuning));
      if (shape.b1ms())
        try (Connection c = DbClient.open(admin)) { for (String l : shape.inForce(c)) out.println("  in force: " + l); }
    }
    String db = "kodiai_bench_" + ProcessHandle.current().pid() + "_"
        + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + db);
    }
    out.println("scratch database " + db + " on " + DbClient.parse(admin).redacted());
    return new BenchScratch(admin, db, keep, cluster, shape, out);
  }

  /** Tuning of the throwaway cluster: the data (heap ~0.5 GB, HNSW index ~0.8 GB at 100k rows) stays in memory. */
  static final List<String> CLUSTER_TUNING = List.of("shared_buffers = '2GB'", "maintenance_work_mem = '1GB'",
      "max_parallel_maintenance_workers = 1", "effective_cache_size = '8GB'", "work_mem = '16MB'",
      "max_wal_size = '4GB'", "checkpoint_timeout = '30min'", "wal_level = minimal", "max_wal_senders = 0");

  /**
   * Shape b1ms: Azure's B1ms parameters (BenchShape.AZURE_B1MS), and the durability trade of a throwaway
   * cluster (no fsync, minimal WAL) so that loading is not what the run measures.
   */
  static final List<String> B1MS_TUNING = java.util.stream.Stream.concat(BenchShape.AZURE_B1MS.stream(),
      java.util.stream.Stream.of("max_wal_size = '4GB'", "checkpoint_timeout = '30min'", "wal_level = minimal",
          "max_wal_senders = 0")).toList();

  /** Applies every migration (those bundled with the tool) to the scratch database; returns a connection to it. */
  Connection migrateAndConnect() { return migrateAndConnect(null); }

  /** The same, up to version `to` (null: all); the rest follows with migrateRest (after loading, say). */
  /** Applies the migrations not yet applied, up to `to` (null: all), saying how many and how long. */
  void migrateRest(Integer to) {
    long t0 = System.nanoTime();
    int applied = Migrations.run(url, null, to);
    out.printf(Locale.ROOT, "migrated: %d migrations in %.1f s%n", applied, (System.nanoTime() - t0) / 1e9);
  }

  Connection migrateAndConnect(Integer to) {
    migrateRest(to);
    Connection c = DbClient.open(url); // after the migrations: pgvector's types are registered on connect
    // As docs/retrieval.md's figures were taken: pgjdbc's default, named server-side statements after
    // 5 runs, as a direct client may use them (DbClient itself uses unnamed ones, for poolers).
    try {
      c.unwrap(org.postgresql.PGConnection.class).setPrepareThreshold(5);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("not a pgjdbc connection: " + e.getMessage(), e);
    }
    return c;
  }

  @Override public void close() {
    if (keep) {
      out.println("kept scratch database " + db + (cluster != null
          ? " on the throwaway cluster in " + cluster.cluster().dataDir + " (port " + cluster.cluster().port
              + ", still running)" : ""));
      return;
    }
    try (Connection c = DbClient.open(adminUrl); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    } catch (RuntimeException | SQLException e) {
      out.println("warning: could not drop scratch database " + db + ": " + DbClient.redact(e.getMessage()));
    }
    if (cluster != null) discard(cluster);
    shape.release();
  }

  private static synchronized void discard(LocalCluster.Temporary cluster) {
    try {
      cluster.discard();
    } catch (IOException | InterruptedException e) {
      // best effort: a temp folder may stay behind
    }
  }
}
