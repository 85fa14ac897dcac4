// Issue 10, item 9: each bad input gives one clear line naming file (and table, id, column
// where there is one), its documented exit code, and leaves the target exactly as it was.
// The tests assert the failure's kind (importer/ImportFailure.java) and a key value; a few check
// the line cli/ renders from it (notASqliteFile, the timestamps, a problem count).

import static org.junit.jupiter.api.Assertions.*;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
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
  Run last; // the run refused() saw

  @BeforeAll static void migrate() throws Exception {
    migrateToLatest(db);
    pristine = targetState(db.url());
  }

  @BeforeEach void targetIsPristine() throws Exception { assertEquals(pristine, targetState(db.url())); }

  /** Runs the import, expects a failure of `kind` ending it with `exit`, no stack trace, an unchanged target. */
  private <K extends ImportFailure.Kind> K refused(int exit, Class<K> kind, String[] args) throws Exception {
    Run r = last = importInto(db.url(), args);
    assertEquals(exit, r.exit(), r.all());
    assertInstanceOf(kind, r.kind(), r.all());
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
    assertEquals(pristine, targetState(db.url()), "target unchanged");
    return kind.cast(r.kind());
  }

  /** Refused for problems found before writing: `count` of them; every one of `fragments` is in a problem's line. */
  private ImportFailure.Problems problems(String[] args, long count, String... fragments) throws Exception {
    ImportFailure.Problems p = refused(ExitCode.SOURCE_DATA, ImportFailure.Problems.class, args);
    assertEquals(count, p.count(), p.shown().toString());
    for (String f : fragments)
      assertTrue(p.shown().stream().anyMatch(l -> l.contains(f)), "'" + f + "' in a problem: " + p.shown());
    return p;
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
    assertEquals(f, refused(ExitCode.SOURCE_DATA, ImportFailure.NoSqliteHeader.class, k(f)).file());
    // the line cli/ renders from the kind, as docs/import.md quotes it
    assertEquals("import: error: --knowledge " + f + ": not a SQLite database (no SQLite header; an encrypted file,"
        + " e.g. SQLCipher, looks like this: decrypt it first)\n", last.err());
  }

  @Test void anEncryptedFile() throws Exception {
    Path f = dir.resolve("encrypted.db"); // SQLCipher: no plain header, random-looking pages
    byte[] b = new byte[8192];
    new SplittableRandom(1).nextBytes(b);
    Files.write(f, b);
    assertEquals(f, refused(ExitCode.SOURCE_DATA, ImportFailure.NoSqliteHeader.class, k(f)).file());
  }

  @Test void anEmptyFile() throws Exception {
    Path f = dir.resolve("empty.db");
    Files.write(f, new byte[0]);
    assertEquals(f, refused(ExitCode.SOURCE_DATA, ImportFailure.EmptyFile.class, k(f)).file());
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
    assertEquals(f, refused(ExitCode.SOURCE_DATA, ImportFailure.Corrupt.class, k(f)).file());
  }

  @Test void theTelemetryFileGivenAsKnowledge() throws Exception {
    Path t = emptyTelemetry(dir, "kodiai-telemetry.db", BenchImportFiles.Shape.CURRENT);
    assertEquals(new ImportFailure.WrongFile(TableMap.FileKind.KNOWLEDGE, t, TableMap.FileKind.TELEMETRY),
        refused(ExitCode.SOURCE_DATA, ImportFailure.WrongFile.class, k(t)));
    Path kf = emptyKnowledge(dir, "kodiai-knowledge.db", BenchImportFiles.Shape.CURRENT);
    assertEquals(TableMap.FileKind.KNOWLEDGE, refused(ExitCode.SOURCE_DATA, ImportFailure.WrongFile.class,
        new String[] {"--telemetry", kf.toString()}).found());
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
      var locked = refused(ExitCode.LOCK_TIMEOUT, ImportFailure.Locked.class,
          new String[] {"--knowledge", f.toString(), "--lock-timeout", "1"});
      assertEquals(new ImportFailure.Locked(TableMap.FileKind.KNOWLEDGE, f, 1), locked);
      assertTrue((System.nanoTime() - t0) / 1e9 >= 0.9, "waited for the lock: " + last.err());
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
      assertEquals(new ImportFailure.NotMigrated(0, TableMap.REQUIRED_VERSION), r.kind(), r.all());
      Migrations.run(url, migrations(), 3);
      r = importInto(url, k(f));
      assertEquals(ExitCode.TARGET_NOT_READY, r.exit(), r.all());
      assertEquals(new ImportFailure.NotMigrated(3, TableMap.REQUIRED_VERSION), r.kind(), r.all());
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
    assertEquals(new ImportFailure.NoVec0Table(TableMap.FileKind.KNOWLEDGE, f, "learning_memory_vec"),
        refused(ExitCode.SOURCE_DATA, ImportFailure.NoVec0Table.class, k(f)));
  }

  @Test void invalidJsonNamesFileTableIdAndColumn() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 2, '{\"a\": 1,}')");
    problems(k(f), 1, f + ": table reviews, id 2, column config_snapshot: invalid JSON");
  }

  @Test void jsonThatJsonbCannotHold() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 2, '{\"a\": \"\\u0000\"}')",
        "INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 3, '[\"\\ud800\"]')");
    problems(k(f), 2, "id 2, column config_snapshot", "\\u0000", "id 3, column config_snapshot", "surrogate");
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
    ImportFailure.Problems p = problems(k(f), 6,
        "table reviews, id 2, column created_at: timestamp '2024-02-30 10:00:00' is not a date",
        "id 3, column created_at: timestamp '2024-05-01T10:00:00' is not 'YYYY-MM-DD HH:MM:SS[.ffffff]' nor 'YYYY-MM-DDTHH:MM:SS[.ffffff]Z' (UTC)",
        "id 4, column created_at: timestamp '2024-05-01 10:00:00+02:00' is not", "id 5, column created_at: timestamp"
            + " '2024-05-01 10:00:00.1234567' is finer than a microsecond",
            "id 6, column created_at: timestamp '2024-05-01 10:00:00.' is not",
        "table feedback_reactions, id 1, column reacted_at: timestamp '2025-12-05T09:02:18+01:00' is not");
    assertFalse(p.shown().toString().contains("id 7"), p.shown().toString());
    // the lines cli/ renders from the kind: each problem, then the count
    assertTrue(last.err().contains("\nimport: error: " + f + ": table reviews, id 2, column created_at: timestamp"),
        last.err());
    assertTrue(last.err().endsWith("\nimport: error: 6 problems in the source data; nothing was written\n"), last.err());
  }

  @Test void aVectorWithNaNNamesTheMemory() throws Exception {
    Path f = knowledgeWith();
    try (Connection c = BenchImportFiles.open(f)) {
      float[] v = BenchImportFiles.unitVector(new SplittableRandom(3), 1024);
      BenchImportFiles.insertMemory(c, "a/b", 1L, "ok", "minor", "style", "accepted", v, false);
      v[17] = Float.NaN;
      BenchImportFiles.insertMemory(c, "a/b", 2L, "nan", "minor", "style", "accepted", v, false);
    }
    problems(k(f), 1, "table learning_memory_vec, memory_id 2, column embedding: embedding element 17 is NaN");
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
    ImportFailure.Problems p = problems(k(f), 2,
        f + ": table learning_memories, id 2, column embedding: embedding element 2 is 3.4028235E38, beyond"
            + " the range of halfvec",
        "migration 007", "id 3, column embedding: embedding element 9 is -65520.0");
    assertEquals(2, p.inSource(), "found in the source data");
    assertFalse(p.shown().toString().contains("id 1,"), p.shown().toString());
  }

  @Test void jsonOfTheWrongShapeIsAProblemBeforeWriting() throws Exception { // 004's jsonb shape CHECKs
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 2, '[\"not\", \"an object\"]')",
        "INSERT INTO dep_bump_merge_history (repo, pr_number, signals_json, merge_confidence_rationale_json) VALUES ('acme/api', 3, '{\"ci\": true}', '[\"ok\"]')",
        "INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data) VALUES ('rok', 'acme/api', 3, '\"{}\"')");
    ImportFailure.Problems p = problems(k(f), 3, "table reviews, id 2: violates reviews's CHECK reviews_config_snapshot_check",
        "table dep_bump_merge_history, id 1: violates dep_bump_merge_history's CHECK dep_bump_merge_history_signals_json_check",
        "table review_checkpoints, id 1: violates review_checkpoints's CHECK review_checkpoints_checkpoint_data_check");
    assertEquals(0, p.inSource(), "all refused by the target schema");
    Run r = last;
    assertTrue(r.err().contains("reviews: the target refused a row of the direct COPY") && r.err().contains("read reviews"), "the direct COPY was refused, then staged to name every row: " + r.err());
  }

  @Test void vectorsOfTheWrongDimension() throws Exception {
    Path f = dir.resolve("dim.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.FAIL_OPEN)) {
      exec(c, BenchImportFiles.LEARNING.get(0), BenchImportFiles.LEARNING.get(4).replace("float[1024]", "float[768]"));
    }
    var dims = refused(ExitCode.SOURCE_DATA, ImportFailure.Vec0Dimensions.class, k(f));
    assertEquals(List.of(768, 1024), List.of(dims.dims(), dims.targetDims()));
  }

  @Test void anEmbeddingDimThatDisagreesWithItsVectorIsAProblemBeforeWriting() throws Exception {
    Path f = knowledgeWith();
    try (Connection c = BenchImportFiles.open(f)) {
      BenchImportFiles.insertMemory(c, "a/b", 1L, "ok", "minor", "style", "accepted", BenchImportFiles.unitVector(new SplittableRandom(3), 1024), false);
      exec(c, "UPDATE learning_memories SET embedding_dim = 512 WHERE id = 1", "UPDATE learning_memories SET severity = 'blocker'");
    }
    ImportFailure.Problems p = problems(k(f), 2,
        "table learning_memories, id 1: violates learning_memories's CHECK learning_memories_embedding_dim_check",
        "learning_memories_severity_check");
    assertEquals(0, p.inSource(), "refused by the target schema");
  }

  @Test void textPostgresCannotStore() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, model) VALUES ('acme/api', 2, 'a' || char(0) || 'b')",
        "INSERT INTO reviews (repo, pr_number, model) VALUES ('acme/api', 3, CAST(x'c328' AS TEXT))",
        "INSERT INTO reviews (repo, pr_number, duration_ms) VALUES ('acme/api', 4, 4294967296)",
        "INSERT INTO reviews (repo, pr_number, files_analyzed) VALUES ('acme/api', 5, 'many')");
    problems(k(f), 4, "id 2, column model: text holds U+0000", "id 3, column model: text is not valid UTF-8",
        "id 4, column duration_ms: 4294967296 is out of range for integer", "id 5, column files_analyzed: integer expected, found text 'many'");
  }

  // reviews.id is integer since migration 068 (kodiai's stock driver must get it as a number): an id
  // of the source beyond 2^31-1 is a problem before anything is written, never a truncated key.
  @Test void aReviewIdBeyondIntegerIsRefused() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (id, repo, pr_number) VALUES (2147483648, 'acme/api', 6)");
    problems(k(f), 2, "id 2147483648, column id: 2147483648 is out of range for integer"); // and sqlite_sequence
  }

  @Test void anUnknownColumnIsReportedNotDropped() throws Exception {
    Path f = knowledgeWith("ALTER TABLE reviews ADD COLUMN reviewer_mood TEXT", "UPDATE reviews SET reviewer_mood = 'happy'");
    problems(k(f), 1, "table reviews, column reviewer_mood", "--skip-unknown-columns");
    Run r = importInto(db.url(), "--knowledge", f.toString(), "--skip-unknown-columns", "--dry-run");
    assertEquals(0, r.exit(), r.all());
    assertTrue(r.out().contains("column reviewer_mood not imported"), r.out());
    assertEquals(pristine, targetState(db.url()), "a dry run writes nothing");
  }

  @Test void aMissingFileIsAUsageError() throws Exception {
    Path nope = dir.resolve("nope.db");
    assertEquals(new ImportFailure.NoSuchFile(TableMap.FileKind.KNOWLEDGE, nope),
        refused(ExitCode.USAGE, ImportFailure.NoSuchFile.class, new String[] {"--knowledge", nope.toString()}));
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
    problems(new String[] {"--knowledge", f.toString(), "--dry-run"}, 2, "id 2, column config_snapshot",
        "id 3, column created_at");
    Run r = last;
    assertTrue(r.err().lines().noneMatch(l -> l.contains("Exception")), r.err());
  }
}
