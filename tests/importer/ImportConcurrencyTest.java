// Issue 20, items 3 and 4: the import never blocks the bot's reads (a reader with lock_timeout 1 s
// reads every imported table the whole time, also while the HNSW index is built and while the
// import verifies), and never writes its source, even when a writer of the SQLite file crashes
// during the import and leaves its -wal behind (the last connection to close must not
// checkpoint it into the main file).

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportConcurrencyTest extends ImportFixtures {
  @TempDir Path dir;

  @AfterEach void noPause() { Importer.testPause = phase -> { }; }

  /** One round: count(*) of every imported table from `reader` (lock_timeout 1 s); the first failure, or null. */
  private static String readRound(Connection reader) {
    try (Statement st = reader.createStatement()) {
      for (String t : TARGET_TABLES) try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) { rs.next(); }
      return null;
    } catch (Exception e) {
      return e.getMessage();
    }
  }

  @Test void aReaderWithA1sLockTimeoutReadsEveryTableDuringTheWholeImport() throws Exception {
    Path k = dir.resolve("kodiai-knowledge.db"), t = dir.resolve("kodiai-telemetry.db");
    BenchImport.generate(k, t, 1500, 5);
    withDatabase("import_readers", url -> {
      Migrations.run(url, migrations(), null);
      // a vector index, as indexes@kodiai makes (on the default partition since migration 070): built again after
      // the load
      try (Connection c = DbClient.open(url)) {
        exec(c, "CREATE INDEX lm_hnsw_test ON learning_memories_default USING hnsw (embedding halfvec_cosine_ops)"
            + " WITH (m = 16, ef_construction = 64)");
      }
      try (Connection reader = DbClient.open(url); Connection paused = DbClient.open(url)) {
        exec(reader, "SET lock_timeout = '1s'");
        exec(paused, "SET lock_timeout = '1s'");
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean building = new AtomicBoolean(), done = new AtomicBoolean();
        AtomicInteger roundsWhileBuilding = new AtomicInteger(), rounds = new AtomicInteger();
        List<String> pausedAt = new ArrayList<>();
        Importer.testPause = phase -> {
          if (phase.equals("hnsw-build")) building.set(true);
          if (phase.equals("hnsw-built")) building.set(false);
          String f = readRound(paused); // the import waits here: its locks stay as they are
          if (f != null) failures.add(phase + ": " + f);
          pausedAt.add(phase);
        };
        CompletableFuture<Void> loop = CompletableFuture.runAsync(() -> {
          while (!done.get()) {
            boolean during = building.get();
            String f = readRound(reader);
            if (f != null) failures.add("reader: " + f);
            rounds.incrementAndGet();
            if (during && building.get()) roundsWhileBuilding.incrementAndGet();
          }
        });
        Run r;
        try {
          r = importInto(url, "--knowledge", k.toString(), "--telemetry", t.toString());
        } finally {
          done.set(true);
          loop.get();
        }
        assertEquals(0, r.exit(), r.all());
        assertEquals(List.of("hnsw-build", "hnsw-built", "verify", "verified"), pausedAt);
        assertEquals(List.of(), failures, "no read waited for a lock");
        assertTrue(roundsWhileBuilding.get() > 0, "rounds while the index was built: " + roundsWhileBuilding + " of "
            + rounds);
        assertTrue(r.err().contains("dropping lm_hnsw_test (concurrently")
            && r.err().contains("building lm_hnsw_test"), r.err());
        assertEquals(1, count(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'lm_hnsw_test'"), "built again");
      }
    });
  }

  /** The HNSW path by cost, not by a fixed row count: an empty or small table builds once after the load. */
  @Test void theHnswPathIsChosenByCost() {
    Importer.Settings s = new Importer.Settings();
    Importer imp = new Importer(s, System.out, null);
    assertTrue(imp.rebuildPays(500, 0), "500 memories into an empty table");
    assertTrue(imp.rebuildPays(1_975, 0), "the issue's 1,975");
    assertTrue(imp.rebuildPays(2_000, 9_999), "a small table");
    assertFalse(imp.rebuildPays(2_000, 10_000), "5 times the incoming memories: the index is kept, filled row by row");
    assertFalse(imp.rebuildPays(0, 0), "no memories: nothing to rebuild");
    s.hnsw = Importer.Hnsw.KEEP;
    assertFalse(imp.rebuildPays(50_000, 0));
    s.hnsw = Importer.Hnsw.REBUILD;
    assertTrue(imp.rebuildPays(1, 1_000_000));
  }

  /** A failed import builds the dropped index again (concurrently), and changes nothing else. */
  @Test void aFailedImportBuildsTheDroppedIndexAgain() throws Exception {
    Path k = dir.resolve("kodiai-knowledge.db");
    try (Connection c = BenchImportFiles.knowledge(k, BenchImportFiles.Shape.CURRENT)) {
      exec(c, "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 1)");
      BenchImportFiles.insertMemory(c, "a/b", 1L, "m", "minor", "style", "accepted",
          BenchImportFiles.unitVector(new java.util.SplittableRandom(1), 1024), false);
    }
    withDatabase("import_restore", url -> {
      Migrations.run(url, migrations(), null);
      try (Connection c = DbClient.open(url)) {
        exec(c, "CREATE INDEX lm_hnsw_test ON learning_memories_default USING hnsw (embedding halfvec_cosine_ops)"
            + " WITH (m = 16, ef_construction = 64)", "COMMENT ON INDEX lm_hnsw_test IS 'kept by the test'");
      }
      var before = targetState(url);
      Importer.testPause = phase -> { if (phase.equals("verify")) throw new ImportFailure(
          new ImportFailure.VerifyFailed(List.of("stopped by the test"))); };
      Run r = importInto(url, "--knowledge", k.toString());
      assertEquals(ExitCode.FAILED, r.exit(), r.all());
      assertEquals(before, targetState(url));
      assertEquals(1, count(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'lm_hnsw_test'"));
      assertEquals(1, count(url,
          "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'lm_hnsw_test'"
          + " AND i.indisvalid AND obj_description(c.oid, 'pg_class') = 'kept by the test'"));
    });
  }

  // ------------------------------------------------------------------------------ the source

  /** A writer of the file in another process: commits rows into the -wal (no checkpoint), says so, and waits to be
   * killed. */
  public static final class Writer {
    public static void main(String[] args) throws Exception {
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + args[0]); Statement st = c.createStatement()) {
        st.execute("PRAGMA wal_autocheckpoint = 0");
        c.setAutoCommit(false);
        for (int i = 0; i < 200; i++) st.execute("INSERT INTO reviews (repo, pr_number) VALUES ('writer/crashed', "
            + i + ")");
        c.commit();
        Files.writeString(Path.of(args[1]), "ready");
        Thread.sleep(600_000);
      }
    }
  }

  /** A running Writer of `file`, after its commit; crash() kills it (SIGKILL: no clean close, its -wal stays). */
  record RunningWriter(Process process, CompletableFuture<ChildProcess.Result> run, Path file) {
    void crash() throws Exception {
      process.destroyForcibly();
      run.get();
      assertTrue(Files.size(SqliteSource.sibling(file, "-wal")) > 0, "the crashed writer left its -wal");
    }
  }

  static RunningWriter startWriter(Path file) throws Exception {
    Path ready = file.resolveSibling("writer-ready");
    Files.deleteIfExists(ready);
    AtomicReference<Process> proc = new AtomicReference<>();
    CompletableFuture<ChildProcess.Result> run = CompletableFuture.supplyAsync(() -> ChildProcess.of(
        ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
        Writer.class.getName(), file.toString(), ready.toString()).onStart(proc::set).run(Duration.ofSeconds(120)));
    for (int i = 0; i < 600 && !Files.exists(ready) && !run.isDone(); i++) Thread.sleep(100);
    assertTrue(Files.exists(ready), "the writer committed: " + (run.isDone() ? run.get().stderr() : "still starting"));
    return new RunningWriter(proc.get(), run, file);
  }

  private static void writeAndCrash(Path file) throws Exception { startWriter(file).crash(); }

  private Path knowledgeWithRows() throws Exception {
    Path f = dir.resolve("kodiai-knowledge.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.CURRENT)) {
      exec(c, "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 1), ('acme/api', 2)");
      BenchImportFiles.insertMemory(c, "a/b", 1L, "m", "minor", "style", "accepted",
          BenchImportFiles.unitVector(new java.util.SplittableRandom(2), 1024), false);
    }
    assertFalse(Files.exists(SqliteSource.sibling(f, "-wal")), "closed cleanly: no -wal");
    return f;
  }

  /** The bot stopped when the import opened the file; a writer then crashed mid-import: its -wal must stay, the file
   * unchanged. */
  @Test void aWriterThatCrashesMidImportLeavesTheSourceByteIdentical() throws Exception {
    Path f = knowledgeWithRows();
    byte[] main = Files.readAllBytes(f);
    AtomicReference<List<String>> afterCrash = new AtomicReference<>();
    withDatabase("import_crash1", url -> {
      Migrations.run(url, migrations(), null);
      Importer.testPause = phase -> {
        if (!phase.equals("verify")) return;
        try {
          writeAndCrash(f);
          afterCrash.set(fileState(f));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      Run r = importInto(url, "--knowledge", f.toString());
      assertEquals(0, r.exit(), r.all());
      assertEquals(2, count(url, "SELECT count(*) FROM reviews"), "the snapshot: without the writer's rows");
    });
    assertArrayEquals(main, Files.readAllBytes(f),
        "the main file was not written (no checkpoint of the writer's -wal)");
    assertEquals(afterCrash.get(), fileState(f), "the -wal as the crashed writer left it");
  }

  /** A running writer holds a -wal with committed rows when the import opens the file, and crashes during the import. */
  @Test void aRunningWriterHoldingAWalThatCrashesMidImportLeavesTheSourceByteIdentical() throws Exception {
    Path f = knowledgeWithRows();
    byte[] main = Files.readAllBytes(f);
    RunningWriter writer = startWriter(f); // its -wal holds 200 committed reviews: the import's snapshot sees them
    AtomicReference<List<String>> afterCrash = new AtomicReference<>();
    try {
      withDatabase("import_crash2", url -> {
        Migrations.run(url, migrations(), null);
        Importer.testPause = phase -> {
          if (!phase.equals("verify")) return;
          try {
            writer.crash();
            afterCrash.set(fileState(f));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };
        Run r = importInto(url, "--knowledge", f.toString());
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("verified"), r.out());
        assertEquals(202, count(url, "SELECT count(*) FROM reviews"), "the committed rows of the -wal are read");
        assertEquals(1, count(url, "SELECT count(*) FROM learning_memories"));
      });
    } finally {
      writer.process().destroyForcibly();
    }
    assertArrayEquals(main, Files.readAllBytes(f), "the main file was not written");
    assertEquals(afterCrash.get(), fileState(f), "the -wal as the crashed writer left it");
  }
}
