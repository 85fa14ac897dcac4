// Shared source: the online kit of the conversions (migrations/from-kodiai/online-kit.sql): the session
// helpers (pg_temp.prepare, swap, brief_ddl, ...) that every online conversion of a kodiai table uses,
// written once. A conversion that holds the line `-- adopt: online-kit` (after its leading comments) gets
// the kit in that line's place, joined onto that one line: the conversion's own line numbers, which
// messages and `bench adopt` report, stay true. A conversion's checksum covers its own text, not the kit (helpers
// are appended to the kit; that must not make applied conversions look edited); previousReleaseKit keeps the checksums
// the one release that covered the kit recorded.
// Knows nothing of databases.

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class ConversionKit {
  private ConversionKit() {}

  /** The kit's file, among the conversions. */
  static final String FILE = "online-kit.sql";
  /** The line a conversion uses the kit with. */
  static final String LINE = "-- adopt: online-kit";
  private static final Pattern USE = Pattern.compile("(?m)^[ \\t]*-- adopt: online-kit[ \\t]*$");

  /**
   * The conversions (kodiai file name -> SQL) with the kit in place of each `-- adopt: online-kit` line,
   * and the kit itself left out (it is no conversion). A conversion that uses a kit that is not there, or
   * a kit with a `--` comment inside a statement (it would swallow the rest of the joined line), is a
   * problem naming the file.
   */
  static Map<String, String> expand(Map<String, String> conversions, List<String> problems) {
    String kit = conversions.containsKey(FILE) ? oneLine(conversions.get(FILE), problems) : null;
    Map<String, String> out = new TreeMap<>();
    for (var e : conversions.entrySet()) {
      if (e.getKey().equals(FILE)) continue;
      Matcher m = USE.matcher(e.getValue());
      if (!m.find()) {
        out.put(e.getKey(), e.getValue());
      } else if (kit == null) {
        problems.add(KodiaiFiles.FROM_KODIAI + "/" + e.getKey() + ": uses the online kit (`" + LINE + "`), but "
            + KodiaiFiles.FROM_KODIAI + "/" + FILE + " is missing");
      } else {
        out.put(e.getKey(), m.replaceAll(Matcher.quoteReplacement(kit)));
      }
    }
    return out;
  }

  /**
   * The numbered migrations (file name -> SQL) with the kit in place of each `-- adopt: online-kit` line (070
   * and its down copy a table online with the kit's helpers); one that uses it without `kit` is a problem.
   */
  static Map<String, String> expandNumbered(Map<String, String> files, String kit, List<String> problems) {
    Map<String, String> out = new TreeMap<>();
    String joined = null;
    for (var e : files.entrySet()) {
      Matcher m = USE.matcher(e.getValue());
      if (!m.find()) {
        out.put(e.getKey(), e.getValue());
        continue;
      }
      if (kit == null) {
        problems.add(e.getKey() + ": uses the online kit (`" + LINE + "`), but " + KodiaiFiles.FROM_KODIAI + "/"
            + FILE + " is missing");
        out.put(e.getKey(), e.getValue());
        continue;
      }
      if (joined == null) joined = oneLine(kit, problems);
      out.put(e.getKey(), m.replaceAll(Matcher.quoteReplacement(joined)));
    }
    return out;
  }

  /** The conversion of kodiai file F under the migrations folder `dir`, the kit in place (tests, bench). */
  static String read(Path dir, String kodiaiFile) throws IOException {
    Path sub = dir.resolve(KodiaiFiles.FROM_KODIAI);
    Map<String, String> files = new TreeMap<>();
    files.put(kodiaiFile, Files.readString(sub.resolve(kodiaiFile), StandardCharsets.UTF_8));
    if (Files.exists(sub.resolve(FILE))) files.put(FILE, Files.readString(sub.resolve(FILE), StandardCharsets.UTF_8));
    List<String> problems = new java.util.ArrayList<>();
    Map<String, String> out = expand(files, problems);
    if (!problems.isEmpty()) throw new IOException(String.join("; ", problems));
    return out.get(kodiaiFile);
  }

  /**
   * The first line of the kit that the release at main 6f35d53 (2026-12-07, before 070) did not have: that release
   * recorded a conversion as `from-kodiai:` + the SHA-256 of the conversion WITH its kit expanded, so every helper
   * appended since made those conversions look edited (`validate`, `up`: exit 5). Its kit is today's up to this
   * line; PREVIOUS_RELEASE_KIT_SHA256 is the SHA-256 of its online-kit.sql.
   */
  static final String PREVIOUS_RELEASE_KIT_END = "-- Added with 070";
  static final String PREVIOUS_RELEASE_KIT_SHA256 = "ddce542443bb90dbb921d34d9200ec73097ac8aef126d6103a1294dd1bec2c2e";

  /**
   * The kit of the release at 6f35d53 (see PREVIOUS_RELEASE_KIT_END), cut from `kit` (today's); null where `kit` does
   * not start with it (then no checksum that release recorded can be rebuilt, and none is accepted in its name).
   */
  static String previousReleaseKit(String kit) {
    if (kit == null) return null;
    Matcher end = Pattern.compile("(?m)^" + Pattern.quote(PREVIOUS_RELEASE_KIT_END)).matcher(kit);
    String then = (end.find() ? kit.substring(0, end.start()) : kit).stripTrailing() + "\n";
    return MigrationSource.checksum(then).equals(PREVIOUS_RELEASE_KIT_SHA256) ? then : null;
  }

  /** The kit's statements on one line: its comment lines and blank lines dropped, the rest joined by spaces. */
  static String oneLine(String kit, List<String> problems) {
    StringBuilder b = new StringBuilder();
    int n = 0;
    for (String line : kit.split("\\R")) {
      n++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("--")) continue;
      if (t.contains("--")) {
        problems.add(KodiaiFiles.FROM_KODIAI + "/" + FILE + " line " + n + ": a `--` comment inside a statement;"
            + " move it above the statement (the kit is joined onto one line)");
      }
      if (b.length() > 0) b.append(' ');
      b.append(t);
    }
    return b.toString();
  }
}
