// retrieval/RepoPartitions.java is migration 070's rule written in Java (070 is SQL and cannot call it): the
// partition name of a repo as 070 computes it (070's own expression, read from its file, evaluated by the
// server), the limit, the storage option, the comment and the HNSW index.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RepoPartitionsTest extends SchemaFixtures {
  static String migration070() throws Exception {
    return Files.readString(dir.resolve("070-memories-partitioned-by-repo.sql"));
  }

  @Test void theNameIsThatOf070ForEveryKindOfRepoName() throws Exception {
    Matcher m = Pattern.compile("\\n\\s*p := ([^;]+);").matcher(migration070());
    assertTrue(m.find(), "070 computes a partition's name in `p := ...;`");
    String expr = m.group(1).replace("r.repo", "?::text");
    try (Connection c = DbClient.open(TestDatabase.adminUrl());
         PreparedStatement ps = c.prepareStatement("SELECT " + expr)) {
      for (String repo : List.of("xbmc/xbmc", "acme/big", "o'brien/x\\y %é", "中文/😀", "", "a\"b/c d")) {
        ps.setString(1, repo);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertEquals(rs.getString(1), RepoPartitions.name(repo), repo);
        }
        assertEquals(RepoPartitions.name(repo) + "_hnsw", RepoPartitions.hnswName(repo));
      }
    }
  }

  @Test void theLimitStorageCommentAndIndexAreThoseOf070() throws Exception {
    String sql = migration070().replaceAll("'\\s*\\|\\|\\s*'", "").replaceAll("\\s+", " ");
    assertTrue(sql.contains("GROUP BY repo HAVING count(*) > " + RepoPartitions.MIN_ROWS + " "), "the limit");
    assertTrue(sql.contains("SELECT repo FROM learning_memories WHERE NOT stale AND embedding IS NOT NULL"));
    // 070 creates its partitions with autovacuum off until its swap, which resets it: the storage option is the rest
    String storage = RepoPartitions.STORAGE.replace(")", ", autovacuum_enabled = false)");
    assertTrue(sql.contains("FOR VALUES IN (%L) " + storage + "'"), "the storage option");
    assertTrue(sql.contains("RESET (autovacuum_enabled)"), "autovacuum back on at the swap");
    String comment = RepoPartitions.comment("R");
    assertTrue(sql.contains("'" + comment.substring(0, comment.indexOf("R")) + "' || r.repo || '"
        + comment.substring(comment.indexOf("R") + 1) + "'"), "the comment");
    assertTrue(sql.contains("ON %I " + RepoPartitions.HNSW + "', p || '_hnsw', p"), "the HNSW index");
  }
}
