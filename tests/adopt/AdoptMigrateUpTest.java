// Issue 23 through the runner: `migrate up` on a database as kodiai's runner leaves it (bench/KodiaiFixture)
// recognises it in one line, converts kodiai's 001-003 with from-kodiai/ (before the swap, per-table sums of
// kodiai's values and of what they became, one snapshot, printed), applies our 004-012, converts webhook_queue
// for our 020, and stops before firstStop() (the first
// migration carrying a kodiai file that has no conversion yet) with one line naming every such file, exit 5, all before it committed;
// `status` and `validate` say the same; an interrupted conversion is resumed by the next `up`, and a swap
// whose checksums differ does not run and is not recorded as applied.

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class AdoptMigrateUpTest extends AdoptSupport {
  static final String LINE = "a database built by kodiai's own runner, files 001-054 (kodiai 24fba64a)";

  static MigrateTest.Run migrate(String url, Path migrations, String verb) {
    return MigrateTest.cli(verb, "--url", url, "--dir", migrations.toString());
  }

  /** The first migration of ours that carries a kodiai file with no conversion, and every such file. */
  static String stopLine() {
    MigrationSource s = MigrationSource.load(dir);
    TreeSet<String> missing = new TreeSet<>();
    String first = null;
    for (var m : s.migrations)
      for (var d : m.kodiai())
        if (!s.fromKodiai.containsKey(d.file())) {
          missing.add(d.file());
          if (first == null) first = m.fileName();
        }
    return "migrate: error: stopped before " + first + ": kodiai's runner applied kodiai files that kodiai-db has no"
        + " conversion (from-kodiai/<file>) for yet: " + String.join(", ", missing)
        + "; everything before it is applied, and `up` resumes there once they exist";
  }

  @Test
  void upConvertsTheFoundationAndStopsAtTheFirstKodiaiFileWithoutAConversion() throws Exception {
    withDatabase("adoptup", url -> {
      kodiaiDatabase(url, 50);
      var status = migrate(url, dir, "status");
      assertEquals(0, status.code(), status.toString());
      assertEquals(LINE, status.outLines().get(0));
      var before = sums(url);

      var up = migrate(url, dir, "up");
      assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
      assertEquals("migrate: " + LINE, up.outLines().get(0));
      assertTrue(up.out().contains("applied 001-initial-schema.sql by converting kodiai's objects with"
          + " from-kodiai/001-initial-schema.sql"), up.toString());
      assertTrue(up.out().contains("applied 012-"), up.toString());
      assertTrue(up.outLines().stream().anyMatch(l -> l.matches(
          "reviews +\\d+ rows \\w+ before, +\\d+ rows \\w+ after: equal")), up.toString());
      assertEquals(List.of(stopLine()), up.errLines());
      assertSameRows(before, sums(url));
      assertEquals(List.of("001-initial-schema.sql|from-kodiai", "002-pgvector-indexes.sql|from-kodiai",
          "003-tsvector-columns.sql|from-kodiai"), MigrateTest.rows(url, "SELECT name, split_part(checksum, ':', 1)"
          + " FROM _migrations WHERE version <= 3 AND status = 'applied' ORDER BY version"));
      String stop = firstStop();
      assertEquals(List.of(), MigrateTest.rows(url, "SELECT name FROM _migrations WHERE status = 'applied'"
          + " AND version >= " + Integer.parseInt(stop.substring(0, 3))), "nothing from " + stop + " on");
      assertEquals(List.of("12", "20"), MigrateTest.rows(url, "SELECT version FROM _migrations"
          + " WHERE status = 'applied' AND version IN (12, 20) ORDER BY version"), "004-012 applied, 020 converted");
      assertEquals(List.of("bigint"), MigrateTest.rows(url, "SELECT format_type(atttypid, NULL) FROM pg_attribute"
          + " WHERE attrelid = 'reviews'::regclass AND attname = 'id'"));

      // again: nothing to apply before the stop, the same line, exit 5
      var again = migrate(url, dir, "up");
      assertEquals(ExitCode.VALIDATION, again.code(), again.toString());
      assertEquals(List.of(stopLine()), again.errLines());
      assertFalse(again.out().contains("applied 0"), again.toString());
      var s2 = migrate(url, dir, "status");
      assertEquals(0, s2.code(), s2.toString());
      assertEquals(LINE + "; its conversion is under way", s2.outLines().get(0));
      assertTrue(s2.out().contains("pending+"), s2.toString());
      var v = migrate(url, dir, "validate");
      assertEquals(ExitCode.VALIDATION, v.code(), v.toString());
      assertEquals("migrate: " + LINE + "; its conversion is under way", v.outLines().get(0));
      assertTrue(v.err().contains("migrate: invalid: " + stop + " carries kodiai's " + MigrationSource.load(dir)
          .migrations.stream().filter(m -> m.fileName().equals(stop)).findFirst().orElseThrow().kodiai().get(0).file()
          + ", which kodiai's runner already applied itself"), v.toString());
    });
  }

  @Test
  void anInterruptedConversionIsResumedByTheNextUpWithout001Again() throws Exception {
    Path cut = migrationsWith("002-pgvector-indexes.sql", "CALL pg_temp.swap('run_state'",
        "DO $$ BEGIN IF nextval('adopt_cut') = 1 THEN RAISE EXCEPTION 'cut here'; END IF; END $$;\n");
    withDatabase("adoptcut", url -> {
      kodiaiDatabase(url, 30);
      MigrateTest.exec(url, "CREATE SEQUENCE adopt_cut");
      var before = sums(url);
      var up = migrate(url, cut, "up");
      assertEquals(ExitCode.FAILED, up.code(), up.toString());
      assertTrue(up.err().contains("cut here") && up.err().contains("run `migrate up` again to resume it"),
          up.toString());
      assertEquals(List.of("001-initial-schema.sql|applied", "002-pgvector-indexes.sql|failed"), MigrateTest.rows(url,
          "SELECT name, status FROM _migrations WHERE version IS NOT NULL ORDER BY version"));
      assertEquals(List.of("bigint"), MigrateTest.rows(url, "SELECT format_type(atttypid, NULL) FROM pg_attribute"
          + " WHERE attrelid = 'global_patterns'::regclass AND attname = 'id'"), "cut after the first swaps");
      var status = migrate(url, cut, "status");
      assertEquals(0, status.code(), status.toString());
      assertTrue(status.out().contains("pending+"), status.toString());

      var resumed = migrate(url, cut, "up");
      assertEquals(ExitCode.VALIDATION, resumed.code(), resumed.toString());
      assertFalse(resumed.out().contains("applied 001-"), "001 is not run again once 002 started: " + resumed);
      assertTrue(resumed.out().contains("applied 002-pgvector-indexes.sql by converting"), resumed.toString());
      assertEquals(List.of(stopLine()), resumed.errLines());
      assertSameRows(before, sums(url));
      assertEquals(List.of("002-pgvector-indexes.sql|applied"), MigrateTest.rows(url,
          "SELECT name, status FROM _migrations WHERE version = 2"));
    });
  }

  @Test
  void aSwapWhoseConvertedValuesDifferDoesNotRunAndIsNotRecordedAsApplied() throws Exception {
    // a converted value gone wrong at the end of the prepare step (its trigger off, as a bug in it would leave it)
    Path bad = migrationsWith("001-initial-schema.sql", null,
        "ALTER TABLE findings DISABLE TRIGGER findings_adopt_sync;\n"
        + "UPDATE findings SET review_id_adopt = review_id_adopt + 1 WHERE id = 7;\n"
        + "ALTER TABLE findings ENABLE TRIGGER findings_adopt_sync;\n");
    withDatabase("adoptbad", url -> {
      kodiaiDatabase(url, 10);
      var up = migrate(url, bad, "up");
      assertEquals(ExitCode.FAILED, up.code(), up.toString());
      assertTrue(up.err().contains("the converted values of findings differ from kodiai's (checksums printed above);"
          + " nothing was swapped"), up.toString());
      assertTrue(up.out().lines().anyMatch(l -> l.startsWith("findings ") && l.endsWith("after: DIFFERENT")),
          up.toString());
      assertEquals(List.of("failed"), MigrateTest.rows(url, "SELECT status FROM _migrations WHERE version = 2"));
      assertEquals(List.of("1"), MigrateTest.rows(url,
          "SELECT max(version) FROM _migrations WHERE status = 'applied'"));
      assertEquals(List.of("integer"), MigrateTest.rows(url, "SELECT format_type(atttypid, NULL) FROM pg_attribute"
          + " WHERE attrelid = 'findings'::regclass AND attname = 'id'"), "nothing swapped");
    });
  }

  /** A copy of our migrations with `text` put into from-kodiai/`file` before `anchor` (null: at the end). */
  static Path migrationsWith(String file, String anchor, String text) throws IOException {
    Path copy = Files.createTempDirectory("adopt-migrations");
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) { s.forEach(all::add); }
    for (Path p : all) {
      Path to = copy.resolve(dir.relativize(p).toString());
      if (Files.isDirectory(p)) Files.createDirectories(to);
      else Files.copy(p, to);
    }
    Path f = copy.resolve("from-kodiai").resolve(file);
    String sql = Files.readString(f);
    int at = anchor == null ? sql.length() : sql.indexOf(anchor);
    assertTrue(at >= 0, anchor);
    Files.writeString(f, sql.substring(0, at) + text + sql.substring(at));
    return copy;
  }
}
