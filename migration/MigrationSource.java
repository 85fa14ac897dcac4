// Shared source: where migrations come from (a folder, or the files bundled with
// the tool as classpath resources under migrations/). Knows file names, versions,
// checksums, the no-transaction marker and how a file splits into statements;
// knows nothing about databases (that is Migrator's side).

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

final class MigrationSource {
  /** `NNN-name.sql` or `NNN-name.down.sql`: digits, a dash, lowercase words joined by - or _. */
  static final Pattern FILE_NAME = Pattern.compile("(\\d+)-([a-z0-9][a-z0-9_-]*?)(\\.down)?\\.sql");
  /** Put this on a line of its own among a file's leading comments to run it outside a transaction. */
  static final String NO_TRANSACTION_MARKER = "-- migrate:no-transaction";

  /** One migration: its up file, and its down file if there is one. */
  record Migration(int version, String name, String fileName, String sql, String checksum,
                   boolean transactional, String downFileName, String downSql) {
    String label() { return String.format("%03d-%s", version, name); }
    boolean hasDown() { return downSql != null; }
  }

  /** One statement of a file and the line it starts on (1-based). */
  record Statement(String sql, int line) {}

  final String description;          // where the files came from, for messages
  final List<Migration> migrations;  // sorted by version

  private MigrationSource(String description, List<Migration> migrations) {
    this.description = description;
    this.migrations = migrations;
  }

