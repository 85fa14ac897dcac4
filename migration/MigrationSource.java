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

  /**
   * One migration: its up file, and its down file if there is one; the kodiai files it declares
   * (KodiaiFiles); convertedFrom: null, or for a migration applied by conversion (see converted())
   * the from-kodiai files whose SQL this carries instead of the migration's own.
   */
  record Migration(int version, String name, String fileName, String sql, String checksum,
                   boolean transactional, String downFileName, String downSql,
                   List<KodiaiFiles.Declared> kodiai, String convertedFrom) {
    String label() { return String.format("%03d-%s", version, name); }
    boolean hasDown() { return downSql != null; }

    /** converted(files, conversionSql, conversionSql): for conversions that do not use the kit. */
    Migration converted(List<String> files, String conversionSql) {
      return converted(files, conversionSql, conversionSql);
    }

    /**
     * This migration as applied where kodiai's runner already applied what it carries: the
     * conversions' SQL (joined in order, the kit in place) instead of its own, recorded under its own name with the
     * checksum `from-kodiai:` + the checksum of `ownSql`, the conversions' own text (joined the same way, the kit
     * line as written): helpers appended to the kit must not make an applied conversion look edited.
     * Transactional unless the first says otherwise.
     */
    Migration converted(List<String> files, String conversionSql, String ownSql) {
      return new Migration(version, name, fileName, conversionSql, KodiaiFiles.CONVERTED_PREFIX
          + MigrationSource.checksum(ownSql),
          !hasNoTransactionMarker(conversionSql), downFileName, downSql, kodiai,
          String.join(", ", files.stream().map(f -> KodiaiFiles.FROM_KODIAI + "/" + f).toList()));
    }

    /** The file whose SQL runs, for messages: the migration's, or its conversions'. */
    String runsFile() { return convertedFrom == null ? fileName : convertedFrom + " (for " + fileName + ")"; }
  }

  /** One statement of a file and the line it starts on (1-based). */
  record Statement(String sql, int line) {}

  final String description;          // where the files came from, for messages
  final List<Migration> migrations;  // sorted by version
  final List<String> warnings;       // files that look like migrations but are ignored, one line each
  /** migrations/from-kodiai/: kodiai file name -> the SQL that converts kodiai's objects of that file to ours. */
  final Map<String, String> fromKodiai;
  /** The same as written (the kit line not expanded), with the kit under its name: what checksums cover. */
  private final Map<String, String> conversionTexts;
  private final Map<String, List<Statement>> statements = new java.util.IdentityHashMap<>(); // split once per file

  private MigrationSource(String description, List<Migration> migrations, List<String> warnings,
      Map<String, List<Statement>> split,
      Map<String, String> fromKodiai, Map<String, String> conversionTexts) {
    this.description = description;
    this.migrations = migrations;
    this.warnings = warnings;
    this.fromKodiai = Map.copyOf(fromKodiai);
    this.conversionTexts = Map.copyOf(conversionTexts);
    this.statements.putAll(split);
  }

  /** A file of this set (its text, as held here) split into statements; split once. */
  synchronized List<Statement> statements(String sql) {
    return statements.computeIfAbsent(sql, MigrationSource::split);
  }

  /** The migrations in a folder, or (dir == null) those bundled with the tool. */
  static MigrationSource load(Path dir) {
    try {
      if (dir != null) {
        if (!Files.isDirectory(dir)) {
          if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.exists(dir))
            throw new MigrationException(new MigrationException.BadFolder(dir.toString(),
                "is a symbolic link to nothing (" + linkTarget(dir) + ")"));
          throw new MigrationException(new MigrationException.BadFolder(dir.toString(),
              Files.exists(dir) ? "is not a folder" : "does not exist"));
        }
        return fromFolder(dir.toString(), dir);
      }
      URL url = MigrationSource.class.getResource("/migrations/");
      if (url == null) throw new MigrationException(new MigrationException.NothingBundled());
      if ("file".equals(url.getProtocol())) return fromFolder("bundled migrations", Path.of(url.toURI()));
      // Read the jar directly (not through a zip FileSystem, of which a JVM may open only one per jar at a time).
      String jar = url.toString().substring("jar:".length(), url.toString().indexOf("!/"));
      Map<String, String> files = new TreeMap<>(), conversions = new TreeMap<>();
      List<String> problems = new ArrayList<>();
      String sub = "migrations/" + KodiaiFiles.FROM_KODIAI + "/";
      try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(Path.of(URI.create(jar)).toFile())) {
        for (var e : java.util.Collections.list(zip.entries())) {
          String n = e.getName();
          if (e.isDirectory() || !n.startsWith("migrations/") || !n.endsWith(".sql")) continue;
          boolean conversion = n.startsWith(sub) && n.indexOf('/', sub.length()) < 0;
          if (!conversion && n.indexOf('/', 11) >= 0) continue;
          String file = n.substring(conversion ? sub.length() : 11);
          try (var in = zip.getInputStream(e)) {
            (conversion ? conversions : files).put(file, decode(n.substring(11), in.readAllBytes(), problems));
          }
        }
      }
      return fromFiles("bundled migrations", files, problems, List.of(), conversions);
    } catch (IOException e) {
      String what = "the migrations" + (dir == null ? "" : " in " + dir);
      throw new MigrationException(new MigrationException.Unreadable(what, reason(e),
          "; check that the folder and its files are readable by this user"), e);
    } catch (java.net.URISyntaxException e) {
      throw new MigrationException(new MigrationException.Unreadable("the bundled migrations", e.getMessage(), ""), e);
    }
  }

  private static MigrationSource fromFolder(String description, Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    List<Path> entries;
    try (Stream<Path> s = Files.list(dir)) { entries = s.sorted().toList(); }
    for (Path p : entries) {
      String n = p.getFileName().toString();
      if (!n.toLowerCase(java.util.Locale.ROOT).endsWith(".sql")) continue; // README.md and friends
      if (!n.endsWith(".sql")) {
        warnings.add(n + ": ignored: migration files end in lowercase .sql; rename it if it is one");
      } else if (Files.isSymbolicLink(p) && !Files.exists(p)) {
        warnings.add(n + ": ignored: a symbolic link to nothing (" + linkTarget(p) + ")");
      } else if (Files.isRegularFile(p)) {
        try {
          files.put(n, decode(n, Files.readAllBytes(p), problems));
        } catch (IOException e) {
          throw new MigrationException(new MigrationException.Unreadable(p.toString(), reason(e), READABLE), e);
        }
      }
    }
    Map<String, String> conversions = new TreeMap<>();
    Path sub = dir.resolve(KodiaiFiles.FROM_KODIAI);
    if (Files.isDirectory(sub)) {
      try (Stream<Path> s = Files.list(sub)) { entries = s.sorted().toList(); }
      for (Path p : entries) {
        String n = p.getFileName().toString();
        if (!n.endsWith(".sql") || !Files.isRegularFile(p)) continue; // its README
        try {
          conversions.put(n, decode(KodiaiFiles.FROM_KODIAI + "/" + n, Files.readAllBytes(p), problems));
        } catch (IOException e) {
          throw new MigrationException(new MigrationException.Unreadable(p.toString(), reason(e), READABLE), e);
        }
      }
    }
    return fromFiles(description, files, problems, warnings, conversions);
  }

  /**
   * The file as text: UTF-8, a leading byte-order mark dropped; anything else is a problem naming the file and where.
   */
  private static String decode(String file, byte[] bytes, List<String> problems) {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
    var result = decoder.decode(in, out, true);
    if (result.isError()) {
      int at = in.position(), line = 1;
      for (int i = 0; i < at; i++) if (bytes[i] == '\n') line++;
      problems.add(file + ": not UTF-8 text (line " + line + ", byte 0x" + String.format("%02X", bytes[at] & 0xff)
          + " at offset " + at + "; Latin-1 or Windows-1252?); save it as UTF-8");
      return "";
    }
    decoder.flush(out);
    String text = out.flip().toString();
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  private static String linkTarget(Path link) {
    try { return "-> " + Files.readSymbolicLink(link); } catch (IOException e) { return "unreadable link"; }
  }

  /** Why a file operation failed, in words (Java's own message is often just the path). */
  static String reason(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
    if (e instanceof java.nio.file.NoSuchFileException) return "no such file or folder";
    if (e instanceof java.nio.file.NotDirectoryException) return "not a folder";
    if (e instanceof java.nio.file.FileSystemException fe && fe.getReason() != null) return fe.getReason();
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** Builds the set from file names and contents, reporting every problem at once. */
  static MigrationSource fromFiles(String description, Map<String, String> files) {
    return fromFiles(description, files, new ArrayList<>(), List.of(), Map.of());
  }

  /** The same, with conversions (migrations/from-kodiai/: kodiai file name -> SQL). */
  static MigrationSource fromFiles(String description, Map<String, String> files, Map<String, String> fromKodiai) {
    return fromFiles(description, files, new ArrayList<>(), List.of(), fromKodiai);
  }

  private static MigrationSource fromFiles(String description, Map<String, String> given,
      List<String> problems, List<String> warnings,
      Map<String, String> fromKodiai) {
    Map<String, String> raw = withoutByteOrderMark(given);
    Map<String, String> files = ConversionKit.expandNumbered(raw, fromKodiai.get(ConversionKit.FILE), problems);
    Map<Integer, String> ups = new TreeMap<>();
    Map<Integer, String> downs = new TreeMap<>();
    byVersion(files.keySet(), ups, downs, problems);
    if (!problems.isEmpty()) throw invalid(description, problems);

    Map<String, List<Statement>> split = splitInTransaction(files, problems);
    Map<String, String> texts = withoutByteOrderMark(fromKodiai);
    Map<String, String> conversions = ConversionKit.expand(texts, problems);
    checkConversions(conversions, split, problems);
    if (!problems.isEmpty()) throw invalid(description, problems);

    List<Migration> list = migrations(files, raw, ups, downs, problems);
    if (!problems.isEmpty()) throw invalid(description, problems);
    return new MigrationSource(description, List.copyOf(list), List.copyOf(warnings), split, conversions, texts);
  }

  /** m applied by converting kodiai's `files` (Migration.converted): their SQL (kit in place), own text's checksum. */
  Migration converted(Migration m, List<String> files) {
    return m.converted(files, joined(fromKodiai, files), joined(conversionTexts, files));
  }

  /**
   * The checksum the release before own-text checksums recorded for m converting `files` (the kit expanded, the kit
   * as it was then: ConversionKit.previousReleaseKit); null where that kit is not the one in hand.
   */
  String previousReleaseChecksum(List<String> files) {
    String kit = ConversionKit.previousReleaseKit(conversionTexts.get(ConversionKit.FILE));
    if (kit == null) return null;
    Map<String, String> then = new TreeMap<>();
    for (String f : files) then.put(f, conversionTexts.get(f));
    then.put(ConversionKit.FILE, kit);
    List<String> problems = new ArrayList<>();
    Map<String, String> expanded = ConversionKit.expand(then, problems);
    return problems.isEmpty() ? KodiaiFiles.CONVERTED_PREFIX + checksum(joined(expanded, files)) : null;
  }

  /** The texts of `files`, joined by a newline in that order (as the conversions of one migration run). */
  private static String joined(Map<String, String> texts, List<String> files) {
    return String.join("\n", files.stream().map(texts::get).toList());
  }

  /** A byte-order mark is no SQL (psql would send it on to the server, which calls it a syntax error). */
  private static Map<String, String> withoutByteOrderMark(Map<String, String> given) {
    Map<String, String> files = new TreeMap<>();
    given.forEach((name, text) -> files.put(name, text.startsWith("\uFEFF") ? text.substring(1) : text));
    return files;
  }

  /** Sorts the file names into migrations and down files by version, each name and pairing checked. */
  private static void byVersion(Iterable<String> names, Map<Integer, String> ups, Map<Integer, String> downs,
      List<String> problems) {
    for (String file : names) {
      Matcher m = FILE_NAME.matcher(file);
      if (!m.matches()) {
        problems.add(file + ": name does not fit NNN-name.sql / NNN-name.down.sql"
            + " (digits, '-', lowercase letters, digits, '-' or '_')");
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
  }

  /** Each transactional file's statements (keyed by its text), refusing those that would end the transaction. */
  private static Map<String, List<Statement>> splitInTransaction(Map<String, String> files, List<String> problems) {
    Map<String, List<Statement>> split = new java.util.IdentityHashMap<>();
    for (var e : files.entrySet()) {
      if (!FILE_NAME.matcher(e.getKey()).matches() || hasNoTransactionMarker(e.getValue())) continue;
      for (Statement st : split.computeIfAbsent(e.getValue(), MigrationSource::split)) {
        if (TRANSACTION_CONTROL.matcher(st.sql()).lookingAt())
          problems.add(e.getKey() + " line " + st.line() + ": '" + st.sql().split("\\s+")[0]
              + "' would end the transaction the runner wraps the file in (half-applying it); remove it, or put `"
              + NO_TRANSACTION_MARKER + "` first and run the file statement by statement");
      }
    }
    return split;
  }

  /** The migrations in version order, each with its down file and the kodiai files it declares (once each). */
  private static List<Migration> migrations(Map<String, String> files, Map<String, String> raw,
      Map<Integer, String> ups, Map<Integer, String> downs, List<String> problems) {
    List<Migration> list = new ArrayList<>();
    Map<String, String> declaredBy = new TreeMap<>();
    for (var e : ups.entrySet()) {
      String file = e.getValue();
      Matcher m = FILE_NAME.matcher(file);
      m.matches();
      String sql = files.get(file);
      String down = downs.get(e.getKey());
      List<KodiaiFiles.Declared> kodiai = KodiaiFiles.declared(file, sql, problems);
      for (var d : kodiai) {
        String other = declaredBy.put(d.file(), file);
        if (other != null) problems.add(file + ": declares kodiai's " + d.file() + ", which " + other
            + " declares too; a file split"
            + " over several migrations is declared only by the last one carrying part of it");
      }
      // the checksum of the file's own bytes: the online kit it may use grows with later conversions (appended
      // helpers), which must not make an applied migration look edited
      list.add(new Migration(e.getKey(), m.group(2), file, sql, checksum(raw.get(file)), !hasNoTransactionMarker(sql),
          down, down == null ? null : files.get(down), List.copyOf(kodiai), null));
    }
    return list;
  }

  /** Conversions are named as kodiai's files and follow a migration's transaction rules. */
  private static void checkConversions(Map<String, String> conversions, Map<String, List<Statement>> split,
      List<String> problems) {
    for (var e : conversions.entrySet()) {
      String file = KodiaiFiles.FROM_KODIAI + "/" + e.getKey();
      if (!KodiaiFiles.FILE.matcher(e.getKey()).matches()) {
        problems.add(file + ": name is not a kodiai migration file's (NNN-name.sql, as in kodiai's src/db/migrations)");
      } else if (!hasNoTransactionMarker(e.getValue())) {
        for (Statement st : split.computeIfAbsent(e.getValue(), MigrationSource::split))
          if (TRANSACTION_CONTROL.matcher(st.sql()).lookingAt())
            problems.add(file + " line " + st.line() + ": '" + st.sql().split("\\s+")[0]
                + "' would end the transaction the runner"
                + " wraps the file in; remove it, or put `" + NO_TRANSACTION_MARKER + "` first");
      }
    }
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
  private static MigrationException invalid(String description, List<String> problems) {
    return new MigrationException(new MigrationException.InvalidFiles(description, List.copyOf(problems)));
  }

  private static final String READABLE = "; check that the file is readable by this user";

  /** Our migration of that file name, or null. */
  Migration byFileName(String fileName) {
    return migrations.stream().filter(m -> m.fileName().equals(fileName)).findFirst().orElse(null);
  }

  Migration byVersion(int version) {
    return migrations.stream().filter(m -> m.version() == version).findFirst().orElse(null);
  }

  int latestVersion() { return migrations.isEmpty() ? 0 : migrations.get(migrations.size() - 1).version(); }

  /** Statements that end or start a transaction (SAVEPOINT and ROLLBACK TO stay inside it and are fine). */
  private static final Pattern TRANSACTION_CONTROL = Pattern.compile(
      "(?i)(begin|start\\s+transaction|commit|end|abort|prepare\\s+transaction"
      + "|rollback(?!\\s+(work\\s+|transaction\\s+)?to\\b))\\b");

  /** SHA-256 of the file with line endings normalised, so a CRLF checkout is not an edit. */
  static String checksum(String sql) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(sql.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * `-- migrate:replaces <sha256>` among the leading comments: a row with that checksum counts as this file applied.
   */
  static final String REPLACES_MARKER = "-- migrate:replaces";
  private static final Pattern REPLACES_LINE = Pattern.compile("(?i)--\\s*migrate:replaces\\s+([0-9a-f]{64})");

  /**
   * The checksums of earlier versions of a file that it replaces, from its leading comments: a database
   * that applied one of them has applied this migration (a later migration converges what it left).
   */
  static List<String> replacedChecksums(String sql) {
    List<String> out = new ArrayList<>();
    for (String line : leadingComments(sql)) {
      Matcher m = REPLACES_LINE.matcher(line);
      if (m.matches()) out.add(m.group(1).toLowerCase(java.util.Locale.ROOT));
    }
    return out;
  }

  /** True when `checksum` is the file's own or one it replaces. */
  static boolean accepts(String sql, String ownChecksum, String checksum) {
    return checksum.equals(ownChecksum) || replacedChecksums(sql).contains(checksum);
  }

  private static List<String> leadingComments(String sql) {
    List<String> lines = new ArrayList<>();
    for (String line : sql.split("\\R", -1)) {
      String t = line.strip();
      if (t.isEmpty()) continue;
      if (!t.startsWith("--")) break;
      lines.add(t);
    }
    return lines;
  }

  /** The marker counts only among the leading comments and blank lines of the file. */
  static boolean hasNoTransactionMarker(String sql) {
    for (int from = 0; from < sql.length(); ) {
      int eol = sql.indexOf('\n', from);
      String t = sql.substring(from, eol < 0 ? sql.length() : eol).strip();
      from = eol < 0 ? sql.length() : eol + 1;
      if (t.isEmpty()) continue;
      if (!t.startsWith("--")) return false;
      if (t.equalsIgnoreCase(NO_TRANSACTION_MARKER)) return true;
    }
    return false;
  }

  /**
   * Splits a file into statements on top-level semicolons, in one pass (linear in the file's
   * length), the way psql does: semicolons inside quoted strings ('', E'' with backslash
   * escapes), quoted identifiers, dollar-quoted bodies, line and (nested) block comments,
   * parentheses, and the BEGIN ATOMIC ... END body of a CREATE [OR REPLACE] FUNCTION or
   * PROCEDURE (SQL-standard bodies, PostgreSQL 14+; CASE ... END nests inside) do not split.
   * Each statement remembers its first line for error messages.
   */
  static List<Statement> split(String sql) {
    List<Statement> out = new ArrayList<>();
    int n = sql.length(), line = 1, i = 0;
    int start = -1, startLine = 0;   // the current statement's first character and line
    int parens = 0, atomic = 0;      // open parentheses; open BEGIN/CASE ... END in a routine body
    int words = 0;                   // words so far in the statement, for CREATE [OR REPLACE] FUNCTION|PROCEDURE
    boolean create = false, orReplace = false, routine = false;
    while (i < n) {
      char c = sql.charAt(i);
      int end = i + 1; // exclusive end of the token starting at i
      boolean comment = false;
      int skipped = commentEnd(sql, i);
      if (skipped > 0) {
        end = skipped;
        comment = true;
      } else if (c == '\'' || c == '"') {
        end = quotedEnd(sql, i);
      } else if (c == '$' && (i == 0 || !isWordChar(sql.charAt(i - 1)))) {
        end = dollarQuotedEnd(sql, i);
      } else if (isWordStart(c)) {
        int j = i + 1;
        while (j < n && isWordChar(sql.charAt(j))) j++;
        end = j;
        if (start < 0) { start = i; startLine = line; }
        // As psql: in CREATE [OR REPLACE] FUNCTION|PROCEDURE, outside parentheses, BEGIN opens
        // a body that END closes, and inside one CASE opens another.
        if (++words <= 4) {
          String w = sql.substring(i, j).toLowerCase(java.util.Locale.ROOT);
          if (words == 1) create = w.equals("create");
          else if (words == 2) {
            orReplace = create && w.equals("or");
            routine = create && (w.equals("function") || w.equals("procedure"));
          }
          else if (words == 3 && orReplace) orReplace = w.equals("replace");
          else if (words == 4 && orReplace) routine = w.equals("function") || w.equals("procedure");
        } else if (routine && parens == 0) {
          int len = j - i;
          if (len == 5 && sql.regionMatches(true, i, "begin", 0, 5)) atomic++;
          else if (atomic > 0 && len == 4 && sql.regionMatches(true, i, "case", 0, 4)) atomic++;
          else if (atomic > 0 && len == 3 && sql.regionMatches(true, i, "end", 0, 3)) atomic--;
        }
      } else if (c == '(') {
        parens++;
      } else if (c == ')') {
        if (parens > 0) parens--;
      } else if (c == ';' && parens == 0 && atomic == 0) {
        if (start >= 0) out.add(new Statement(sql.substring(start, i).strip(), startLine));
        start = -1;
        words = 0;
        create = orReplace = routine = false;
        i++;
        continue;
      }
      if (start < 0 && !comment && !Character.isWhitespace(c)) { start = i; startLine = line; }
      for (int k = i; k < end; k++) if (sql.charAt(k) == '\n') line++;
      i = end;
    }
    if (start >= 0 && !sql.substring(start).isBlank()) out.add(new Statement(sql.substring(start).strip(), startLine));
    return out;
  }

  /** The end (exclusive) of a -- line comment or a nested block comment starting at i, or -1 when none does. */
  private static int commentEnd(String sql, int i) {
    int n = sql.length();
    if (i + 1 >= n) return -1;
    if (sql.charAt(i) == '-' && sql.charAt(i + 1) == '-') {
      int end = sql.indexOf('\n', i);
      return end < 0 ? n : end;
    }
    if (sql.charAt(i) != '/' || sql.charAt(i + 1) != '*') return -1;
    int depth = 1, j = i + 2;
    while (j < n && depth > 0) {
      if (sql.startsWith("/*", j)) { depth++; j += 2; }
      else if (sql.startsWith("*/", j)) { depth--; j += 2; }
      else j++;
    }
    return j;
  }

  /** The end (exclusive) of the '' string (E'' with backslash escapes) or "" identifier starting at i. */
  private static int quotedEnd(String sql, int i) {
    int n = sql.length();
    char c = sql.charAt(i);
    boolean backslashes = c == '\'' && i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
        && (i < 2 || !isWordChar(sql.charAt(i - 2)));
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
    return Math.min(n, j + 1);
  }

  private static boolean isWordChar(char c) {
    return c < 128 ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$'
        : Character.isLetterOrDigit(c);
  }

  private static boolean isWordStart(char c) {
    return c < 128 ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' : Character.isLetter(c);
  }

  /** The end (exclusive) of the $tag$ ... $tag$ body starting at i, or i + 1 when no tag starts there. */
  private static int dollarQuotedEnd(String sql, int i) {
    int tagEnd = dollarTagEnd(sql, i);
    if (tagEnd < 0) return i + 1;
    int close = sql.indexOf(sql.substring(i, tagEnd), tagEnd);
    return close < 0 ? sql.length() : close + (tagEnd - i);
  }

  /** The end (exclusive) of a dollar-quote tag $tag$ or $$ starting at i, or -1 when there is none. */
  private static int dollarTagEnd(String sql, int i) {
    int j = i + 1, n = sql.length();
    if (j < n && (Character.isLetter(sql.charAt(j)) || sql.charAt(j) == '_'))
      while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) j++;
    return j < n && sql.charAt(j) == '$' ? j + 1 : -1;
  }
}
