// Issue 22: a database that applied the earlier versions of the migrations that issue 22 replaced
// (tests/migration/earlier/, byte for byte) keeps working with today's files: `migrate` counts those rows
// as applied (`-- migrate:replaces`), runs only what it lacks, and brings the layout to today's (011
// converges the earlier 007: its generated copy becomes `embedding`, keeping the per-repo indexes), while
// a bot-like reader and writer run with lock_timeout 2 s; schema-check passes afterwards.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MigrateFromEarlierFilesTest extends SchemaFixtures {
  /** Fewer than OnlineMigrationsTest's: the earlier files build HNSW indexes in their transactions. */
  static final int MEMORIES = 1_500;
  /** The version before 070 (learning_memories partitioned by repo, a new copy of the table). */
  static final int BEFORE_PARTITIONING = 69;
  @TempDir Path earlier;

  /** Today's folder with the earlier versions of the replaced files in their place. */
  void earlierFolder() throws Exception {
    Path fixtures = dir.getParent().resolve("tests/migration/earlier");
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Path old = fixtures.resolve(f.getFileName());
        Files.copy(Files.exists(old) ? old : f, earlier.resolve(f.getFileName()));
      }
    }
    // the online kit that 070 uses (Files.copy above made its folder, empty)
    Path kit = Path.of(KodiaiFiles.FROM_KODIAI, ConversionKit.FILE);
    Files.copy(dir.resolve(kit), earlier.resolve(kit));
  }

  @ParameterizedTest(name = "from the earlier files at version {0}")
  @ValueSource(ints = {5, 10})
  void aDatabaseOfTheEarlierFilesReachesTodaysLayoutOnline(int version) throws Exception {
    earlierFolder();
    withDatabase("earlier" + version, url -> {
      assertEquals(1, Migrations.run(url, earlier, 1));
      OnlineMigrationsTest.populate(url, MEMORIES);
      assertEquals(version - 1, Migrations.run(url, earlier, version));
      // as indexes sync builds them
      if (version >= 7) try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("CREATE INDEX idx_lm_repo_hnsw_test ON learning_memories USING hnsw (embedding_half"
            + " halfvec_cosine_ops)"
            + " WITH (m = 16, ef_construction = 64) WHERE repo = 'online/r1' AND NOT stale");
      }
      List<String> failures = new ArrayList<>();
      OnlineWorkload w = new OnlineWorkload(url, "2s", "online/small", MEMORIES);
      int applied;
      try {
        w.phase("up");
        applied = Migrations.run(url, dir, BEFORE_PARTITIONING);
        // through 011's convergence the per-repo index follows the copy; 070's copy leaves out the per-repo
        // indexes of repos it gives no partition (at most 3,000 live rows: served exactly)
        if (version >= 7) try (Connection c = DbClient.open(url)) {
          assertEquals(1, longOf(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_lm_repo_hnsw_test'"
              + " AND indexdef LIKE '%(embedding halfvec_cosine_ops)%'"), "the per-repo index follows the copy");
        }
        applied += Migrations.run(url, dir, null);
      } finally {
        w.close();
      }
      OnlineWorkload.Phase p = w.get("up");
      failures.addAll(p.errors);
      if (p.maxLockWaitMs > 2000) failures.add("a statement of the bot waited " + Math.round(p.maxLockWaitMs)
          + " ms for a lock");
      assertEquals(List.of(), failures);
      assertEquals(LATEST - version, applied, "only what the earlier files lacked");
      try (Connection c = DbClient.open(url)) {
        assertEquals(List.of(), SchemaCheck.check(c), "today's layout");
        assertEquals(0, longOf(c, "SELECT count(*) FROM learning_memories WHERE embedding IS NULL"),
            "every vector kept");
        assertTrue(longOf(c, "SELECT count(*) FROM learning_memories") >= MEMORIES);
      }
      assertEquals(0, Migrations.run(url, dir, null), "nothing pending, nothing edited");
    });
  }
}
