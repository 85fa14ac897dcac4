import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MigrationSource without a database: file-name rules, checksums, the no-transaction marker, the splitter. */
@Fast
class MigrationSourceTest {
  @TempDir Path tmp;

  static Map<String, String> files(String... nameThenContent) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < nameThenContent.length; i += 2) m.put(nameThenContent[i], nameThenContent[i + 1]);
    return m;
  }

  static MigrationException refused(Map<String, String> files) {
    return assertThrows(MigrationException.class, () -> MigrationSource.fromFiles("test", files));
  }

  // ------------------------------------------------------------ file names

  @Test void readsVersionsNamesAndDownFilesInVersionOrder() {
    var s = MigrationSource.fromFiles("test", files(
        "010-ten.sql", "SELECT 10;", "002-two_words.sql", "SELECT 2;", "002-two_words.down.sql", "SELECT -2;",
        "1-one.sql", "SELECT 1;"));
    assertEquals(List.of(1, 2, 10), s.migrations.stream().map(MigrationSource.Migration::version).toList());
    var two = s.byVersion(2);
    assertEquals("two_words", two.name());
    assertEquals("002-two_words.sql", two.fileName());
    assertEquals("002-two_words.down.sql", two.downFileName());
    assertEquals("SELECT -2;", two.downSql());
    assertTrue(two.hasDown());
    assertFalse(s.byVersion(10).hasDown());
    assertEquals("001-one", s.byVersion(1).label());
    assertEquals(10, s.latestVersion());
    assertNull(s.byVersion(3));
  }

  @Test void everyBadNameIsReportedAtOnceWithItsFile() {
    var e = refused(files(
        "001-ok.sql", "SELECT 1;",
        "002-Upper.sql", "SELECT 2;",          // uppercase
        "three.sql", "SELECT 3;",              // no version
        "004_underscore.sql", "SELECT 4;",     // '_' instead of '-'
        "005-a b.sql", "SELECT 5;",            // space
        "000-zero.sql", "SELECT 0;"));         // version 0 means "nothing applied"
    for (String f : List.of("002-Upper.sql", "three.sql", "004_underscore.sql", "005-a b.sql"))
      assertTrue(e.getMessage().contains(f + ": name does not fit NNN-name.sql"), e.getMessage());
    assertTrue(e.getMessage().contains("000-zero.sql: version 0 is reserved"), e.getMessage());
    assertFalse(e.getMessage().contains("001-ok.sql"), e.getMessage());
    var k = assertInstanceOf(MigrationException.InvalidFiles.class, e.kind());
    assertEquals("test", k.source());
    assertEquals(5, k.problems().size(), k.problems().toString());
    assertTrue(e.getMessage().startsWith("test: "), e.getMessage()); // the one test of this kind's line
  }

  @Test void duplicateVersionsNameBothFiles() {
    var e = refused(files("001-a.sql", "SELECT 1;", "01-b.sql", "SELECT 1;", "002-c.sql", "SELECT 2;"));
    assertTrue(e.getMessage().matches(".*(001-a\\.sql: duplicate version 1 \\(also 01-b\\.sql\\)"
        + "|01-b\\.sql: duplicate version 1 \\(also 001-a\\.sql\\)).*"), e.getMessage());
  }

  @Test void downFileWithoutItsMigrationOrWithAnotherNameIsReported() {
    var e = refused(files("001-a.sql", "x", "002-b.down.sql", "y", "001-other.down.sql", "z"));
    assertTrue(e.getMessage().contains("002-b.down.sql: down file without its migration"), e.getMessage());
    assertTrue(e.getMessage().contains("001-other.down.sql: name does not match its migration 001-a.sql"), e.getMessage());
  }

  @Test void loadsAFolderIgnoringOtherFilesAndNamesAMissingFolder() throws Exception {
    Files.writeString(tmp.resolve("001-a.sql"), "SELECT 1;");
    Files.writeString(tmp.resolve("README.md"), "not a migration");
    Files.createDirectories(tmp.resolve("old.sql")); // a folder, even with that name, is not a file
    var s = MigrationSource.load(tmp);
    assertEquals(1, s.migrations.size());
    var e = assertThrows(MigrationException.class, () -> MigrationSource.load(tmp.resolve("nope")));
    assertEquals(new MigrationException.BadFolder(tmp.resolve("nope").toString(), "does not exist"), e.kind());
    assertEquals("migrations folder " + tmp.resolve("nope") + " does not exist", e.getMessage());
    Files.writeString(tmp.resolve("2-Bad.sql"), "SELECT 2;");
    var bad = assertThrows(MigrationException.class, () -> MigrationSource.load(tmp));
    var k = assertInstanceOf(MigrationException.InvalidFiles.class, bad.kind());
    assertEquals(tmp.toString(), k.source());
    assertTrue(k.problems().get(0).startsWith("2-Bad.sql: name does not fit"), bad.getMessage());
  }

  // ------------------------------------------------------------- checksums

  @Test void transactionControlInATransactionalFileIsRefusedWithItsLine() {
    for (String stmt : List.of("COMMIT", "commit work", "BEGIN", "START TRANSACTION", "ROLLBACK", "END", "abort",
        "PREPARE TRANSACTION 'x'")) {
      var e = refused(files("001-a.sql", "CREATE TABLE a (id int);\n" + stmt + ";\nCREATE TABLE b (id int);"));
      assertTrue(e.getMessage().contains("001-a.sql line 2: '" + stmt.split(" ")[0] + "' would end the transaction"), e.getMessage());
    }
    var down = refused(files("001-a.sql", "SELECT 1;", "001-a.down.sql", "DROP TABLE a;\nCOMMIT;"));
    assertTrue(down.getMessage().contains("001-a.down.sql line 2"), down.getMessage());
    // Savepoints stay inside the transaction; words that merely start like the keywords are no statements of that kind.
    MigrationSource.fromFiles("test", files("001-a.sql",
        "SAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nrollback to s;\nCOMMENT ON TABLE t IS 'commit';\nSELECT 'begin; end';"));
    // A no-transaction file runs statement by statement: there they are the author's business.
    MigrationSource.fromFiles("test", files("001-a.sql", "-- migrate:no-transaction\nVACUUM;\nCOMMIT;"));
  }

  @Test void checksumIsSha256OfTheTextWithLfLineEndings() {
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", MigrationSource.checksum(""));
    assertEquals(MigrationSource.checksum("CREATE TABLE a ();\nSELECT 1;\n"), MigrationSource.checksum("CREATE TABLE a ();\r\nSELECT 1;\r\n"));
    assertNotEquals(MigrationSource.checksum("SELECT 1;"), MigrationSource.checksum("SELECT 2;"));
    assertNotEquals(MigrationSource.checksum("SELECT 1;"), MigrationSource.checksum("SELECT 1; "), "whitespace is content");
    var s = MigrationSource.fromFiles("t", files("001-a.sql", "SELECT 1;\r\n"));
    assertEquals(MigrationSource.checksum("SELECT 1;\n"), s.byVersion(1).checksum());
  }

  // ------------------------------------------------------------- the marker

  @Test void noTransactionMarkerCountsOnlyAmongTheLeadingComments() {
    assertTrue(MigrationSource.hasNoTransactionMarker("-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);"));
    assertTrue(MigrationSource.hasNoTransactionMarker("-- 004: why\n\n  -- MIGRATE:NO-TRANSACTION  \r\nVACUUM;"));
    assertTrue(MigrationSource.hasNoTransactionMarker("\r\n-- migrate:no-transaction\r\nVACUUM;"));
    assertFalse(MigrationSource.hasNoTransactionMarker("SELECT 1;\n-- migrate:no-transaction\n"), "after a statement");
    assertFalse(MigrationSource.hasNoTransactionMarker("-- migrate:no-transaction please\nSELECT 1;"), "must be the whole line");
    assertFalse(MigrationSource.hasNoTransactionMarker("/* x */\n-- migrate:no-transaction\n"), "a block comment ends the header");
    assertFalse(MigrationSource.hasNoTransactionMarker("-- migrate:no-transactions\n"));
    var s = MigrationSource.fromFiles("t", files("001-a.sql", "-- migrate:no-transaction\nVACUUM;", "002-b.sql", "SELECT 1;"));
    assertFalse(s.byVersion(1).transactional());
    assertTrue(s.byVersion(2).transactional());
  }

  // ------------------------------------------------------------ the splitter

  static List<String> sqls(String sql) { return MigrationSource.split(sql).stream().map(MigrationSource.Statement::sql).toList(); }
  static List<Integer> lines(String sql) { return MigrationSource.split(sql).stream().map(MigrationSource.Statement::line).toList(); }

  @Test void splitsOnTopLevelSemicolonsOnly() {
    assertEquals(List.of("CREATE TABLE a (x text DEFAULT 'a;b')", "SELECT 1"),
        sqls("CREATE TABLE a (x text DEFAULT 'a;b');\nSELECT 1;\n"));
    assertEquals(List.of("SELECT 'it''s; fine'", "SELECT 2"), sqls("SELECT 'it''s; fine'; SELECT 2"), "doubled quote, no final ';'");
    assertEquals(List.of("CREATE TABLE \"a;b\" (\"x\"\"y;\" int)", "SELECT 3"), sqls("CREATE TABLE \"a;b\" (\"x\"\"y;\" int); SELECT 3;"));
    assertEquals(List.of("SELECT 1", "SELECT 2"), sqls(";;SELECT 1;;\n;SELECT 2;;"), "empty statements are dropped");
    assertEquals(List.of(), sqls("-- only a comment; really\n/* and; another */\n"));
  }

  @Test void escapeStringsHonourBackslashesOtherStringsDoNot() {
    assertEquals(List.of("SELECT E'it\\'s; here'", "SELECT 2"), sqls("SELECT E'it\\'s; here'; SELECT 2;"));
    assertEquals(List.of("SELECT e'\\\\'", "SELECT 2"), sqls("SELECT e'\\\\'; SELECT 2;"), "an escaped backslash ends nothing");
    // standard_conforming_strings: in a plain string a backslash is just a character.
    assertEquals(List.of("SELECT 'C:\\'", "SELECT 2"), sqls("SELECT 'C:\\'; SELECT 2;"));
    assertEquals(List.of("SELECT TYPE'x;'", "SELECT 2"), sqls("SELECT TYPE'x;'; SELECT 2;"), "an E ending a word is no prefix");
  }

  @Test void dollarQuotesWithAndWithoutTags() {
    String fn = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  PERFORM $$ a; b $$;\n  RETURN 1;\nEND\n$body$";
    assertEquals(List.of(fn, "SELECT f()"), sqls(fn + ";\nSELECT f();"));
    assertEquals(List.of("DO $$ BEGIN RAISE NOTICE 'x;y'; END $$", "SELECT 2"), sqls("DO $$ BEGIN RAISE NOTICE 'x;y'; END $$; SELECT 2;"));
    assertEquals(List.of("PREPARE p AS SELECT $1", "SELECT 2"), sqls("PREPARE p AS SELECT $1; SELECT 2;"), "$1 is a parameter");
    assertEquals(List.of("SELECT 1 AS x$y$z", "SELECT 2"), sqls("SELECT 1 AS x$y$z; SELECT 2;"), "$ inside an identifier");
  }

  @Test void nestedBlockCommentsAndLineComments() {
    assertEquals(List.of("SELECT 1"), sqls("/* outer /* inner; */ still comment; */ SELECT 1;"));
    assertEquals(List.of("SELECT 1 /* a; /* b */ c; */ + 1", "SELECT 2"), sqls("SELECT 1 /* a; /* b */ c; */ + 1; SELECT 2;"));
    assertEquals(List.of("SELECT 1 -- trailing; comment\n  + 1", "SELECT 2"), sqls("SELECT 1 -- trailing; comment\n  + 1; SELECT 2;"));
    assertEquals(List.of("SELECT '--not a comment;'", "SELECT 2"), sqls("SELECT '--not a comment;'; SELECT 2;"));
  }

  @Test void eachStatementKnowsTheLineItStartsOn() {
    String sql = "-- header; with a semicolon\n"   // 1
        + "/* block\n"                            // 2
        + "   comment */\n"                       // 3
        + "CREATE TABLE a (\n"                    // 4
        + "  x text DEFAULT 'multi\n"             // 5
        + "line'\n"                               // 6
        + ");\n"                                  // 7
        + "\n"                                    // 8
        + "CREATE FUNCTION f() RETURNS int AS $$\n" // 9
        + "SELECT 1;\n"                           // 10
        + "$$ LANGUAGE sql; SELECT\n"             // 11
        + "2;\r\n"                                // 12
        + "SELECT 3";                             // 13
    assertEquals(List.of(4, 9, 11, 13), lines(sql));
    assertTrue(sqls(sql).get(0).startsWith("CREATE TABLE a ("), "leading comments are not part of the statement");
  }

  // ------------------------------------------------------------ issue 14: hostile files

  @Test void beginAtomicBodiesAreOneStatementAsInPsql() {
    String fn = "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND";
    assertEquals(List.of(fn, "CREATE TABLE t (id int)"), sqls(fn + ";\nCREATE TABLE t (id int);"));
    String proc = "create or replace procedure p() language sql begin atomic insert into t values (1); end";
    assertEquals(List.of(proc, "select 1"), sqls(proc + "; select 1;"));
    assertEquals(List.of(1, 6), lines(fn + ";\nCREATE TABLE t (id int);"));
    // Elsewhere BEGIN and END are ordinary words: transaction control, a plpgsql body in dollar quotes, a column.
    assertEquals(List.of("BEGIN", "SELECT 1", "END", "CREATE FUNCTION g() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql",
        "SELECT 1 AS begin"), sqls("BEGIN; SELECT 1; END; CREATE FUNCTION g() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql;"
        + " SELECT 1 AS begin;"));
    // A semicolon inside parentheses does not end a statement either (psql): a rule with several actions.
    assertEquals(List.of("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", "SELECT 2"),
        sqls("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 2;"));
    // And a transactional file with such a body is no longer refused for its END.
    var s = MigrationSource.fromFiles("t", files("001-f.sql", fn + ";\n"));
    assertTrue(s.byVersion(1).transactional());
  }

  @Test void splittingIsLinearInTheNumberOfStatements() {
    // Not timed: counted. Each statement's text is cut from the file once (no quadratic rescans).
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 200_000; i++) sb.append("INSERT INTO t VALUES (").append(i).append(", 'v;").append(i).append("');\n");
    var st = MigrationSource.split(sb.toString());
    assertEquals(200_000, st.size());
    assertEquals(200_000, st.get(199_999).line());
    assertEquals("INSERT INTO t VALUES (199999, 'v;199999')", st.get(199_999).sql());
  }

  @Test void aByteOrderMarkIsDroppedAndIsNoEdit() {
    var s = MigrationSource.fromFiles("t", files("001-a.sql", "\uFEFFSELECT 1;\n"));
    assertEquals("SELECT 1;\n", s.byVersion(1).sql());
    assertEquals(MigrationSource.checksum("SELECT 1;\n"), s.byVersion(1).checksum());
  }

  @Test void filesThatLookLikeMigrationsButAreIgnoredDrawAWarning() throws Exception {
    Files.writeString(tmp.resolve("001-a.sql"), "SELECT 1;");
    Files.writeString(tmp.resolve("002-b.SQL"), "SELECT 2;");
    Files.createSymbolicLink(tmp.resolve("003-c.sql"), tmp.resolve("gone.sql"));
    Files.writeString(tmp.resolve("README.md"), "not a migration");
    var s = MigrationSource.load(tmp);
    assertEquals(1, s.migrations.size());
    assertEquals(List.of("002-b.SQL: ignored: migration files end in lowercase .sql; rename it if it is one",
        "003-c.sql: ignored: a symbolic link to nothing (-> " + tmp.resolve("gone.sql") + ")"), s.warnings);
  }

  @Test void aFileThatIsNotUtf8IsNamedWithWhereAndWhat() throws Exception {
    Files.writeString(tmp.resolve("001-a.sql"), "SELECT 1;");
    Files.write(tmp.resolve("002-b.sql"), "-- caf\u00e9\nCREATE TABLE caf\u00e9 (id int);\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    var e = assertThrows(MigrationException.class, () -> MigrationSource.load(tmp));
    assertEquals(ExitCode.VALIDATION, e.exitCode);
    assertEquals(tmp + ": 002-b.sql: not UTF-8 text (line 1, byte 0xE9 at offset 6; Latin-1 or Windows-1252?); save it as UTF-8", e.getMessage());
  }
}
