// Issue 20, item 5 and 6: the bad inputs kodiai's files can hold give one line naming file, table, id
// and column, their documented exit code, and leave the target as it was; all problems (the
// source's and the target's constraints) come in one pass; --dry-run prints the summary and every
// problem; a long list goes whole into --problems FILE; silent changes are counted per column and
// --strict refuses them.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ImportProblemsTest extends ImportFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();
  @TempDir Path dir;
  static Map<String, String> pristine;

  @BeforeAll static void migrate() throws Exception {
    migrateToLatest(db);
    pristine = targetState(db.url());
  }

  @BeforeEach void targetIsPristine() throws Exception { assertEquals(pristine, targetState(db.url())); }

  Run last; // the run refused() saw

  /** Runs the import, expects a failure of `kind` ending it with `exit`, no stack trace, an unchanged target. */
  private <K extends ImportFailure.Kind> K refused(String url, int exit, Class<K> kind, String[] args) throws Exception {
    var before = targetState(url);
    Run r = last = importInto(url, args);
    assertEquals(exit, r.exit(), r.all());
    assertInstanceOf(kind, r.kind(), r.all());
    assertFalse(r.all().contains("\tat ") || r.all().contains("Exception"), "no stack trace, no raw exception: "
        + r.all());
    assertEquals(before, targetState(url), "target unchanged");
    return kind.cast(r.kind());
  }

  /** Refused for problems found before writing: `count` of them; every one of `fragments` is in a problem's line. */
  private ImportFailure.Problems problems(String url, String[] args, long count, String... fragments) throws Exception {
    ImportFailure.Problems p = refused(url, ExitCode.SOURCE_DATA, ImportFailure.Problems.class, args);
    assertEquals(count, p.count(), p.shown().toString());
    for (String f : fragments)
      assertTrue(p.shown().stream().anyMatch(l -> l.contains(f)), "'" + f + "' in a problem: " + p.shown());
    return p;
  }

  private ImportFailure.Problems problems(String[] args, long count, String... fragments) throws Exception {
    return problems(db.url(), args, count, fragments);
  }

  private Path knowledgeWith(String... sql) throws Exception {
    Path f = dir.resolve("k.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.CURRENT)) {
      exec(c, "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 1)");
      exec(c, sql);
    }
    return f;
  }

  private static String[] k(Path f, String... more) {
    return java.util.stream.Stream.concat(java.util.stream.Stream.of("--knowledge", f.toString()),
        java.util.stream.Stream.of(more)).toArray(String[]::new);
  }

  @Test void aTitleTooLongForFullTextSearchNamesItsRow() throws Exception {
    // 3.3 MB of distinct words: more than the 1 MiB of lexemes a tsvector holds
    Path f = knowledgeWith("INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (1, 'f', 'minor', 'style', 1, 'ok')",
        "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) SELECT 1, 'f', 'minor', 'style', 1, group_concat(hex(randomblob(5)), ' ')"
            + " FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) SELECT i FROM n)");
    ImportFailure.Problems p = problems(k(f), 1, f
        + ": table findings, id 2, column title: the target's full-text search cannot index this text");
    assertEquals(0, p.inSource(), "refused by the target schema");
  }

  @Test void duplicateIdsInATableWithoutPrimaryKey() throws Exception {
    Path f = knowledgeWith("CREATE TABLE gp AS SELECT * FROM global_patterns", "DROP TABLE global_patterns",
        "ALTER TABLE gp RENAME TO global_patterns",
        "INSERT INTO global_patterns (id, created_at, severity, category, confidence_band, pattern_fingerprint, count) VALUES"
            + " (1, '2025-01-01 00:00:00', 'major', 'security', 'high', 'fp1', 1), (1, '2025-01-01 00:00:00', 'major', 'security', 'high', 'fp2', 1),"
            + " (2, '2025-01-01 00:00:00', 'major', 'security', 'high', 'fp3', 1)");
    problems(k(f), 1, f + ": table global_patterns, id 1, column id: more than one row has this id");
    assertFalse(last.all().contains("_import_c_"), last.all());
  }

  @Test void aSequenceAtTheEndOfBigint() throws Exception {
    Path f = knowledgeWith("UPDATE sqlite_sequence SET seq = 9223372036854775807 WHERE name = 'reviews'");
    problems(k(f), 1, f
        + ": table reviews (sqlite_sequence), column id: the highest id ever issued is 9223372036854775807");
    assertFalse(last.all().contains("out of range"), last.all());
  }

  @Test void aReadOnlyTargetUserIsToldSoAlsoInADryRun() throws Exception {
    Path f = knowledgeWith();
    String role = "import_ro_" + ProcessHandle.current().pid();
    try (Connection c = DbClient.open(db.url())) {
      exec(c, "CREATE ROLE " + role + " LOGIN PASSWORD 'ro-secret-pw'", "GRANT USAGE ON SCHEMA public TO " + role,
          "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
      String url = db.url().replaceFirst("//[^@/]+@", "//" + role + ":ro-secret-pw@");
      for (String[] args : List.of(k(f, "--dry-run"), k(f))) {
        Run r = importInto(url, args);
        assertEquals(ExitCode.USAGE, r.exit(), r.all());
        var refused = assertInstanceOf(ImportFailure.NotPrivileged.class, r.kind(), r.all());
        assertEquals(role, refused.user());
        assertTrue(refused.missing().get(0).startsWith("INSERT on reviews, findings"), refused.missing().toString());
        assertEquals(1, r.err().lines().filter(l -> !l.isBlank()).count(), "one line: " + r.err());
        assertFalse(r.all().contains("ro-secret-pw") || r.all().contains("permission denied"), r.all());
      }
    } finally {
      try (Connection c = DbClient.open(db.url())) {
        exec(c, "DROP OWNED BY " + role, "DROP ROLE " + role);
      }
    }
    assertEquals(pristine, targetState(db.url()));
  }

  @Test void sourceProblemsAndTheTargetsChecksComeInOnePass() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, created_at) VALUES ('acme/api', 2, 'yesterday')",
        "INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 3, '[\"an array\"]')",
        "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (1, 'f', 'blocker', 'style', 1, 't')");
    ImportFailure.Problems p = problems(k(f), 3, "table reviews, id 2, column created_at: timestamp 'yesterday'",
        "table reviews, id 3: violates reviews's CHECK reviews_config_snapshot_check",
            "table findings, id 1: violates findings's CHECK");
    assertEquals(1, p.inSource(), "1 in the source data, 2 that the target schema refuses");
  }

  @Test void aDryRunPrintsTheSummaryAndEveryProblem() throws Exception {
    Path f = knowledgeWith("INSERT INTO reviews (repo, pr_number, created_at) VALUES ('acme/api', 2, 'yesterday')");
    assertEquals(1, problems(k(f, "--dry-run"), 1, "table reviews, id 2, column created_at").inSource());
    Run r = last;
    assertTrue(r.out().contains("would import") && r.out().matches("(?s).*\\breviews\\s+2\\s+1\\s.*"), "the summary: "
        + r.out());
  }

  @Test void aLongListGoesWholeIntoTheProblemsFile() throws Exception {
    StringBuilder many = new StringBuilder("INSERT INTO reviews (repo, pr_number, created_at) VALUES ");
    for (int i = 0; i < 120; i++) many.append(i == 0 ? "" : ", ").append("('acme/api', ").append(i
        + 2).append(", 'day " + i + "')");
    Path f = knowledgeWith(many.toString());
    ImportFailure.Problems p = problems(k(f), 120);
    assertEquals(50, p.shown().size(), "the first 50 shown");
    assertNull(p.problemsFile());
    assertEquals(50, last.err().lines().filter(l -> l.contains("column created_at")).count(), last.err());
    Path list = dir.resolve("problems.txt");
    assertEquals(list, problems(k(f, "--problems", list.toString()), 120).problemsFile());
    List<String> lines = Files.readAllLines(list);
    assertEquals(120, lines.size());
    assertTrue(lines.get(119).contains("id 121, column created_at: timestamp 'day 119'"), lines.get(119));
  }

  @Test void silentChangesAreCountedPerColumnAndStrictRefusesThem() throws Exception {
    Path k = knowledgeWith("INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 2, '{\"a\": 1, \"a\": 2}'),"
        + " ('acme/api', 3, '{\"n\": 1e2}'), ('acme/api', 4, '{\"n\": 100, \"é\": 1, \"ab\": 2}')");
    Path t = telemetryWithCosts();
    String[] both = {"--knowledge", k.toString(), "--telemetry", t.toString()};
    // since 067 cost_usd is double precision: a REAL arrives bit for bit, only jsonb changes values
    ImportFailure.Problems strict = problems(concat(both, "--strict"), 2,
        "table reviews, id 2, column config_snapshot: jsonb changes it: the key \"a\" appears twice",
        "id 3, column config_snapshot: jsonb changes it: the number 1e2 is stored as 100");
    assertEquals(2, strict.inSource(), "in the source data");
    String shown = strict.shown().toString();
    assertFalse(shown.contains("id 4,") || shown.contains("cost_usd"), shown);
    Run r = importInto(db.url(), concat(both, "--dry-run"));
    assertEquals(0, r.exit(), r.all());
    assertTrue(r.out().contains("column config_snapshot: 2 values normalised by jsonb"), r.out());
    assertFalse(r.out().contains("rounded"), r.out());
  }

  /** On a database before 067 (cost_usd numeric(18,10)), the rounding is counted and --strict refuses it. */
  @Test void costsRoundedToNumericBefore067AreCountedAndStrictRefusesThem() throws Exception {
    String name = FreshDatabase.create("before067");
    String url = FreshDatabase.urlFor(name);
    try {
      Migrations.run(url, null, 66);
      costsRoundedBefore067(url);
    } finally {
      FreshDatabase.drop(name);
    }
  }

  private void costsRoundedBefore067(String url) throws Exception {
    String[] t = {"--telemetry", telemetryWithCosts().toString()};
    assertEquals(2, problems(url, concat(t, "--strict"), 2,
        "table executions, id 1, column cost_usd: the REAL 4.0E-11 would be stored as 0.0000000000",
        "id 3, column cost_usd: the REAL 0.30000000000000004").inSource(), "in the source data");
    Run r = importInto(url, concat(t, "--dry-run"));
    assertEquals(0, r.exit(), r.all());
    assertTrue(r.out().contains("column cost_usd: 2 values rounded to numeric(18,10) (--strict refuses)"), r.out());
  }

  private Path telemetryWithCosts() throws Exception {
    Path t = dir.resolve("t.db");
    Files.deleteIfExists(t);
    try (Connection c = BenchImportFiles.telemetry(t, BenchImportFiles.Shape.CURRENT)) {
      exec(c, "INSERT INTO executions (repo, event_type, model, conclusion, cost_usd) VALUES"
          + " ('a', 'e', 'm', 'ok', 4e-11), ('a', 'e', 'm', 'ok', 0.25), ('a', 'e', 'm', 'ok', 0.1 + 0.2)");
    }
    return t;
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A WAL-mode file in a folder SQLite cannot create the -shm in: a local problem (8), not source data. */
  @Test void aWalFileInAFolderThatIsNotWritable() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("readonly"));
    Path f = folder.resolve("kodiai-knowledge.db");
    try (Connection c = BenchImportFiles.knowledge(f, BenchImportFiles.Shape.CURRENT)) {
      exec(c, "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 1)");
    }
    refusedInAFolderNotWritable(folder, f);
    ImportConcurrencyTest.startWriter(f).crash(); // a crashed writer's -wal, and no -shm: SQLite must create it
    Files.delete(SqliteSource.sibling(f, "-shm"));
    refusedInAFolderNotWritable(folder, f);
  }

  private void refusedInAFolderNotWritable(Path folder, Path f) throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    // root writes anywhere a mode allows nothing; the immutable attribute holds it back too
    String why;
    try {
      ChildProcess.Result locked = ChildProcess.of(root ? List.of("chattr", "+i", folder.toString())
          : List.of("chmod", "a-w", folder.toString())).run(java.time.Duration.ofSeconds(10));
      why = locked.exitCode() == 0 ? null : locked.stderr();
    } catch (RuntimeException e) { // chattr missing
      why = e.getMessage();
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(why == null, "cannot make the folder read-only here: " + why);
    try {
      var e = refused(db.url(), ExitCode.LOCAL_ERROR, ImportFailure.SqliteError.class, k(f));
      assertEquals(f, e.file());
      assertTrue(e.code() == 8 || e.code() == 14, "SQLITE_READONLY or SQLITE_CANTOPEN: " + e);
    } finally {
      ChildProcess.of(root ? List.of("chattr", "-i", folder.toString()) : List.of("chmod", "u+w", folder.toString()))
          .run(java.time.Duration.ofSeconds(10));
    }
  }
}
