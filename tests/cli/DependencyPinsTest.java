// The //DEPS pins of the checkout (issue 24): each library pinned in one file only, pgjdbc at or past
// the release that fixed its published advisories, and docs/contributing.md's table naming exactly
// the pins there are (so a bump cannot leave the checked list behind).

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
class DependencyPinsTest {
  static final Path ROOT = MigrationSource.checkoutRoot();

  /** group:artifact to "version in file", for every //DEPS line of every .java file; a second pin fails. */
  static Map<String, String> pins() throws Exception {
    Map<String, String> out = new TreeMap<>();
    List<String> twice = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java") && !p.toString().contains("/.")).toList()) {
        for (String line : Files.readAllLines(f)) {
          if (!line.startsWith("//DEPS ")) continue;
          String[] gav = line.substring(7).strip().split(":");
          String where = gav[2] + " in " + ROOT.relativize(f);
          if (out.put(gav[0] + ":" + gav[1], where) != null) twice.add(gav[0] + ":" + gav[1]);
        }
      }
    }
    assertEquals(List.of(), twice, "pinned more than once: " + out);
    return out;
  }

  @Test void eachLibraryIsPinnedOnceAndPgjdbcHasTheAdvisoryFixes() throws Exception {
    Map<String, String> pins = pins();
    String pgjdbc = pins.get("org.postgresql:postgresql");
    assertNotNull(pgjdbc, "pgjdbc is pinned");
    assertEquals("DbClient.java", pgjdbc.substring(pgjdbc.indexOf(" in ") + 4));
    String version = pgjdbc.substring(0, pgjdbc.indexOf(" "));
    int[] v = java.util.Arrays.stream(version.split("\\.")).mapToInt(Integer::parseInt).toArray();
    assertTrue(v[0] > 42 || v[0] == 42 && (v[1] > 7 || v[1] == 7 && v[2] >= 12),
        "pgjdbc " + pgjdbc + " is inside GHSA-j92g-9f8w-j867 (fixed in 42.7.12)");
  }

  @Test void theContributingTableListsExactlyThePins() throws Exception {
    Map<String, String> documented = new TreeMap<>();
    Matcher m = Pattern.compile("(?m)^\\| `([^`:]+:[^`:]+)` \\| ([^ |]+) \\| `([^`]+)` \\|")
        .matcher(Files.readString(ROOT.resolve("docs/contributing.md")));
    while (m.find()) documented.put(m.group(1), m.group(2) + " in " + m.group(3));
    assertEquals(pins(), documented, "docs/contributing.md's table of pins (library, pinned, where)");
  }
}
