// Issue 10, item 9: each bad input gives one clear line naming file (and table, id, column
// where there is one), its documented exit code, and leaves the target exactly as it was.

import static org.junit.jupiter.api.Assertions.*;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

class ImportBadInputTest extends ImportFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();
  @TempDir Path dir;
  static Map<String, String> pristine;

  @BeforeAll static void migrate() throws Exception {
    migrateToLatest(db);
    pristine = targetState(db.url());
  }

  @BeforeEach void targetIsPristine() throws Exception { assertEquals(pristine, targetState(db.url())); }

  /** Runs the import, expects `exit` and a message containing every `words`, and an unchanged target. */
  private Run refused(int exit, String[] args, String... words) throws Exception {
    Run r = importInto(db.url(), args);
    assertEquals(exit, r.exit(), r.all());
    for (String w : words) assertTrue(r.err().contains(w), "'" + w + "' in: " + r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
    assertEquals(pristine, targetState(db.url()), "target unchanged");
    return r;
  }

  private Path knowledgeWith(String... sql) throws Exception {
    Path f = dir.resolve("k.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.CURRENT)) {
      exec(c, "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 1)");
      exec(c, sql);
    }
    return f;
  }

  private static String[] k(Path f) { return new String[] {"--knowledge", f.toString()}; }

  @Test void notASqliteFile() throws Exception {
    Path f = dir.resolve("notes.db");
    Files.writeString(f, "just some text, not a database\n".repeat(20));
    refused(ExitCode.SOURCE_DATA, k(f), f.toString(), "not a SQLite database");
  }

  @Test void anEncryptedFile() throws Exception {
    Path f = dir.resolve("encrypted.db"); // SQLCipher: no plain header, random-looking pages
    byte[] b = new byte[8192];
    new SplittableRandom(1).nextBytes(b);
    Files.write(f, b);
    refused(ExitCode.SOURCE_DATA, k(f), "not a SQLite database", "encrypted");
  }

  @Test void anEmptyFile() throws Exception {
    Path f = dir.resolve("empty.db");
    Files.write(f, new byte[0]);
    refused(ExitCode.SOURCE_DATA, k(f), "empty");
  }

  @Test void aCorruptFile() throws Exception {
    Path f = knowledgeWith("INSERT INTO findings (review_id, file_path, severity, category, confidence, title) SELECT 1, 'f', 'minor', 'style', 1, hex(randomblob(400)) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) SELECT i FROM n)");
    try (Connection c = BenchImportFiles.open(f); Statement st = c.createStatement()) { st.execute("PRAGMA wal_checkpoint(TRUNCATE)"); }
    long size = Files.size(f);
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) { // damage pages in the middle, keep the header
      raf.seek(size / 2);
      byte[] junk = new byte[16384];
      new SplittableRandom(2).nextBytes(junk);
      raf.write(junk);
    }
    refused(ExitCode.SOURCE_DATA, k(f), f.toString(), "corrupt");
  }

  @Test void theTelemetryFileGivenAsKnowledge() throws Exception {
    Path t = emptyTelemetry(dir, "kodiai-telemetry.db", BenchImportFiles.Shape.CURRENT);
    refused(ExitCode.SOURCE_DATA, k(t), "--knowledge " + t, "telemetry file", "pass it as --telemetry");
    Path kf = emptyKnowledge(dir, "kodiai-knowledge.db", BenchImportFiles.Shape.CURRENT);
    refused(ExitCode.SOURCE_DATA, new String[] {"--telemetry", kf.toString()}, "knowledge file", "pass it as --knowledge");
  }

  @Test void aFileLockedByAWriterPastTheTimeout() throws Exception {
    Path f = dir.resolve("locked.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.CURRENT); Statement st = c.createStatement()) {
      st.execute("PRAGMA journal_mode = DELETE"); // rollback journal: a writer's exclusive lock keeps readers out
    }
    SQLiteConfig cfg = new SQLiteConfig();
    try (Connection writer = cfg.createConnection("jdbc:sqlite:" + f); Statement st = writer.createStatement()) {
      st.execute("BEGIN EXCLUSIVE");
      st.execute("INSERT INTO reviews (repo, pr_number) VALUES ('w', 1)");
      long t0 = System.nanoTime();
      Run r = refused(ExitCode.LOCK_TIMEOUT, new String[] {"--knowledge", f.toString(), "--lock-timeout", "1"}, f.toString(), "locked by a writer", "--lock-timeout");
      assertTrue((System.nanoTime() - t0) / 1e9 >= 0.9, "waited for the lock: " + r.err());
      st.execute("ROLLBACK");
    }
  }

  @Test void aTargetThatIsNotMigrated() throws Exception {
    Path f = knowledgeWith();
    String other = FreshDatabase.create("notmigrated");
    try {
      String url = FreshDatabase.urlFor(other);
      Run r = importInto(url, k(f));
      assertEquals(ExitCode.TARGET_NOT_READY, r.exit(), r.all());
      assertTrue(r.err().contains("migrate@kodiai up"), r.err());
      Migrations.run(url, migrations(), 3);
      r = importInto(url, k(f));
      assertEquals(ExitCode.TARGET_NOT_READY, r.exit(), r.all());
      assertTrue(r.err().contains("at migration 3") && r.err().contains("005"), r.err());
      assertEquals(0, count(url, "SELECT count(*) FROM reviews"));
    } finally {
      FreshDatabase.drop(other);
    }
  }

  @Test void aMissingVec0Table() throws Exception {
    Path f = dir.resolve("novec.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.FAIL_OPEN)) {
      exec(c, BenchImportFiles.LEARNING.get(0)); // learning_memories without its vec0 table
      exec(c, "INSERT INTO learning_memories (repo, owner, source_repo, finding_text, severity, category, file_path, outcome, embedding_model, embedding_dim)"
          + " VALUES ('a/b', 'a', 'a/b', 't', 'minor', 'style', 'f', 'accepted', 'm', 1024)");
    }
    refused(ExitCode.SOURCE_DATA, k(f), f.toString(), "learning_memory_vec", "sqlite-vec");
  }

  @Test void invalidJsonNamesFileTableIdAndColumn() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 2, '{\"a\": 1,}')");
    refused(ExitCode.SOURCE_DATA, k(f), f + ": table reviews, id 2, column config_snapshot: invalid JSON", "nothing was written");
  }

  @Test void jsonThatJsonbCannotHold() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 2, '{\"a\": \"\\u0000\"}')",
        "INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 3, '[\"\\ud800\"]')");
    refused(ExitCode.SOURCE_DATA, k(f), "id 2, column config_snapshot", "\\u0000", "id 3, column config_snapshot", "surrogate", "2 problems");
  }

  @Test void aTimestampThatDoesNotParse() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, created_at) VALUES ('acme/api', 2, '2024-02-30 10:00:00')",
        "INSERT INTO reviews (repo, pr_number, created_at) VALUES ('acme/api', 3, '2024-05-01T10:00:00')",
        "INSERT INTO reviews (repo, pr_number, created_at) VALUES ('acme/api', 4, '2024-05-01 10:00:00+02:00')",
        "INSERT INTO reviews (repo, pr_number, created_at) VALUES ('acme/api', 5, '2024-05-01 10:00:00.1234567')",
        "INSERT INTO reviews (repo, pr_number, created_at) VALUES ('acme/api', 6, '2024-05-01 10:00:00.')",
        "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 7)", // fine: not reported
        "INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id, reaction_content,"
            + " reactor_login, reacted_at, severity, category, file_path, title) VALUES ('acme/api', 1, 1, 1, 'inline', 1, '+1', 'u',"
            + " '2025-12-05T09:02:18+01:00', 'minor', 'style', 'f', 't')");
    Run r = refused(ExitCode.SOURCE_DATA, k(f),
        "table reviews, id 2, column created_at: timestamp '2024-02-30 10:00:00' is not a date",
        "id 3, column created_at: timestamp '2024-05-01T10:00:00' is not 'YYYY-MM-DD HH:MM:SS[.ffffff]' nor 'YYYY-MM-DDTHH:MM:SS[.ffffff]Z' (UTC)",
        "id 4, column created_at: timestamp '2024-05-01 10:00:00+02:00' is not", "id 5, column created_at: timestamp"
            + " '2024-05-01 10:00:00.1234567' is finer than a microsecond",
            "id 6, column created_at: timestamp '2024-05-01 10:00:00.' is not",
        "table feedback_reactions, id 1, column reacted_at: timestamp '2025-12-05T09:02:18+01:00' is not");
    assertFalse(r.err().contains("id 7"), r.err());
  }

  @Test void aVectorWithNaNNamesTheMemory() throws Exception {
    Path f = knowledgeWith();
    try (Connection c = BenchImportFiles.open(f)) {
      float[] v = BenchImportFiles.unitVector(new SplittableRandom(3), 1024);
      BenchImportFiles.insertMemory(c, "a/b", 1L, "ok", "minor", "style", "accepted", v, false);
      v[17] = Float.NaN;
      BenchImportFiles.insertMemory(c, "a/b", 2L, "nan", "minor", "style", "accepted", v, false);
    }
    refused(ExitCode.SOURCE_DATA, k(f), "table learning_memory_vec, memory_id 2, column embedding: embedding element 17 is NaN");
  }

  // embedding is halfvec(1024) since 007
  @Test void aVectorBeyondHalfvecRangeIsAProblemBeforeWriting() throws Exception {
    Path f = knowledgeWith();
    try (Connection c = BenchImportFiles.open(f)) {
      float[] v = BenchImportFiles.unitVector(new SplittableRandom(3), 1024);
      BenchImportFiles.insertMemory(c, "a/b", 1L, "ok", "minor", "style", "accepted", v, false);
      v[2] = Float.MAX_VALUE;
      BenchImportFiles.insertMemory(c, "a/b", 2L, "flt_max", "minor", "style", "accepted", v, false);
      v[2] = 0.5f;
      v[9] = -65520f; // the first float that rounds to an infinite half
      BenchImportFiles.insertMemory(c, "a/b", 3L, "just beyond", "minor", "style", "accepted", v, false);
    }
    Run r = refused(ExitCode.SOURCE_DATA, k(f),
        f + ": table learning_memories, id 2, column embedding: embedding element 2 is 3.4028235E38, beyond"
            + " the range of halfvec",
        "migration 007", "id 3, column embedding: embedding element 9 is -65520.0",
            "2 problems in the source data; nothing was written");
    assertFalse(r.err().contains("id 1,"), r.err());
  }

  @Test void jsonOfTheWrongShapeIsAProblemBeforeWriting() throws Exception { // 004's jsonb shape CHECKs
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 2, '[\"not\", \"an object\"]')",
        "INSERT INTO dep_bump_merge_history (repo, pr_number, signals_json, merge_confidence_rationale_json) VALUES ('acme/api', 3, '{\"ci\": true}', '[\"ok\"]')",
        "INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data) VALUES ('rok', 'acme/api', 3, '\"{}\"')");
    Run r = refused(ExitCode.SOURCE_DATA, k(f), "table reviews, id 2: violates reviews's CHECK reviews_config_snapshot_check",
        "table dep_bump_merge_history, id 1: violates dep_bump_merge_history's CHECK dep_bump_merge_history_signals_json_check",
        "table review_checkpoints, id 1: violates review_checkpoints's CHECK review_checkpoints_checkpoint_data_check",
        "3 problems that the target schema refuses; nothing was written");
    assertTrue(r.err().contains("reviews: the target refused a row of the direct COPY") && r.err().contains("read reviews"), "the direct COPY was refused, then staged to name every row: " + r.err());
  }

  @Test void vectorsOfTheWrongDimension() throws Exception {
    Path f = dir.resolve("dim.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.FAIL_OPEN)) {
      exec(c, BenchImportFiles.LEARNING.get(0), BenchImportFiles.LEARNING.get(4).replace("float[1024]", "float[768]"));
    }
    refused(ExitCode.SOURCE_DATA, k(f), "768-dimension vectors", "1024");
  }

  @Test void anEmbeddingDimThatDisagreesWithItsVectorIsAProblemBeforeWriting() throws Exception {
    Path f = knowledgeWith();
    try (Connection c = BenchImportFiles.open(f)) {
      BenchImportFiles.insertMemory(c, "a/b", 1L, "ok", "minor", "style", "accepted", BenchImportFiles.unitVector(new SplittableRandom(3), 1024), false);
      exec(c, "UPDATE learning_memories SET embedding_dim = 512 WHERE id = 1", "UPDATE learning_memories SET severity = 'blocker'");
    }
    refused(ExitCode.SOURCE_DATA, k(f), "table learning_memories, id 1: violates learning_memories's CHECK learning_memories_embedding_dim_check",
        "learning_memories_severity_check", "that the target schema refuses");
  }

  @Test void textPostgresCannotStore() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, model) VALUES ('acme/api', 2, 'a' || char(0) || 'b')",
        "INSERT INTO reviews (repo, pr_number, model) VALUES ('acme/api', 3, CAST(x'c328' AS TEXT))",
        "INSERT INTO reviews (repo, pr_number, duration_ms) VALUES ('acme/api', 4, 4294967296)",
        "INSERT INTO reviews (repo, pr_number, files_analyzed) VALUES ('acme/api', 5, 'many')");
    refused(ExitCode.SOURCE_DATA, k(f), "id 2, column model: text holds U+0000", "id 3, column model: text is not valid UTF-8",
        "id 4, column duration_ms: 4294967296 is out of range for integer", "id 5, column files_analyzed: integer expected, found text 'many'");
  }

  // reviews.id is integer since migration 068 (kodiai's stock driver must get it as a number): an id
  // of the source beyond 2^31-1 is a problem before anything is written, never a truncated key.
  @Test void aReviewIdBeyondIntegerIsRefused() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (id, repo, pr_number) VALUES (2147483648, 'acme/api', 6)");
    refused(ExitCode.SOURCE_DATA, k(f), "id 2147483648, column id: 2147483648 is out of range for integer");
  }

  @Test void anUnknownColumnIsReportedNotDropped() throws Exception {
    Path f = knowledgeWith("ALTER TABLE reviews ADD COLUMN reviewer_mood TEXT", "UPDATE reviews SET reviewer_mood = 'happy'");
    refused(ExitCode.SOURCE_DATA, k(f), "table reviews, column reviewer_mood", "--skip-unknown-columns");
    Run r = importInto(db.url(), "--knowledge", f.toString(), "--skip-unknown-columns", "--dry-run");
    assertEquals(0, r.exit(), r.all());
    assertTrue(r.out().contains("column reviewer_mood not imported"), r.out());
    assertEquals(pristine, targetState(db.url()), "a dry run writes nothing");
  }

  @Test void aMissingFileIsAUsageError() throws Exception {
    refused(ExitCode.USAGE, new String[] {"--knowledge", dir.resolve("nope.db").toString()}, "no such file");
  }

  @Test void anUnreachableDatabase() throws Exception {
    Path f = knowledgeWith();
    Run r = importInto("postgresql://kodiai:secret-pw@127.0.0.1:1/kodiai", k(f));
    assertEquals(ExitCode.CANNOT_CONNECT, r.exit(), r.all());
    assertFalse(r.all().contains("secret-pw"), r.all());
  }

  @Test void aDryRunReportsEveryProblemAndWritesNothing() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 2, 'nope')",
        "INSERT INTO reviews (repo, pr_number, created_at) VALUES ('acme/api', 3, 'yesterday')");
    Run r = refused(ExitCode.SOURCE_DATA, new String[] {"--knowledge", f.toString(), "--dry-run"}, "id 2, column config_snapshot", "id 3, column created_at", "2 problems");
    assertTrue(r.err().lines().noneMatch(l -> l.contains("Exception")), r.err());
  }
}