  /** The migrations in a folder, or (dir == null) those bundled with the tool. */
  static MigrationSource load(Path dir) {
    try {
      if (dir != null) {
        if (!Files.isDirectory(dir)) throw invalid("migrations folder " + dir + " does not exist");
        return fromFolder(dir.toString(), dir);
      }
      URL url = MigrationSource.class.getResource("/migrations/");
      if (url == null) throw invalid("no migrations are bundled with this tool; pass --dir FOLDER");
      if ("file".equals(url.getProtocol())) return fromFolder("bundled migrations", Path.of(url.toURI()));
      // Read the jar directly (not through a zip FileSystem, of which a JVM may open only one per jar at a time).
      String jar = url.toString().substring("jar:".length(), url.toString().indexOf("!/"));
      Map<String, String> files = new TreeMap<>();
      try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(Path.of(URI.create(jar)).toFile())) {
        for (var e : java.util.Collections.list(zip.entries())) {
          String n = e.getName();
          if (e.isDirectory() || !n.startsWith("migrations/") || n.indexOf('/', 11) >= 0 || !n.endsWith(".sql")) continue;
          try (var in = zip.getInputStream(e)) { files.put(n.substring(11), new String(in.readAllBytes(), StandardCharsets.UTF_8)); }
        }
      }
      return fromFiles("bundled migrations", files);
    } catch (IOException | java.net.URISyntaxException e) {
      throw invalid("cannot read migrations: " + e.getMessage());
    }
  }

  private static MigrationSource fromFolder(String description, Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (Files.isRegularFile(p) && n.endsWith(".sql")) files.put(n, Files.readString(p, StandardCharsets.UTF_8));
      }
    }
    return fromFiles(description, files);
  }

  /** Builds the set from file names and contents, reporting every problem at once. */
  static MigrationSource fromFiles(String description, Map<String, String> files) {
    List<String> problems = new ArrayList<>();
    Map<Integer, String> ups = new TreeMap<>();
    Map<Integer, String> downs = new TreeMap<>();
    for (String file : files.keySet()) {
      Matcher m = FILE_NAME.matcher(file);
      if (!m.matches()) {
        problems.add(file + ": name does not fit NNN-name.sql / NNN-name.down.sql (digits, '-', lowercase letters, digits, '-' or '_')");
        continue;
      }
      int version;
      try {
        version = Integer.parseInt(m.group(1));
      } catch (NumberFormatException e) {
        problems.add(file + ": version number too large");
        continue;
      }
      if (version == 0) { problems.add(file + ": version 0 is reserved (it means 'nothing applied')"); continue; }
      Map<Integer, String> side = m.group(3) == null ? ups : downs;
      String other = side.putIfAbsent(version, file);
      if (other != null) problems.add(file + ": duplicate version " + version + " (also " + other + ")");
    }
    for (var e : downs.entrySet()) {
      String up = ups.get(e.getKey());
      if (up == null) problems.add(e.getValue() + ": down file without its migration");
      else if (!e.getValue().equals(up.replace(".sql", ".down.sql")))
        problems.add(e.getValue() + ": name does not match its migration " + up);
    }
    if (!problems.isEmpty()) throw invalid(description + ": " + String.join("; ", problems));

    for (var e : files.entrySet()) {
      if (!FILE_NAME.matcher(e.getKey()).matches() || hasNoTransactionMarker(e.getValue())) continue;
      for (Statement st : split(e.getValue())) {
        if (TRANSACTION_CONTROL.matcher(st.sql()).lookingAt())
          problems.add(e.getKey() + " line " + st.line() + ": '" + st.sql().split("\\s+")[0]
              + "' would end the transaction the runner wraps the file in (half-applying it); remove it, or put `"
              + NO_TRANSACTION_MARKER + "` first and run the file statement by statement");
      }
    }
    if (!problems.isEmpty()) throw invalid(description + ": " + String.join("; ", problems));

    List<Migration> list = new ArrayList<>();
    for (var e : ups.entrySet()) {
      String file = e.getValue();
      Matcher m = FILE_NAME.matcher(file);
      m.matches();
      String sql = files.get(file);
      String down = downs.get(e.getKey());
      list.add(new Migration(e.getKey(), m.group(2), file, sql, checksum(sql), !hasNoTransactionMarker(sql),
          down, down == null ? null : files.get(down)));
    }
    return new MigrationSource(description, List.copyOf(list));
  }

  /**
   * The kodiai-db checkout this runs in: the nearest folder up from the working directory that
   * holds jbang-catalog.json and migrations/; null outside one (as through a registered catalog).
   */
  static Path checkoutRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
      if (Files.exists(p.resolve("jbang-catalog.json")) && Files.isDirectory(p.resolve("migrations"))) return p;
    return null;
  }

  /** A file-set problem found before anything runs. */
  private static MigrationException invalid(String message) { return new MigrationException(ExitCode.VALIDATION, message); }

  Migration byVersion(int version) {
    return migrations.stream().filter(m -> m.version() == version).findFirst().orElse(null);
  }

  int latestVersion() { return migrations.isEmpty() ? 0 : migrations.get(migrations.size() - 1).version(); }

  /** Statements that end or start a transaction (SAVEPOINT and ROLLBACK TO stay inside it and are fine). */
  private static final Pattern TRANSACTION_CONTROL = Pattern.compile(
      "(?i)(begin|start\\s+transaction|commit|end|abort|prepare\\s+transaction|rollback(?!\\s+(work\\s+|transaction\\s+)?to\\b))\\b");

  /** SHA-256 of the file with line endings normalised, so a CRLF checkout is not an edit. */
  static String checksum(String sql) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(sql.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The marker counts only among the leading comments and blank lines of the file. */
  static boolean hasNoTransactionMarker(String sql) {
    for (String line : sql.split("\n")) {
      String t = line.strip();
      if (t.isEmpty()) continue;
      if (!t.startsWith("--")) return false;
      if (t.equalsIgnoreCase(NO_TRANSACTION_MARKER)) return true;
    }
    return false;
  }

  /**
   * Splits a file into statements on top-level semicolons, skipping quoted strings,
   * quoted identifiers, E'' strings, dollar-quoted bodies, line and (nested) block
   * comments. Each statement remembers its first line for error messages.
   */
  static List<Statement> split(String sql) {
    List<Statement> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int line = 1, startLine = -1, i = 0, n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      int end = i + 1; // exclusive end of the token starting at i
      if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        end = sql.indexOf('\n', i);
        end = end < 0 ? n : end;
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int depth = 1, j = i + 2;
        while (j < n && depth > 0) {
          if (sql.startsWith("/*", j)) { depth++; j += 2; }
          else if (sql.startsWith("*/", j)) { depth--; j += 2; }
          else j++;
        }
        end = j;
      } else if (c == '\'' || c == '"') {
        boolean backslashes = c == '\'' && i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
            && (i < 2 || !Character.isLetterOrDigit(sql.charAt(i - 2)));
        int j = i + 1;
        while (j < n) {
          char d = sql.charAt(j);
          if (backslashes && d == '\\') { j += 2; continue; }
          if (d == c) {
            if (j + 1 < n && sql.charAt(j + 1) == c) { j += 2; continue; } // doubled quote
            break;
          }
          j++;
        }
        end = Math.min(n, j + 1);
      } else if (c == '$') {
        Matcher m = DOLLAR_TAG.matcher(sql).region(i, n);
        if (m.lookingAt() && (i == 0 || !Character.isLetterOrDigit(sql.charAt(i - 1)) && sql.charAt(i - 1) != '_')) {
          int close = sql.indexOf(m.group(), i + m.group().length());
          end = close < 0 ? n : close + m.group().length();
        }
      } else if (c == ';') {
        if (startLine > 0) out.add(new Statement(cur.toString().strip(), startLine));
        cur.setLength(0);
        startLine = -1;
        i++;
        continue;
      }
      String token = sql.substring(i, end);
      boolean comment = token.startsWith("--") || token.startsWith("/*");
      if (startLine < 0 && !comment && !Character.isWhitespace(c)) startLine = line;
      if (startLine > 0 || !comment) cur.append(token);
      for (int k = i; k < end; k++) if (sql.charAt(k) == '\n') line++;
      i = end;
    }
    if (startLine > 0 && !cur.toString().isBlank()) out.add(new Statement(cur.toString().strip(), startLine));
    return out;
  }

  private static final Pattern DOLLAR_TAG = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)?\\$");
}
