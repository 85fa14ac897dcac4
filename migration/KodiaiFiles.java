// Shared source: what kodiai-db knows of kodiai's own migration files (src/db/migrations of
// the bot's repository) and of the rows its runner (src/db/migrate.ts) writes into _migrations.
// kodiai's runner reads `SELECT name FROM _migrations` and applies every NNN-*.sql (not
// .down.sql) of its folder whose name is absent, one transaction each, then records it with
// `INSERT INTO _migrations (name) VALUES ($1)`: a name-only row (no version, no checksum).
//  - A migration of ours that carries a kodiai file declares it among its leading comments,
//    one line per file: `-- kodiai: 004-webhook-queue.sql 1a2b3c4d5e6f` (the first 12 hex
//    digits of the SHA-256 of that file's bytes). When ours is applied, the runner records a
//    row under kodiai's name (status 'provided', provided_by = our file), so kodiai's runner
//    skips the file.
//  - migrations/from-kodiai/<kodiai file>: a conversion from kodiai's objects to ours, run
//    instead of our migration where kodiai's runner already applied the file itself.
//  - recognise(): whether _migrations holds kodiai's runner rows, and which files (the hook
//    the adoption of a bot-built database starts from; docs/migrate.md).
//  - drift(): kodiai files kodiai-db does not carry, and carried ones kodiai edited since.
// Knows nothing of databases; MigrationTable classifies the rows, Migrator acts on them.

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

final class KodiaiFiles {
  private KodiaiFiles() {}

  /** A file of kodiai's migrations folder as its runner picks it: NNN-name.sql, not a .down.sql. */
  static final Pattern FILE = Pattern.compile("(\\d+)-[a-z0-9][a-z0-9_-]*\\.sql");
  /** The header line, among a migration's leading comments. */
  static final String HEADER = "-- kodiai:";
  private static final Pattern HEADER_LINE = Pattern.compile("--\\s*kodiai:(.*)");
  private static final Pattern HEADER_VALUE = Pattern.compile("\\s+(\\S+)\\s+([0-9a-f]{12})\\s*");
  /** Where conversions live, inside the migrations folder (and among the bundled files). */
  static final String FROM_KODIAI = "from-kodiai";
  /** The checksum recorded for a migration applied by conversion: this prefix, then the conversion's checksum. */
  static final String CONVERTED_PREFIX = "from-kodiai:";

  /** One `-- kodiai: FILE SHA12` line of one of our migrations. */
  record Declared(String file, String sha12) {}

  /**
   * The kodiai files a migration declares, from its leading comments (where the no-transaction
   * and replaces markers live too). A malformed line is a problem naming our file, not a guess.
   */
  static List<Declared> declared(String ourFile, String sql, List<String> problems) {
    List<Declared> out = new ArrayList<>();
    for (String line : sql.split("\\R", -1)) {
      String t = line.strip();
      if (t.isEmpty()) continue;
      if (!t.startsWith("--")) break;
      Matcher h = HEADER_LINE.matcher(t);
      if (!h.matches()) continue;
      Matcher v = HEADER_VALUE.matcher(h.group(1));
      if (!v.matches() || !FILE.matcher(v.group(1)).matches()) {
        problems.add(ourFile + ": malformed header '" + t + "'; write `" + HEADER
            + " NNN-name.sql <first 12 hex digits of its SHA-256>`, one line per kodiai file");
      } else if (out.stream().anyMatch(d -> d.file().equals(v.group(1)))) {
        problems.add(ourFile + ": declares " + v.group(1) + " twice");
      } else {
        out.add(new Declared(v.group(1), v.group(2)));
      }
    }
    return out;
  }

