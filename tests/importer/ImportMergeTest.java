// Issue 10, items 2, 5 and 7: re-running after cut-over adds only what is missing and never
// overwrites (colliding ids and unique keys are reported and skipped, with the rows that
// point to them); a difference found by the verification rolls everything back; a file
// the bot keeps writing is read as one snapshot.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportMergeTest extends ImportFixtures {
  @TempDir Path dir;

  private Path knowledge(String... sql) throws Exception {
    Path f = dir.resolve("k.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.CURRENT)) {
      exec(c, sql);
    }
    return f;
  }

  @Test void afterCutOverOnlyMissingRowsAreAddedAndNothingIsOverwritten() throws Exception {
    withDatabase("merge", url -> {
      assertEquals(LATEST, Migrations.run(url, migrations(), null));
      Path f = knowledge(
          "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 1), ('acme/api', 2)",
          "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (1, 'a', 'minor', 'style', 1, 't1'), (2, 'b', 'minor', 'style', 1, 't2')",
          "INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count) VALUES ('minor', 'style', 'low', 'fp', 3)");
      Run first = importInto(url, "--knowledge", f.toString());
      assertEquals(0, first.exit(), first.all());
      try (Connection pg = DbClient.open(url); Connection s = BenchImportFiles.open(f)) {
        // The bot, now on PostgreSQL, writes new rows (ids after the moved sequence) and bumps a pattern.
        exec(pg, "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 3)", // id 3
            "UPDATE global_patterns SET count = count + 1");
        // Meanwhile the old bot (still on SQLite) wrote more: review 3 (collides: PostgreSQL's 3 is another review),
        // a finding of it, review 4 (new), and a pattern the PostgreSQL bot also wrote.
        exec(s, "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 30), ('acme/api', 40)",
            "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (3, 'c', 'minor', 'style', 1, 'of review 3'), (4, 'd', 'minor', 'style', 1, 'of review 4')",
            "INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count) VALUES ('major', 'style', 'low', 'fp2', 1)");
        // ... and fp2 under another id than the source's (id 2 was taken and freed by another pattern first).
        exec(pg, "INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count) VALUES ('minor', 'style', 'low', 'gone', 1)",
            "DELETE FROM global_patterns WHERE pattern_fingerprint = 'gone'",
            "INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count) VALUES ('major', 'style', 'low', 'fp2', 9)");
      }
      Map<String, String> before = targetState(url);
      Run dry = importInto(url, "--knowledge", f.toString(), "--dry-run");
      assertEquals(0, dry.exit(), dry.all());
      assertEquals(before, targetState(url), "a dry run writes nothing");
      Run second = importInto(url, "--knowledge", f.toString());
      assertEquals(0, second.exit(), second.all());
      String out = second.out();
      assertTrue(out.matches("(?s).*\\nreviews\\s+4\\s+1\\s+2\\s+1\\s+1 id taken by a different row in the target \\(ids 3\\).*"), out);
      assertTrue(out.matches("(?s).*\\nfindings\\s+4\\s+1\\s+2\\s+1\\s+1 parent row skipped \\(ids 3\\).*"), out);
      assertTrue(out.matches("(?s).*\\nglobal_patterns\\s+2\\s+0\\s+0\\s+2\\s+.*"), out); // id 1 changed by the bot (collides), fp2 key exists
      assertTrue(out.contains("unique key already in the target"), out);
      assertEquals(40, count(url, "SELECT pr_number FROM reviews WHERE id = 4"));
      assertEquals(3, count(url, "SELECT pr_number FROM reviews WHERE id = 3"), "the bot's review 3 is not overwritten");
      assertEquals(0, count(url, "SELECT count(*) FROM findings WHERE title = 'of review 3'"), "not attached to the wrong review");
      assertEquals(4, count(url, "SELECT count FROM global_patterns WHERE pattern_fingerprint = 'fp'"), "the bot's count is kept");
      assertEquals(9, count(url, "SELECT count FROM global_patterns WHERE pattern_fingerprint = 'fp2'"));
    });
  }

  @Test void aDifferenceFoundByTheVerificationRollsEverythingBack() throws Exception {
    withDatabase("verify", url -> {
      Migrations.run(url, migrations(), null);
      // An operator's trigger that alters rows on their way in: the import must notice and refuse to commit.
      try (Connection pg = DbClient.open(url)) {
        exec(pg, "CREATE FUNCTION meddle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.pr_number = 2 THEN NEW.model := 'changed'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER meddle BEFORE INSERT ON reviews FOR EACH ROW EXECUTE FUNCTION meddle()");
      }
      Path f = knowledge("INSERT INTO reviews (repo, pr_number, model) VALUES ('acme/api', 1, 'm'), ('acme/api', 2, 'm'), ('acme/api', 3, 'm')");
      Map<String, String> before = targetState(url);
      Run r = importInto(url, "--knowledge", f.toString());
      assertEquals(ExitCode.FAILED, r.exit(), r.all());
      assertEquals(new ImportFailure.VerifyFailed(List.of("reviews: checksums differ; rows that differ: 2")), r.kind(),
          r.all());
      // the lines cli/ renders from the kind
      assertTrue(r.err().endsWith("import: error: verification failed, nothing was committed; the target differs from the"
          + " source in:\nimport: error: reviews: checksums differ; rows that differ: 2\n"), r.err());
      assertEquals(before, targetState(url), "rows and sequences as before");
    });
  }

  @Test void aFileTheBotKeepsWritingIsReadAsOneSnapshot() throws Exception {
    withDatabase("snapshot", url -> {
      Migrations.run(url, migrations(), null);
      Path f = dir.resolve("busy.db");
      SplittableRandom r = new SplittableRandom(5);
      try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.CURRENT)) {
        for (int i = 0; i < 300; i++) BenchImportFiles.insertMemory(c, "a/b", (long) i, "m" + i, "minor", "style", "accepted", BenchImportFiles.unitVector(r, 1024), false);
      }
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong written = new AtomicLong();
      Thread bot = new Thread(() -> { // the bot: a review and a memory with its vector, each in its own transaction, in WAL mode
        SplittableRandom rr = new SplittableRandom(6);
        try (Connection c = BenchImportFiles.open(f)) {
          for (int i = 1000; !stop.get() && i < 100_000; i++) {
            c.setAutoCommit(false);
            exec(c, "INSERT INTO reviews (repo, pr_number) VALUES ('a/b', " + i + ")");
            BenchImportFiles.insertMemory(c, "a/b", (long) i, "m" + i, "minor", "style", "accepted", BenchImportFiles.unitVector(rr, 1024), false);
            c.commit();
            written.incrementAndGet();
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      bot.start();
      while (written.get() < 20) Thread.sleep(10);
      Run first = importInto(url, "--knowledge", f.toString());
      stop.set(true);
      bot.join();
      assertEquals(0, first.exit(), first.all());
      long reviews = count(url, "SELECT count(*) FROM reviews"), memories = count(url, "SELECT count(*) FROM learning_memories");
      assertEquals(reviews + 300, memories, "reviews and memories come from the same snapshot (each bot transaction wrote one of each)");
      assertEquals(0, count(url, "SELECT count(*) FROM learning_memories WHERE embedding IS NULL"), "every memory of the snapshot has its vector");
      Run second = importInto(url, "--knowledge", f.toString()); // the bot stopped: the rest comes now
      assertEquals(0, second.exit(), second.all());
      assertEquals(written.get(), count(url, "SELECT count(*) FROM reviews"));
      assertEquals(written.get() + 300, count(url, "SELECT count(*) FROM learning_memories"));
    });
  }
}
