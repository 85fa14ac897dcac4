// Issue 22: no migration, up or down, makes the bot wait. Every migration after 001 is applied (up,
// down, up again) to a populated database while a bot-like reader and writer run (bench/OnlineWorkload:
// kodiai's nearest-memory query, memory writes with a ::vector literal, findings, reviews, feedback,
// new connections now and then), each with lock_timeout 2 s: a statement that waits longer for a lock
// fails, and fails the test, whatever took the lock (an ALTER TABLE, LOCK TABLE, a non-concurrent
// index build, ALTER DATABASE, ...). A monitor records the longest lock wait of each step. The data
// are small (CI's budget); `bench online` runs the same at 1,000,000 memories (docs/migrate.md).

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class OnlineMigrationsTest extends SchemaFixtures {
  static final int MEMORIES = 6_000; // 3 batches of 002's and 007's copies, 2 of 010's

  @Test void noMigrationUpOrDownMakesTheBotWaitTwoSeconds() throws Exception {
    withDatabase("online", url -> {
      assertEquals(1, Migrations.run(url, dir, 1));
      populate(url, MEMORIES);
      List<String> failures = new ArrayList<>();
      OnlineWorkload w = new OnlineWorkload(url, "2s", "online/small", MEMORIES);
      try {
        Thread.sleep(300);
        // versions, not positions: the numbering has gaps (012-019 reserved, slices of issue 21 at 020 and 050)
        List<Integer> versions = MigrationSource.load(dir).migrations.stream().map(x -> x.version()).toList();
        for (int i = 1; i < versions.size(); i++) {
          int m = versions.get(i);
          w.phase(m + " up");
          assertEquals(1, Migrations.run(url, dir, m));
          w.phase(m + " down");
          assertEquals(1, Migrations.rollback(url, dir, versions.get(i - 1)));
          w.phase(m + " up again");
          assertEquals(1, Migrations.run(url, dir, m));
        }
        w.phase("after");
        Thread.sleep(300);
      } finally {
        w.close();
      }
      long reads = 0, writes = 0;
      for (String name : w.phases()) {
        OnlineWorkload.Phase p = w.get(name);
        reads += p.reads;
        writes += p.writes;
        System.out.printf(Locale.ROOT,
            "  %-12s longest lock wait %6.0f ms, slowest read %6.0f ms, write %6.0f ms (%d reads, %d writes)%n",
            name, p.maxLockWaitMs, p.maxReadMs, p.maxWriteMs, p.reads, p.writes);
        for (String e : p.errors) failures.add(name + ": " + e);
        if (p.maxLockWaitMs > 2000) failures.add(name + ": a statement of the bot waited "
            + Math.round(p.maxLockWaitMs) + " ms for a lock");
      }
      assertEquals(List.of(), failures);
      assertTrue(reads > 50 && writes > 50, "the workload ran throughout: " + reads + " reads, " + writes + " writes");
      try (Connection c = DbClient.open(url)) { assertEquals(List.of(), SchemaCheck.check(c),
          "the schema is complete after it all"); }
    });
  }

  /** At version 001: memories in a few repos (one of them small, the reader's), with random vectors; the knowledge
   * tables. */
  static void populate(String url, int memories) throws Exception {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      st.execute("INSERT INTO learning_memories (repo, owner, finding_id, source_repo, finding_text,"
          + " severity, category, file_path,"
          + " outcome, embedding_model, embedding_dim, stale, embedding)"
          + " SELECT CASE WHEN g % 20 = 0 THEN 'online/small' ELSE 'online/r' || (g % 5) END, 'online', g,"
              + " 'online/r', 'finding ' || g,"
          + " 'minor', 'style', 'src/a.ts', 'accepted', 'voyage-code-3', 1024, g % 10 = 0,"
          + " (SELECT array_agg(random() - 0.5)::vector(1024) FROM generate_series(1, 1024) WHERE g > 0)"
          + " FROM generate_series(1, " + memories + ") g");
      OnlineWorkload.fillKnowledge(c, memories);
    }
  }
}
