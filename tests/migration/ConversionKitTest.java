// Issue 23, without a database: the online kit of the conversions (migrations/from-kodiai/online-kit.sql)
// goes in place of a conversion's `-- adopt: online-kit` line, on that one line, so the conversion's own
// statements keep their line numbers; a missing kit or a `--` comment inside a kit statement is refused;
// the bundled conversions that use it load, and none defines a kit helper a second time.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@Fast
class ConversionKitTest {
  static final Path FROM_KODIAI = MigrationSource.checkoutRoot().resolve("migrations/from-kodiai");
  static final String KIT = "-- the kit\nCREATE OR REPLACE FUNCTION pg_temp.f() RETURNS int\n"
      + "LANGUAGE sql AS $fn$ SELECT 1 $fn$;\n\n-- another\nCREATE OR REPLACE FUNCTION pg_temp.g() RETURNS int"
      + " LANGUAGE sql AS $fn$ SELECT 2 $fn$;\n";
  static final String CONVERSION = "-- header\n-- migrate:no-transaction\nSET lock_timeout = 0;\n"
      + "-- adopt: online-kit\n\nSELECT pg_temp.f();\nSELECT\n  pg_temp.g();\n";

  static Map<String, String> expand(Map<String, String> conversions, List<String> problems) {
    return ConversionKit.expand(new TreeMap<>(conversions), problems);
  }

  @Test void theKitTakesTheLinesPlaceAndTheLinesAfterItKeepTheirNumbers() {
    List<String> problems = new ArrayList<>();
    var out = expand(Map.of(ConversionKit.FILE, KIT, "005-a.sql", CONVERSION), problems);
    assertEquals(List.of(), problems);
    assertEquals(List.of("005-a.sql"), List.copyOf(out.keySet()), "the kit is no conversion");
    String sql = out.get("005-a.sql");
    assertEquals(CONVERSION.split("\n", -1).length, sql.split("\n", -1).length, "one line for one line");
    List<MigrationSource.Statement> st = MigrationSource.split(sql);
    assertEquals(List.of(3, 4, 4, 6, 7), st.stream().map(MigrationSource.Statement::line).toList());
    assertTrue(st.get(1).sql().startsWith("CREATE OR REPLACE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql"),
        st.get(1).sql());
    assertTrue(MigrationSource.hasNoTransactionMarker(sql), "the header is untouched");
  }

  /** A numbered migration may use the kit too (070); its checksum is that of its own bytes, whatever the kit holds. */
  @Test void aNumberedMigrationGetsTheKitAndKeepsItsOwnChecksum() {
    Map<String, String> files = Map.of("001-a.sql", "SELECT 1;\n", "002-b.sql", CONVERSION);
    MigrationSource one = MigrationSource.fromFiles("test", files, Map.of(ConversionKit.FILE, KIT));
    MigrationSource grown = MigrationSource.fromFiles("test", files, Map.of(ConversionKit.FILE, KIT
        + "CREATE OR REPLACE FUNCTION pg_temp.h() RETURNS int LANGUAGE sql AS $fn$ SELECT 3 $fn$;\n"));
    var m = one.migrations.get(1);
    assertTrue(m.sql().contains("pg_temp.f() RETURNS int LANGUAGE sql"), m.sql());
    assertEquals(CONVERSION.split("\n", -1).length, m.sql().split("\n", -1).length, "one line for one line");
    assertEquals(m.checksum(), grown.migrations.get(1).checksum(), "a helper added to the kit edits no migration");
    var e = assertThrows(MigrationException.class, () -> MigrationSource.fromFiles("test", files));
    assertTrue(e.getMessage().contains("002-b.sql: uses the online kit"), e.getMessage());
  }

  /**
   * A conversion's checksum is that of its own text: a helper appended to the kit edits no applied conversion; the
   * SQL that runs still has the kit in place.
   */
  @Test void aConversionsChecksumIsOfItsOwnTextWhateverTheKitHolds() {
    Map<String, String> files = Map.of("001-a.sql", "-- kodiai: 005-a.sql 1a2b3c4d5e6f\nSELECT 1;\n");
    MigrationSource one = MigrationSource.fromFiles("test", files, Map.of(ConversionKit.FILE, KIT, "005-a.sql",
        CONVERSION));
    MigrationSource grown = MigrationSource.fromFiles("test", files, Map.of(ConversionKit.FILE, KIT
        + "CREATE OR REPLACE FUNCTION pg_temp.h() RETURNS int LANGUAGE sql AS $fn$ SELECT 3 $fn$;\n", "005-a.sql",
        CONVERSION));
    var c = one.converted(one.migrations.get(0), List.of("005-a.sql"));
    assertEquals("from-kodiai:" + MigrationSource.checksum(CONVERSION), c.checksum());
    assertEquals(c.checksum(), grown.converted(grown.migrations.get(0), List.of("005-a.sql")).checksum());
    assertTrue(c.sql().contains("pg_temp.f() RETURNS int LANGUAGE sql"), c.sql());
    assertNull(one.previousReleaseChecksum(List.of("005-a.sql")), "no checksum in the name of a kit never released");
  }

