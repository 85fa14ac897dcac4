// Issue 21, without a database: the `-- kodiai:` headers of our migrations, the from-kodiai
// conversions' names and transaction rules, the recognition line's ranges, and kodiai-drift
// (its logic, and the command in-process) over tests/migration/kodiai-runner/.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Fast
class KodiaiFilesTest {
  static final Path FIXTURES = MigrationSource.checkoutRoot().resolve("tests/migration/kodiai-runner");

  @TempDir Path tmp;

  static Map<String, String> files(String... nameThenContent) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i < nameThenContent.length; i += 2) m.put(nameThenContent[i], nameThenContent[i + 1]);
    return m;
  }

  static MigrationException refused(Map<String, String> files) {
    return assertThrows(MigrationException.class, () -> MigrationSource.fromFiles("test", files));
  }

  @Test void headersAmongTheLeadingCommentsDeclareKodiaiFiles() {
    var s = MigrationSource.fromFiles("t", files("001-a.sql", "-- a\n-- kodiai: 004-webhook-queue.sql 1a2b3c4d5e6f\n"
        + "--   kodiai:   030-reserved.sql   0123456789ab  \n\nSELECT 1;\n-- kodiai: 005-later.sql 0123456789ab\n"));
    assertEquals(List.of(new KodiaiFiles.Declared("004-webhook-queue.sql", "1a2b3c4d5e6f"),
        new KodiaiFiles.Declared("030-reserved.sql", "0123456789ab")), s.migrations.get(0).kodiai(),
        "the line after the first statement is no header");
    assertEquals(List.of(), MigrationSource.fromFiles("t", files("001-a.sql", "SELECT"
        + " 1;\n")).migrations.get(0).kodiai());
  }

  @Test void aMalformedHeaderIsRefusedNamingOurFile() {
    for (String bad : List.of("-- kodiai: 004-webhook-queue.sql", "-- kodiai: 004-webhook-queue.sql 1A2B3C4D5E6F",
        "-- kodiai: 004-webhook-queue.sql 1a2b3c", "-- kodiai: 004-webhook-queue.down.sql 1a2b3c4d5e6f",
        "-- kodiai: webhook-queue.sql 1a2b3c4d5e6f", "-- kodiai:")) {
      var e = refused(files("007-x.sql", bad + "\nSELECT 1;\n"));
      assertEquals(ExitCode.VALIDATION, e.exitCode, bad);
      assertTrue(e.getMessage().contains("007-x.sql: malformed header '" + bad.strip() + "'"), e.getMessage());
    }
  }

  @Test void aKodiaiFileIsDeclaredOnceInAFileAndByOneMigration() {
    var twice = refused(files("001-a.sql", "-- kodiai: 004-q.sql 1a2b3c4d5e6f\n-- kodiai: 004-q.sql 1a2b3c4d5e6f\n"));
    assertTrue(twice.getMessage().contains("001-a.sql: declares 004-q.sql twice"), twice.getMessage());
    var two = refused(files("001-a.sql", "-- kodiai: 004-q.sql 1a2b3c4d5e6f\n",
        "002-b.sql", "-- kodiai: 004-q.sql 1a2b3c4d5e6f\n"));
    assertTrue(two.getMessage().contains("002-b.sql: declares kodiai's 004-q.sql, which 001-a.sql declares too"),
        two.getMessage());
  }

  @Test void conversionsAreNamedAsKodiaiFilesAndKeepTheTransaction() {
    var s = MigrationSource.fromFiles("t", files("001-a.sql", "SELECT 1;"),
        files("004-q.sql", "ALTER TABLE q ADD c int;"));
    assertEquals("ALTER TABLE q ADD c int;", s.fromKodiai.get("004-q.sql"));
    var name = assertThrows(MigrationException.class, () -> MigrationSource.fromFiles("t",
        files(), files("q.sql", "SELECT 1;")));
    assertTrue(name.getMessage().contains("from-kodiai/q.sql: name is not a kodiai migration file's"),
        name.getMessage());
    var commit = assertThrows(MigrationException.class,
        () -> MigrationSource.fromFiles("t", files(), files("004-q.sql", "SELECT 1;\nCOMMIT;")));
    assertTrue(commit.getMessage().contains("from-kodiai/004-q.sql line 2: 'COMMIT' would end the transaction"),
        commit.getMessage());
    MigrationSource.fromFiles("t", files(), files("004-q.sql", "-- migrate:no-transaction\nVACUUM;\nCOMMIT;"));
  }

  @Test void aConversionIsRecordedUnderItsMigrationWithAPrefixedChecksum() {
    var m = MigrationSource.fromFiles("t", files("002-queue.sql", "-- kodiai: 004-q.sql 1a2b3c4d5e6f\nCREATE TABLE q"
        + " ();"))
        .migrations.get(0);
    var c = m.converted(List.of("004-q.sql"), "ALTER TABLE q ADD c int;");
    assertEquals("002-queue.sql", c.fileName());
    assertEquals("from-kodiai:" + MigrationSource.checksum("ALTER TABLE q ADD c int;"), c.checksum());
    assertEquals("from-kodiai/004-q.sql (for 002-queue.sql)", c.runsFile());
    assertTrue(c.transactional());
    assertFalse(m.converted(List.of("004-q.sql"), "-- migrate:no-transaction\nVACUUM;").transactional());
  }

  @Test void rangesCompressFileNumbers() {
    List<String> all = new java.util.ArrayList<>();
    for (int i = 1; i <= 54; i++) all.add(String.format("%03d-f.sql", i));
    all.add("038-again.sql");
    assertEquals("001-054", KodiaiFiles.ranges(all));
    assertEquals("001-003, 005, 007-008", KodiaiFiles.ranges(List.of("008-h.sql", "001-a.sql", "002-b.sql", "003-c.sql",
        "005-e.sql", "007-g.sql")));
    assertEquals("", KodiaiFiles.ranges(List.of()));
  }

  @Test void recognitionNamesKodiaiFilesOnly() {
    var r = KodiaiFiles.recognise(List.of("004-webhook-queue.sql", "001-initial-schema.sql", "002-b.sql"));
    assertEquals("a database built by kodiai's own runner, files 001-002, 004", r.line());
    assertNull(KodiaiFiles.recognise(List.of("001_create_users", "004-x.down.sql")).line());
    assertNull(KodiaiFiles.recognise(List.of("004-webhook-queue.sql")).line(), "its 001 is not kodiai's runner's");
  }

  @Test void driftListsFilesNotCarriedAndFilesEditedSince() throws Exception {
    MigrationSource ours = MigrationSource.load(FIXTURES.resolve("ours"));
    var d = KodiaiFiles.drift(ours, KodiaiFiles.readFolder(FIXTURES.resolve("kodiai")));
    assertEquals(List.of("004-issues.sql"), d.notCarried(), "001 is carried by its name, 002 and both 003 by headers");
    assertEquals(List.of(), d.edited());
    Map<String, byte[]> edited = new TreeMap<>(KodiaiFiles.readFolder(FIXTURES.resolve("kodiai")));
    edited.put("003-wiki-pages.sql", "CREATE TABLE wiki_pages (id serial, title text);\n".getBytes());
    edited.put("005-new.sql", new byte[0]);
    d = KodiaiFiles.drift(ours, edited);
    assertEquals(List.of("004-issues.sql", "005-new.sql"), d.notCarried());
    assertEquals(1, d.edited().size());
    assertTrue(d.edited().get(0).matches("003-wiki-pages\\.sql \\(kodiai's is [0-9a-f]{12}, 003-wiki\\.sql declares"
        + " 7b4ff1178058\\)"),
        d.edited().get(0));
  }

  @Test void kodiaiDriftTakesACheckoutOrItsFolderAndExits0Or5() throws Exception {
    Path checkout = tmp.resolve("kodiai"), folder = checkout.resolve("src/db/migrations");
    Files.createDirectories(folder);
    try (var s = Files.list(FIXTURES.resolve("kodiai"))) {
      for (Path f : s.toList()) Files.copy(f, folder.resolve(f.getFileName()));
    }
    String ours = FIXTURES.resolve("ours").toString();
    var run = MigrateTest.cli("kodiai-drift", checkout.toString(), "--dir", ours);
    assertEquals(ExitCode.VALIDATION, run.code(), run.toString());
    assertEquals(List.of("not carried: 004-issues.sql",
        "migrate: kodiai-drift: 5 kodiai files, 1 not carried, 0 edited since kodiai-db carried them"), run.outLines());
    Files.delete(folder.resolve("004-issues.sql"));
    run = MigrateTest.cli("kodiai-drift", folder.toString(), "--dir", ours);
    assertEquals(0, run.code(), run.toString());
    run = MigrateTest.cli("kodiai-drift", tmp.resolve("nowhere").toString(), "--dir", ours);
    assertEquals(ExitCode.USAGE, run.code(), run.toString());
    assertEquals(new MigrationException.NotKodiaiFolder(tmp.resolve("nowhere").toString(), false), run.kind());
    assertEquals(List.of("migrate: error: " + tmp.resolve("nowhere") + " is not a kodiai checkout nor its"
        + " src/db/migrations folder"
        + " (it does not exist)"), run.errLines());
  }

  @Test void theFixturesHeadersQuoteTheFixtureFilesBytes() throws Exception {
    for (var m : MigrationSource.load(FIXTURES.resolve("ours")).migrations)
      for (var d : m.kodiai())
        assertEquals(KodiaiFiles.sha12(Files.readAllBytes(FIXTURES.resolve("kodiai").resolve(d.file()))),
            d.sha12(), d.file());
  }
}
