// Shared source of the bench command (//SOURCES BenchScratch.java): the scratch
// database each bench run works in, on the server of --url, or on a throwaway local
// cluster (tuned to keep the data in memory) when no URL is given. Dropped at the
// end unless --keep.

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/** A scratch database, dropped on close unless --keep; on a throwaway cluster when no URL was given. */
final class BenchScratch implements AutoCloseable {
  final String adminUrl, db, url;
  final boolean keep;
  final LocalCluster cluster;
  final PrintStream out;

  private BenchScratch(String adminUrl, String db, boolean keep, LocalCluster cluster, PrintStream out) {
    this.adminUrl = adminUrl;
    this.db = db;
    this.url = withDatabase(adminUrl, db);
    this.keep = keep;
    this.cluster = cluster;
    this.out = out;
  }

  static BenchScratch create(BenchData.Options o, PrintStream out) throws Exception {
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
    return new BenchScratch(admin, db, o.keep, cluster, out);
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