  /**
   * The release at 6f35d53 recorded conversions with its kit expanded; today's kit starts with that kit (helpers are
   * appended), so those checksums can be rebuilt. Editing the kit above "-- Added with 070" breaks that.
   */
  @Test void theKitStartsWithThePreviousReleasesKit() throws Exception {
    String kit = Files.readString(FROM_KODIAI.resolve(ConversionKit.FILE));
    String then = ConversionKit.previousReleaseKit(kit);
    assertNotNull(then, "the kit above `-- Added with 070` is no longer 6f35d53's");
    assertEquals("ddce542443bb90dbb921d34d9200ec73097ac8aef126d6103a1294dd1bec2c2e", MigrationSource.checksum(then));
    assertTrue(kit.startsWith(then.stripTrailing()), "a prefix of today's kit");
    assertNull(ConversionKit.previousReleaseKit(kit.replaceFirst("pg_temp\\.prepare", "pg_temp.prepare2")));
    assertEquals(then, ConversionKit.previousReleaseKit(then), "that kit on its own");
  }

  /** A script that bundles the migrations bundles the kit too: 070 uses it (bench and devdb once did not). */
  @Test void everyScriptThatBundlesTheMigrationsBundlesTheKit() throws Exception {
    Path root = MigrationSource.checkoutRoot();
    List<String> without = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : s.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        String src = Files.readString(p);
        if (src.contains("//FILES migrations/=migrations/*.sql")
            && !src.contains("//FILES migrations/from-kodiai/=migrations/from-kodiai/*.sql"))
          without.add(p.getFileName().toString());
      }
    }
    assertEquals(List.of(), without, "scripts bundling migrations/*.sql without migrations/from-kodiai/*.sql");
  }

  @Test void aConversionWithoutTheLineIsLeftAsItIs() {
    List<String> problems = new ArrayList<>();
    var out = expand(Map.of(ConversionKit.FILE, KIT, "005-a.sql", "SELECT 1;\n-- adopt: online-kit later\n"),
        problems);
    assertEquals("SELECT 1;\n-- adopt: online-kit later\n", out.get("005-a.sql"));
    assertEquals(List.of(), problems);
  }

  @Test void aMissingKitIsAProblemNamingTheConversion() {
    List<String> problems = new ArrayList<>();
    expand(Map.of("005-a.sql", CONVERSION), problems);
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("from-kodiai/005-a.sql: uses the online kit"), problems.get(0));
  }

  @Test void aCommentInsideAKitStatementIsRefusedWithItsLine() {
    List<String> problems = new ArrayList<>();
    ConversionKit.oneLine("CREATE FUNCTION pg_temp.f() RETURNS int\n  LANGUAGE sql AS $fn$ SELECT 1 -- one\n$fn$;",
        problems);
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("online-kit.sql line 2"), problems.get(0));
  }

  @Test void theBundledConversionsLoadWithTheKit() {
    MigrationSource source = MigrationSource.load(FROM_KODIAI.getParent());
    assertFalse(source.fromKodiai.containsKey(ConversionKit.FILE));
    String one = source.fromKodiai.get("001-initial-schema.sql");
    assertTrue(one.contains("CREATE OR REPLACE PROCEDURE pg_temp.prepare("), "001 gets the kit");
  }

  /** A kit helper is defined in the kit only: no conversion defines pg_temp.<a kit name> again. */
  @Test void noConversionDefinesAKitHelperAgain() throws Exception {
    Pattern def = Pattern.compile("(?i)CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:FUNCTION|PROCEDURE)\\s+pg_temp\\.(\\w+)");
    List<String> kitNames = new ArrayList<>();
    Matcher m = def.matcher(Files.readString(FROM_KODIAI.resolve(ConversionKit.FILE)));
    while (m.find()) kitNames.add(m.group(1));
    assertTrue(kitNames.containsAll(List.of("brief_ddl", "in_batches", "prepare", "swap", "check_rows")),
        kitNames.toString());
    List<String> again = new ArrayList<>();
    try (Stream<Path> s = Files.list(FROM_KODIAI)) {
      for (Path p : s.filter(p -> p.toString().endsWith(".sql")).sorted().toList()) {
        if (p.getFileName().toString().equals(ConversionKit.FILE)) continue;
        Matcher d = def.matcher(Files.readString(p));
        while (d.find()) if (kitNames.contains(d.group(1))) again.add(p.getFileName() + ": " + d.group(1));
      }
    }
    assertEquals(List.of(), again);
  }

  /** The kit defines session helpers and does nothing else: each conversion that joins it runs it again. */
  @Test void theKitHoldsOnlyTemporaryHelpers() throws Exception {
    Pattern helper = Pattern.compile("(?is)\\s*CREATE\\s+OR\\s+REPLACE\\s+(?:FUNCTION|PROCEDURE)\\s+pg_temp\\..*");
    List<String> other = new ArrayList<>();
    for (var st : MigrationSource.split(Files.readString(FROM_KODIAI.resolve(ConversionKit.FILE)))) {
      String sql = st.sql().replaceAll("(?m)^\\s*--.*$", "").strip();
      if (!sql.isEmpty() && !helper.matcher(sql).matches()) other.add(sql.lines().findFirst().orElse(sql));
    }
    assertEquals(List.of(), other, "statements of the kit that are not a pg_temp helper");
  }
}
