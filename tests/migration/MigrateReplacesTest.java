// Issue 22: `-- migrate:replaces <sha256>` among a file's leading comments makes a row written by that
// earlier version of the file count as this migration applied (status marks it), and nothing else:
// another checksum is still an edited file, and the header counts only among the leading comments.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrateReplacesTest {
  @TempDir Path dir;
  String name, url;

  @BeforeEach void newDatabase() throws SQLException {
    name = FreshDatabase.create("replaces");
    url = FreshDatabase.urlFor(name);
  }
  @AfterEach void dropDatabase() throws SQLException { FreshDatabase.drop(name); }

  MigrateTest.Run run(String... args) {
    List<String> a = new java.util.ArrayList<>(List.of(args));
    a.addAll(List.of("--url", url, "--dir", dir.toString()));
    return MigrateTest.cli(a.toArray(String[]::new));
  }

  static final String OLD = "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n";

  @Test void aRowOfAReplacedVersionCountsAsApplied() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "SELECT 1;", "002-t.sql", OLD);
    assertEquals(0, run("up").code());
    String old = MigrationSource.checksum(OLD);
    MigrateTest.write(dir, "002-t.sql", "-- 002: the same table, its index built online\n-- migrate:no-transaction\n"
        + "-- migrate:replaces " + old
            + "\nCREATE TABLE IF NOT EXISTS t (id int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\n",
        "003-b.sql", "SELECT 3;");
    MigrateTest.Run status = run("status");
    assertEquals(0, status.code(), status.toString());
    assertTrue(status.out().matches("(?s).*\n002 +t +applied\\* .*"), status.toString());
    assertTrue(status.out().contains("* applied as an earlier version of the file, which the current one replaces"),
        status.toString());
    assertTrue(status.out().contains("2 applied, 1 pending, 0 modified"), status.toString());
    assertEquals(0, run("validate").code());
    MigrateTest.Run up = run("up");
    assertEquals(0, up.code(), up.toString());
    assertEquals(List.of("applied 003-b.sql"), up.outLines().stream().filter(l -> l.startsWith("applied")).map(l
        -> l.replaceAll(" \\(.*", "")).toList(),
        "002 does not run again");
  }

  @Test void anotherChecksumIsStillAnEditedFile() throws Exception {
    MigrateTest.write(dir, "001-a.sql", "SELECT 1;", "002-t.sql", OLD);
    assertEquals(0, run("up").code());
    String other = MigrationSource.checksum(OLD + "-- not what was applied\n");
    MigrateTest.write(dir, "002-t.sql", "-- migrate:replaces " + other + "\nSELECT 2;\n");
    MigrateTest.Run v = run("validate");
    assertEquals(5, v.code(), v.toString());
    assertTrue(v.err().contains("002-t.sql was edited after it was applied"), v.toString());
    // the header counts only among the leading comments, as the no-transaction marker does
    MigrateTest.write(dir, "002-t.sql", "SELECT 2;\n-- migrate:replaces " + MigrationSource.checksum(OLD) + "\n");
    assertEquals(5, run("validate").code());
    assertEquals(List.of(), MigrationSource.replacedChecksums("SELECT 2;\n-- migrate:replaces "
        + MigrationSource.checksum(OLD)));
  }
}
