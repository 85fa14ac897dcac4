// Shared source (retrieval/*.java): `indexes move`, a repo out of learning_memories_default into a partition
// of its own (migration 070's layout, retrieval/RepoPartitions.java), so kodiai's owner query reads it through
// the partition's HNSW index instead of exactly (docs/retrieval.md, "A repo's own partition").
//
// NOT online, by necessity: PostgreSQL attaches a partition only after scanning the default partition for rows
// of its repo, and those rows must leave the default partition in the same transaction, so learning_memories
// stays locked ACCESS EXCLUSIVE (the bot's reads and writes of memories wait) while the repo's rows are moved,
// the default partition is scanned, the partition's btree and GIN indexes are built. One transaction per repo:
// it waits at most lockTimeoutMs for the table (then it fails, nothing changed) and either moves the repo or
// changes nothing. The partition's HNSW index is built after the commit, CONCURRENTLY: it was most of the hold
// (1.6 of 1.95 s for 5,000 rows), and meanwhile the repo is read exactly, as the owner query read it before.
//
// 010's search copy (learning_memories_search: every live row's id, repo, search_tsv) stays equal: the DELETE
// from the default partition fires its row trigger, which deletes the repo's rows from the copy, and the new
// table has no trigger until it is attached, so the moved live rows are written to the copy again.

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

final class PartitionMove {
  private PartitionMove() {}

  /** One repo moved: its rows (all, live), and how long learning_memories was locked, by step. */
  record Moved(String repo, String partition, long rows, long liveRows, long lockWaitMs, long lockedMs, long copyMs,
      long attachMs) {}

  /** The repos in the default partition with more than minRows live memories with an embedding, largest first. */
  static List<String> candidates(Connection c, long minRows) throws SQLException {
    List<String> repos = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT repo FROM " + RepoPartitions.DEFAULT
        + " WHERE NOT stale AND embedding IS NOT NULL GROUP BY repo HAVING count(*) > ?"
        + " ORDER BY count(*) DESC, repo")) {
      ps.setLong(1, minRows);
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) repos.add(rs.getString(1)); }
    }
    return repos;
  }

  /**
   * Moves `repo` in one transaction (the connection's autocommit is restored after). Throws SQLException with
   * SQL state 55P03 when the table stayed locked longer than lockTimeoutMs; any failure rolls everything back.
   */
  static Moved move(Connection c, String repo, long lockTimeoutMs, String maintenanceWorkMem) throws SQLException {
    String p = RepoPartitions.name(repo);
    c.setAutoCommit(false);
    try {
      RepoPartitions.exec(c, "SET LOCAL lock_timeout = " + lockTimeoutMs);
      RepoPartitions.exec(c, RepoPartitions.format(c, "SET LOCAL maintenance_work_mem = %L", maintenanceWorkMem));
      long t0 = System.nanoTime();
      RepoPartitions.exec(c, "LOCK TABLE " + RepoPartitions.TABLE + " IN ACCESS EXCLUSIVE MODE");
      long locked = System.nanoTime();
      RepoPartitions.exec(c, RepoPartitions.format(c, "CREATE TABLE %I (LIKE " + RepoPartitions.TABLE
          + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION) "
          + RepoPartitions.STORAGE, p));
      long rows = copyOut(c, repo, p);
      long live = restoreSearchCopy(c, p);
      long copied = System.nanoTime();
      RepoPartitions.exec(c, RepoPartitions.format(c, "ALTER TABLE " + RepoPartitions.TABLE
          + " ATTACH PARTITION %I FOR VALUES IN (%L)", p, repo));
      RepoPartitions.exec(c, RepoPartitions.format(c, "COMMENT ON TABLE %I IS %L", p, RepoPartitions.comment(repo)));
      // Its per-repo index in the default partition (`indexes sync`) indexes no row any more.
      RepoPartitions.exec(c, "DROP INDEX IF EXISTS " + RepoIndexes.indexName(c, repo));
      long attached = System.nanoTime();
      c.commit();
      long end = System.nanoTime();
      return new Moved(repo, p, rows, live, ms(locked - t0), ms(end - locked), ms(copied - locked),
          ms(attached - copied));
    } catch (SQLException | RuntimeException e) {
      try { c.rollback(); } catch (SQLException ignored) { /* the connection is gone: the server rolled back */ }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** The repo's rows out of the default partition into table p, in one statement (every column, by name). */
  private static long copyOut(Connection c, String repo, String p) throws SQLException {
    String cols;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT string_agg(quote_ident(attname),"
        + " ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '" + RepoPartitions.TABLE + "'::regclass"
        + " AND attnum > 0 AND NOT attisdropped")) {
      rs.next();
      cols = rs.getString(1);
    }
    try (PreparedStatement ps = c.prepareStatement(RepoPartitions.format(c, "WITH d AS (DELETE FROM "
        + RepoPartitions.DEFAULT + " WHERE repo = ? RETURNING " + cols + ") INSERT INTO %I (" + cols + ") SELECT "
        + cols + " FROM d", p))) {
      ps.setString(1, repo);
      return ps.executeUpdate();
    }
  }

  /** The moved live rows into 010's search copy again (its delete trigger took them out); returns their number. */
  private static long restoreSearchCopy(Connection c, String p) throws SQLException {
    try (Statement st = c.createStatement()) {
      boolean search;
      try (ResultSet rs = st.executeQuery("SELECT to_regclass('learning_memories_search') IS NOT NULL")) {
        rs.next();
        search = rs.getBoolean(1);
      }
      if (search) st.executeUpdate(RepoPartitions.format(c, "INSERT INTO learning_memories_search (repo, id,"
          + " search_tsv) SELECT repo, id, search_tsv FROM %I WHERE NOT stale ON CONFLICT DO NOTHING", p));
      try (ResultSet rs = st.executeQuery(RepoPartitions.format(c, "SELECT count(*) FROM %I WHERE NOT stale", p))) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static long ms(long nanos) { return nanos / 1_000_000; }
}
