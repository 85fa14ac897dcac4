// Shared source of the importer (//SOURCES importer/MemoryPartitions.java, with retrieval/RepoPartitions.java):
// the per-repo partitions of learning_memories an import creates (migration 070's layout).
//
// Why: the cut-over is `migrate up` on an empty database, then `import`, so when 070 ran no repo had a row and
// every repo would land in learning_memories_default, where kodiai's owner query reads a large repo exactly
// (docs/retrieval.md, "A repo's own partition"). A partition created while it is still empty costs nothing;
// moving a repo out of the default partition later holds the table locked (`indexes move`). So before the rows
// are loaded, each repo of the source with more than RepoPartitions.MIN_ROWS live memories with a vector gets
// its partition, inside the import's transaction (a failed import leaves none behind), and its HNSW index is
// built after the load, where the importer builds vector indexes. A repo the default partition already holds
// rows of stays there (creating its partition would fail: PostgreSQL refuses a partition whose rows are in the
// default one); the output names it and the command that moves it.
//
// Creating a partition locks learning_memories (ACCESS EXCLUSIVE, the default partition scanned for the repo's
// rows) until the import commits: the bot's memory reads wait meanwhile. At the cut-over the bot is not running.

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

final class MemoryPartitions {
  /** Repos given a partition of their own by this import (their HNSW index is built after the load). */
  final List<String> created = new ArrayList<>();
  /** Repos over the limit that stay in the default partition: it already holds rows of them. */
  final List<String> keptInDefault = new ArrayList<>();
  /** The limit (RepoPartitions.MIN_ROWS; tests lower it). */
  final long minRows;

  MemoryPartitions(long minRows) { this.minRows = minRows; }

  /**
   * Before the load: the partitions of the source's large repos (none when the target is not partitioned, i.e.
   * before migration 070, or the source holds no memories). A dry run only says what it would create.
   */
  void prepare(SqliteSource src, Connection conn, Progress progress, boolean dryRun) throws SQLException {
    if (src == null || !RepoPartitions.partitioned(conn)) return;
    for (String repo : largeRepos(src, minRows)) {
      if (RepoPartitions.hasPartition(conn, repo)) continue; // its rows go there by themselves
      if (RepoPartitions.inDefault(conn, repo)) { keptInDefault.add(repo); continue; }
      progress.line((dryRun ? "would create " : "creating ") + RepoPartitions.name(repo) + " (a partition of its own"
          + " for repo " + repo + ")");
      if (!dryRun) RepoPartitions.create(conn, repo);
      created.add(repo);
    }
  }

  /** After the memories are written: each created partition's HNSW index (inside the import's transaction). */
  void buildIndexes(Connection conn, Progress progress) throws SQLException {
    for (String repo : created) {
      long t0 = System.nanoTime();
      RepoPartitions.buildHnsw(conn, repo);
      progress.line(String.format(Locale.ROOT, "built %s in %.1f s", RepoPartitions.hnswName(repo),
          (System.nanoTime() - t0) / 1e9));
    }
  }

  /** What the import did about partitions, for its output (empty when nothing was to do). */
  List<String> report(boolean dryRun) {
    List<String> lines = new ArrayList<>();
    if (!created.isEmpty()) lines.add(String.format(Locale.ROOT, "partitions: %s a partition of its own for %d"
        + " repo(s) over %,d live memories: %s", dryRun ? "would create" : "created", created.size(), minRows,
        String.join(", ", created)));
    if (!keptInDefault.isEmpty()) lines.add(String.format(Locale.ROOT, "partitions: %d repo(s) over %,d live"
        + " memories stay in %s, which already held rows of them (the owner query reads them exactly; move them"
        + " in a maintenance window: ./jbang indexes@kodiai move --maintenance-window): %s", keptInDefault.size(),
        minRows, RepoPartitions.DEFAULT, String.join(", ", keptInDefault)));
    return lines;
  }

  /** The source's repos with more than `min` live memories that have a vector (a row in vec0's _rowids). */
  static List<String> largeRepos(SqliteSource src, long min) throws SQLException {
    if (!src.tables.containsKey(TableMap.MEMORIES) || !src.hasTable(TableMap.VEC0 + "_rowids")) return List.of();
    List<String> repos = new ArrayList<>();
    try (PreparedStatement ps = src.connection().prepareStatement("SELECT m.repo FROM "
        + SqliteSource.quote(TableMap.MEMORIES) + " m JOIN " + SqliteSource.quote(TableMap.VEC0 + "_rowids")
        + " r ON r.rowid = m.id WHERE m.stale = 0 GROUP BY m.repo HAVING count(*) > ? ORDER BY m.repo")) {
      ps.setLong(1, min);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) repos.add(rs.getString(1));
      }
    }
    return repos;
  }
}
