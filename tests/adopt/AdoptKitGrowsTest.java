// A database adopted by `migrate up` (bench/KodiaiFixture, then every conversion) records each conversion with the
// checksum `from-kodiai:` + the SHA-256 of the conversion's own text: a helper appended to the online kit
// (from-kodiai/online-kit.sql) leaves them applied (`validate` and `up` exit 0, nothing runs again); a row the
// release at 6f35d53 recorded (the kit expanded into the conversion, the kit as it was then) is accepted too; a
// conversion whose own text changed is still an edit (exit 5).

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AdoptKitGrowsTest extends AdoptSupport {
  static final String HELPER = "\n-- Added later (a test): a helper no conversion uses yet.\n"
      + "CREATE OR REPLACE FUNCTION pg_temp.kit_later() RETURNS int LANGUAGE sql AS $fn$ SELECT 1 $fn$;\n";
  /** SHA-256 of from-kodiai/online-kit.sql at 6f35d53, the release whose conversion checksums covered the kit. */
  static final String KIT_6F35D53 = "ddce542443bb90dbb921d34d9200ec73097ac8aef126d6103a1294dd1bec2c2e";

  /** Today's kit up to the line 070 added first: the kit of the release at 6f35d53 (checked by its SHA-256). */
  static String kitThen() throws Exception {
    String kit = Files.readString(dir.resolve(KodiaiFiles.FROM_KODIAI).resolve(ConversionKit.FILE));
    int end = kit.indexOf("\n-- Added with 070");
    assertTrue(end > 0, "the line 070 added to the kit first");
    String then = kit.substring(0, end).stripTrailing() + "\n";
    assertEquals(KIT_6F35D53, MigrationSource.checksum(then), "the kit of 6f35d53");
    return then;
  }

  /** What the release at 6f35d53 recorded for m: `from-kodiai:` + the checksum of its conversions, that kit in. */
  static String checksumThen(MigrationSource.Migration m, String kitThen) throws Exception {
    List<String> files = new ArrayList<>();
    if (m.kodiai().isEmpty()) files.add(m.fileName());
    for (var d : m.kodiai()) files.add(d.file());
    Map<String, String> conversions = new TreeMap<>(Map.of(ConversionKit.FILE, kitThen));
    for (String f : files) conversions.put(f, Files.readString(dir.resolve(KodiaiFiles.FROM_KODIAI).resolve(f)));
    List<String> problems = new ArrayList<>();
    var expanded = ConversionKit.expand(conversions, problems);
    assertEquals(List.of(), problems);
    return "from-kodiai:" + MigrationSource.checksum(String.join("\n", files.stream().map(expanded::get).toList()));
  }

  static List<String> recorded(String url) throws java.sql.SQLException {
    return MigrateTest.rows(url, "SELECT version, name, checksum, applied_at, status FROM _migrations ORDER BY name");
  }

  @Test
  void kitAdditionsLeaveConversionsAppliedAndTheLastReleasesChecksumsStandButAnEditedConversionIsRefused()
      throws Exception {
    Path grown = AdoptMigrateUpTest.migrationsWith(ConversionKit.FILE, null, HELPER);
    Path edited = AdoptMigrateUpTest.migrationsWith("005-review-comments.sql", null, "SELECT 1;\n");
    String then = kitThen();
    withDatabase("adoptkit", url -> {
      kodiaiDatabase(url, 10);
      var up = AdoptMigrateUpTest.migrate(url, dir, "up");
      assertEquals(0, up.code(), up.toString());
      var rows = recorded(url);

      // (a) a helper appended to the kit: nothing edited, nothing runs again
      for (String verb : List.of("validate", "up")) {
        var r = AdoptMigrateUpTest.migrate(url, grown, verb);
        assertEquals(0, r.code(), verb + " with a grown kit: " + r);
      }
      assertEquals(rows, recorded(url), "nothing ran again, nothing recorded");

      // (b) the rows as the release at 6f35d53 recorded them (those whose conversion uses the kit differ)
      int older = 0;
      MigrationSource source = MigrationSource.load(dir);
      for (String row : MigrateTest.rows(url, "SELECT version FROM _migrations WHERE checksum LIKE 'from-kodiai:%'")) {
        String c = checksumThen(source.byVersion(Integer.parseInt(row)), then);
        older += Integer.parseInt(MigrateTest.rows(url, "WITH u AS (UPDATE _migrations SET checksum = '" + c
            + "' WHERE version = " + row + " AND checksum <> '" + c + "' RETURNING 1) SELECT count(*) FROM u").get(0));
      }
      assertTrue(older >= 10, "conversions with the kit, recorded as 6f35d53 did: " + older);
      rows = recorded(url);
      for (Path migrations : List.of(dir, grown))
        for (String verb : List.of("validate", "up")) {
          var r = AdoptMigrateUpTest.migrate(url, migrations, verb);
          assertEquals(0, r.code(), verb + " on 6f35d53's checksums: " + r);
        }
      assertEquals(rows, recorded(url), "nothing ran again, nothing recorded");

      // (c) a conversion's own text edited: an edit of the migration carrying it
      for (String verb : List.of("validate", "up")) {
        var r = AdoptMigrateUpTest.migrate(url, edited, verb);
        assertEquals(ExitCode.VALIDATION, r.code(), verb + " with an edited conversion: " + r);
        assertTrue(r.err().contains(new MigrationException.Edited("021-review-comments.sql", 21).describe()),
            r.toString());
      }
      assertEquals(rows, recorded(url), "nothing ran");
    });
  }
}
