// Shared source of the bench command (//SOURCES bench/BenchIndexes.java): the search
// indexes of learning_memories, dropped before the bulk load and rebuilt after it
// with progress reports, and the session settings those builds need.

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

final class BenchIndexes {

  record Built(String name, String method, double seconds, double mb, boolean spilled) {}

  /**
   * Drops the HNSW and GIN indexes of learning_memories and its search copy (so COPY does not maintain them); returns
   * their definitions.
   */
  static Map<String, String> dropSearchIndexes(Connection c) throws SQLException {
    Map<String, String> defs = new LinkedHashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('learning_memories', "
            + "'learning_memories_search') "
            + "AND (indexdef ILIKE '% USING hnsw %' OR indexdef ILIKE '% USING gin %') ORDER BY indexdef ILIKE '% "
                + "USING gin %' DESC")) {
      // a partitioned table's index (migration 070) prints as ON ONLY: built again on the whole table
      while (rs.next()) defs.put(rs.getString(1), rs.getString(2).replaceFirst(" ON ONLY ", " ON "));
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
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_relation_size('" + name
        + "'::regclass)")) {
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
              rs.getString(1), rs.getLong(2), rs.getLong(3) > 0 ? String.format(Locale.ROOT, " of %,d", rs.getLong(3))
                  : "",
              rs.getLong(4), rs.getLong(5), (System.nanoTime() - t0) / 1e9);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | SQLException e) {
      // progress is best effort
    }
  }

  /**
   * maintenance_work_mem for an in-memory HNSW build of the halfvec index (migration 007): about 4 KiB per row,
   * at least 256 MB; on a 2 GiB server (shape b1ms) at most 512 MB, the most one session should take there.
   */
  static String maintenanceWorkMem(int rows, boolean small) {
    long mb = Math.max(256, ((long) rows * 4 + 1023) / 1024);
    if (small) mb = Math.min(mb, 512);
    return mb % 1024 == 0 ? (mb / 1024) + "GB" : mb + "MB";
  }

  /** Parallel build workers: leader plus one on a roomy machine; none on one vCore (a worker would only compete). */
  static int parallelWorkers(boolean small) { return small ? 0 : 1; }

  /** Session settings of the bench connection: no statement timeout, memory for in-memory HNSW builds. */
  static void session(Connection c, int rows, boolean small) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SET statement_timeout = 0");
      st.execute("SET maintenance_work_mem = '" + maintenanceWorkMem(rows, small) + "'");
      st.execute("SET max_parallel_maintenance_workers = " + parallelWorkers(small));
    }
  }

}