  /** The first 12 hex digits of the SHA-256 of a file's bytes, as headers quote them. */
  static String sha12(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A kodiai file's number ("038" of 038-prompt-section-events.sql), or -1 for another name. */
  static int number(String file) {
    Matcher m = FILE.matcher(file == null ? "" : file);
    if (!m.matches()) return -1;
    try {
      return Integer.parseInt(m.group(1));
    } catch (NumberFormatException tooLong) {
      return -1;
    }
  }

  // ------------------------------------------------------------------ recognition

  /**
   * What _migrations says about kodiai's runner: the kodiai file names it recorded (name-only
   * rows: no version, no checksum, as `INSERT INTO _migrations (name)` leaves them), when it built
   * the database (its 001 is among them). Empty: not built by it (kodiai's runner may still have
   * applied files kodiai-db does not carry on a database of ours: status lists those rows). The
   * adoption of a bot-built database adds its schema checks beside this.
   */
  record Recognition(List<String> files) {
    boolean builtByKodiai() { return !files.isEmpty(); }

    /** "a database built by kodiai's own runner, files 001-054", or null when there is no sign of it. */
    String line() { return files.isEmpty() ? null : "a database built by kodiai's own runner, files " + ranges(files); }
  }

  static Recognition recognise(List<String> nameOnlyRows) {
    List<String> files = nameOnlyRows.stream().filter(n -> number(n) >= 0).sorted().toList();
    return new Recognition(files.stream().anyMatch(n -> number(n) == 1) ? files : List.of());
  }

  /** File numbers as compressed ranges: 001-003, 005, 007-054 (kodiai's two 038s count once). */
  static String ranges(List<String> files) {
    TreeSet<Integer> numbers = new TreeSet<>();
    for (String f : files) if (number(f) >= 0) numbers.add(number(f));
    StringBuilder out = new StringBuilder();
    Integer start = null, prev = null;
    for (int n : numbers) {
      if (prev != null && n == prev + 1) { prev = n; continue; }
      if (start != null) out.append(out.length() == 0 ? "" : ", ").append(range(start, prev));
      start = prev = n;
    }
    if (start != null) out.append(out.length() == 0 ? "" : ", ").append(range(start, prev));
    return out.toString();
  }

  private static String range(int from, int to) {
    return from == to ? String.format("%03d", from) : String.format("%03d-%03d", from, to);
  }

  // ------------------------------------------------------------------ drift

  /** kodiai files kodiai-db does not carry, and carried files whose bytes differ from the header's. */
  record Drift(List<String> notCarried, List<String> edited) {
    boolean none() { return notCarried.isEmpty() && edited.isEmpty(); }
  }

  /**
   * Compares kodiai's folder (file name -> bytes) with our migrations: a kodiai file is carried
   * when one of our migrations declares it or has its very name (001-003); a declared file whose
   * SHA-256 does not start with the header's 12 digits was edited by kodiai since.
   */
  static Drift drift(MigrationSource ours, Map<String, byte[]> kodiai) {
    Map<String, String> declaredBy = new TreeMap<>();
    Map<String, String> sha = new TreeMap<>();
    for (var m : ours.migrations)
      for (Declared d : m.kodiai()) { declaredBy.put(d.file(), m.fileName()); sha.put(d.file(), d.sha12()); }
    List<String> notCarried = new ArrayList<>(), edited = new ArrayList<>();
    for (var e : new TreeMap<>(kodiai).entrySet()) {
      String f = e.getKey();
      if (declaredBy.containsKey(f)) {
        String now = sha12(e.getValue());
        if (!now.equals(sha.get(f)))
          edited.add(f + " (kodiai's is " + now + ", " + declaredBy.get(f) + " declares " + sha.get(f) + ")");
      } else if (ours.migrations.stream().noneMatch(m -> m.fileName().equals(f))) {
        notCarried.add(f);
      }
    }
    return new Drift(List.copyOf(notCarried), List.copyOf(edited));
  }

  /**
   * kodiai's migration files under `path`: a checkout (its src/db/migrations) or that folder
   * itself; the files its runner would pick (NNN-*.sql, not .down.sql), by name.
   */
  static Map<String, byte[]> readFolder(Path path) {
    Path dir = Files.isDirectory(path.resolve("src/db/migrations")) ? path.resolve("src/db/migrations") : path;
    if (!Files.isDirectory(dir))
      throw new MigrationException(new MigrationException.NotKodiaiFolder(path.toString(), Files.exists(path)));
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.sorted().toList()) {
        String n = p.getFileName().toString();
        if (FILE.matcher(n).matches() && Files.isRegularFile(p)) files.put(n, Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new MigrationException(new MigrationException.Unreadable(dir.toString(), MigrationSource.reason(e), ""), e);
    }
    if (files.isEmpty())
      throw new MigrationException(new MigrationException.NoKodiaiMigration(dir.toString()));
    return files;
  }
}
