// The per-repo index options of `bench retrieval` and `bench hybrid` (//SOURCES bench/*.java):
// both measure what production runs, so both build the indexes of `indexes sync` first unless told not to.

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import picocli.CommandLine.Option;

final class BenchRepoIndexOptions {
  @Option(names = "--repo-indexes", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "build the per-repo HNSW indexes (`indexes sync`: repos over 3,000 live rows) before measuring; "
          + "--no-repo-indexes: none, every repo served exactly (default: ${DEFAULT-VALUE})")
  boolean enabled;
  @Option(names = "--repo-index-min-rows", paramLabel = "N", defaultValue = "" + RepoIndexes.MIN_ROWS,
      description = "with --repo-indexes: repos over N live rows get their own index (default: ${DEFAULT-VALUE}, as "
          + "indexes sync)")
  long minRows;

  /** Builds them (as `indexes sync` does) when enabled; what was built, or null. */
  BenchRetrieval.RepoBuild build(Connection c, String maintenanceWorkMem, PrintStream out) throws SQLException {
    return enabled ? BenchRetrieval.buildRepoIndexes(c, minRows, maintenanceWorkMem, out) : null;
  }

  /** Adds whether the indexes were built, and the build's figures, to the run's JSON head. */
  BenchJson describe(BenchJson head, BenchRetrieval.RepoBuild b) {
    head.put("repo_indexes", enabled);
    return b == null ? head : head.put("repo_indexes_built", b.count()).put("repo_indexes_build_s", b.seconds())
        .put("repo_indexes_mb", b.mb()).put("repo_indexes_rows", b.rows());
  }
}
