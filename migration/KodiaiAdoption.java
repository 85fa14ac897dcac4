// Shared source (//SOURCES migration/*.java): adopting a database that kodiai's own runner built (issue 23,
// docs/adopt.md). Three things the migration runner calls:
//   recognize(conn, ours)  what the database is: not kodiai's (no row names one of kodiai's files 004-054),
//                          kodiai's at 24fba64a (files 001-054, every
//                          table as KodiaiSchema lists it), or a conversion under way; an unknown kodiai
//                          file or an edited kodiai schema is refused (exit 5) with every difference, and
//                          nothing is changed (it only reads);
//   sums(conn)             per converted table, its row count and a checksum of every value in a form that
//                          survives the conversion (int4 and int8 as numbers, JSON text and jsonb as the same
//                          canonical JSON, real as the value it converts to, vector and halfvec as halfvec);
//                          compare(before, after, out) prints them and names the tables that differ;
//   step(kodiaiFile)       the conversion of kodiai file F (migrations/from-kodiai/F) that `up` applies
//                          instead of our migration declaring F, when kodiai's runner recorded F.
// Migrator.adoption calls recognize before `up`, `status` and `validate` plan, and proves each foundation step
// (and each later conversion of PROVED_LATER's tables: provedTables) with sums/compare; convert(conn, dir, out)
// runs the foundation's steps on their own (tests, bench adopt).

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

final class KodiaiAdoption {
  private KodiaiAdoption() {}

  enum State { NOT_KODIAI, KODIAI, CONVERTING }

  record Recognition(State state, List<String> kodiaiFiles, String line) {}

  record TableSum(long rows, String checksum) {}

  /** The tables from-kodiai/001-003 convert: kodiai's 001 (with its later changes to them). */
  static final List<String> FOUNDATION = List.of("reviews", "findings", "suppression_log", "global_patterns",
      "feedback_reactions", "run_state", "author_cache", "dep_bump_merge_history", "review_checkpoints",
      "telemetry_events", "rate_limit_events", "retrieval_quality_events", "resilience_events", "learning_memories");

  /**
   * Tables that grow with the bot's traffic, converted online for our migration M (the conversions of the kodiai
   * files M declares): `up` proves M's conversion as it proves the foundation's steps, per table. One entry a line.
   */
  static final Map<String, List<String>> GROWN = Map.ofEntries(
      Map.entry("024-code-snippets.sql", List.of("code_snippets", "code_snippet_occurrences")),
      Map.entry("025-llm-cost-events.sql", List.of("llm_cost_events")),
      Map.entry("021-review-comments.sql", List.of("review_comments", "review_comment_sync_state")),
      Map.entry("022-wiki-pages.sql", List.of("wiki_pages", "wiki_sync_state")),
      Map.entry("031-guardrail-audit.sql", List.of("guardrail_audit")),
      Map.entry("052-review-clusters.sql", List.of("review_cluster_assignments", "review_clusters")),
      Map.entry("053-issues.sql", List.of("issue_comments", "issues")));

  /** The steps of FOUNDATION, in order: kodiai's file names, which are also our 001-003's. */
  static final List<String> FOUNDATION_STEPS = List.of(
      "001-initial-schema.sql", "002-pgvector-indexes.sql", "003-tsvector-columns.sql");

  /**
   * Columns kodiai keeps JSON in as text (jsonb in ours), or as jsonb the bot double-encoded (decoded in ours);
   * compared as the JSON they hold.
   */
  static final Set<String> JSON_COLUMNS = Set.of("reviews.config_snapshot", "suppression_log.finding_ids",
      "dep_bump_merge_history.signals_json", "dep_bump_merge_history.merge_confidence_rationale_json",
      "review_checkpoints.checkpoint_data", "guardrail_audit.removed_claims", "issues.assignees");

  /** kodiai's numeric columns that become double precision in ours: compared as the double they become. */
  static final Set<String> FLOAT8_COLUMNS = Set.of("llm_cost_events.estimated_cost_usd");

  /** kodiai's REAL that becomes our exact money type, numeric(18,10); every other REAL becomes float8. */
  static final String MONEY_COLUMN = "telemetry_events.cost_usd";

  /** The path of kodiai file F's conversion, relative to the migrations folder. */
  static String step(String kodiaiFile) { return "from-kodiai/" + kodiaiFile; }

  /** kodiai's file names at KodiaiSchema.COMMIT. */
  static Set<String> kodiaiFileNames() {
    Set<String> names = new LinkedHashSet<>();
    for (String f : KodiaiSchema.FILES) names.add(f.substring(0, f.indexOf(' ')));
    return names;
  }

  /**
   * Reads (never writes) what the database is. `ours`: our migration file names (a row with one of them
   * that is not kodiai's is no reason to refuse). Throws MigrationException (exit 5) listing every
   * difference when `_migrations` names a kodiai-like file kodiai's 24fba64a does not have, or when the
   * tables are not as kodiai's runner leaves them (and no conversion is under way).
   */
  static Recognition recognize(Connection c, Set<String> ours) throws SQLException {
    Set<String> known = kodiaiFileNames();
    List<String> rows = recordedNames(c);
    // kodiai's 001-003 have our 001-003's names: only its other files' names say a database is kodiai's (and
    // once the runner has recorded our 001-003 in place of kodiai's rows, those names still count as present)
    boolean kodiais = rows.stream().anyMatch(n -> known.contains(n) && !FOUNDATION_STEPS.contains(n));
    if (!kodiais || !builtByKodiai(c)) return new Recognition(State.NOT_KODIAI, List.of(), "");
    List<String> kodiai = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (String name : rows) {
      if (known.contains(name)) kodiai.add(name);
      else if (!ours.contains(name)) problems.add("_migrations names " + name + ", not a file of kodiai "
          + KodiaiSchema.COMMIT + " nor of kodiai-db");
    }
    for (String name : known) if (!kodiai.contains(name)) problems.add("_migrations lacks kodiai's " + name);
    boolean converting = conversionStarted(c);
    if (!converting) problems.addAll(differences(c));
    if (!problems.isEmpty()) {
      throw new MigrationException(ExitCode.VALIDATION, "not a database of kodiai " + KodiaiSchema.COMMIT
          + " as its runner leaves it (" + problems.size() + " difference" + (problems.size() == 1 ? "" : "s")
          + "); nothing changed:\n  " + String.join("\n  ", problems));
    }
    String line = "a database built by kodiai's own runner, files " + first(kodiai) + "-" + last(kodiai)
        + " (kodiai " + KodiaiSchema.COMMIT + ")" + (converting ? "; its conversion is under way" : "");
    return new Recognition(converting ? State.CONVERTING : State.KODIAI, kodiai, line);
  }

  private static String first(List<String> names) { return names.get(0).substring(0, 3); }
  private static String last(List<String> names) { return names.get(names.size() - 1).substring(0, 3); }

  /** Every name `_migrations` records, sorted; empty when there is no table. */
  static List<String> recordedNames(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      ResultSet t = st.executeQuery("SELECT to_regclass('_migrations') IS NOT NULL");
      t.next();
      if (!t.getBoolean(1)) return List.of();
      List<String> names = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT name FROM _migrations ORDER BY name")) {
        while (rs.next()) names.add(rs.getString(1));
      }
      return names;
    }
  }

  /**
   * kodiai's runner built the database: its row of 001 is still its own (a name, no version, no checksum) or our
   * conversion's (`from-kodiai:` checksum). A database of ours records kodiai's file names too (rows for kodiai's
   * runner, or files the bot applied after ours), but its 001 is our own migration's row.
   */
  static boolean builtByKodiai(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT count(*) FILTER (WHERE j->>'checksum' IS NULL AND j->>'version' IS NULL"
            + " OR j->>'checksum' LIKE 'from-kodiai:%') FROM (SELECT to_jsonb(m) AS j FROM _migrations m"
            + " WHERE name = '" + FOUNDATION_STEPS.get(0) + "') r")) {
      rs.next();
      return rs.getLong(1) > 0;
    }
  }

  /** A conversion step has changed a foundation table already: a column `*_adopt`, or reviews.id is bigint. */
  static boolean conversionStarted(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid"
            + " WHERE r.relnamespace = current_schema()::regnamespace AND a.attname LIKE '%\\_adopt'"
            + " AND NOT a.attisdropped)"
            + " OR EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('reviews') AND attname = 'id'"
            + " AND atttypid = 'bigint'::regtype)")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /** kodiai's tables as KodiaiSchema lists them against this database: one line per difference. */
  static List<String> differences(Connection c) throws SQLException {
    Map<String, Map<String, String>> want = expectedColumns();
    Map<String, Map<String, String>> have = columns(c, want.keySet());
    List<String> out = new ArrayList<>();
    for (var t : want.entrySet()) {
      Map<String, String> h = have.get(t.getKey());
      if (h == null) { out.add("table " + t.getKey() + " is missing"); continue; }
      for (var col : t.getValue().entrySet()) {
        String found = h.get(col.getKey());
        if (found == null) out.add(t.getKey() + "." + col.getKey() + " is missing (kodiai: " + col.getValue() + ")");
        else if (!found.equals(col.getValue())) {
          out.add(t.getKey() + "." + col.getKey() + " is " + found + " (kodiai: " + col.getValue() + ")");
        }
      }
      for (String col : h.keySet()) {
        if (!t.getValue().containsKey(col)) out.add(t.getKey() + "." + col + " (" + h.get(col) + ") is not kodiai's");
      }
    }
    return out;
  }

  /** KodiaiSchema.COLUMNS as table -> column -> `type[!]`, in order. */
  static Map<String, Map<String, String>> expectedColumns() {
    Map<String, Map<String, String>> m = new LinkedHashMap<>();
    for (String line : KodiaiSchema.COLUMNS.split("\n")) {
      String[] p = line.trim().split("\\s+", 3);
      if (p.length == 3) m.computeIfAbsent(p[0], k -> new LinkedHashMap<>()).put(p[1], p[2]);
    }
    return m;
  }

  private static Map<String, Map<String, String>> columns(Connection c, Set<String> tables) throws SQLException {
    Map<String, Map<String, String>> m = new LinkedHashMap<>();
    try (var ps = c.prepareStatement("SELECT r.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull"
        + " FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid"
        + " WHERE r.relnamespace = current_schema()::regnamespace"
        + " AND r.relkind IN ('r', 'p') AND r.relname = ANY (?) AND a.attnum > 0 AND NOT a.attisdropped"
        + " ORDER BY r.relname, a.attnum")) {
      ps.setArray(1, c.createArrayOf("text", tables.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String type = rs.getString(3).replace("timestamp with time zone", "timestamptz")
              .replace("double precision", "float8") + (rs.getBoolean(4) ? "!" : "");
          m.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>()).put(rs.getString(2), type);
        }
      }
    }
    return m;
  }

  /**
   * Per FOUNDATION table: its rows and a checksum of kodiai's columns in canonical form (see canonical):
   * the same before and after the conversion when every value was kept. Order-independent (a sum of
   * 60-bit slices of each row's MD5), so it streams over a table of any size.
   */
  static Map<String, TableSum> sums(Connection c) throws SQLException { return sums(c, FOUNDATION, false); }

  /** The tables whose rows `up` proves kept when it converts for our migration `ourFile` (grown tables); empty: none.
   * The foundation's are proved before its swap instead (Migrator.proveBeforeSwap). */
  static List<String> provedTables(String ourFile) {
    return GROWN.getOrDefault(ourFile, List.of());
  }

  /** Every table a conversion proves: the foundation's, then the grown tables by our migration's number. */
  static List<String> allProved() {
    List<String> all = new ArrayList<>(FOUNDATION);
    new java.util.TreeMap<>(GROWN).values().forEach(all::addAll);
    return all;
  }

  /** The same for m when `up` applies it by conversion; none when it is applied as ours. */
  static List<String> provedTables(MigrationSource.Migration m) {
    return m.convertedFrom() == null ? List.of() : provedTables(m.fileName());
  }

  /**
   * Per table, the rows inserted and deleted so far by every session (pg_stat_user_tables; a session's counts arrive
   * within about a second of its commit). A conversion inserts and deletes nothing in kodiai's tables, so a change
   * across a step is the bot's writing.
   */
  static Map<String, Long> insertsAndDeletes(Connection c, List<String> tables) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String t : tables) out.put(t, 0L);
    try (var ps = c.prepareStatement("SELECT relname, n_tup_ins + n_tup_del FROM pg_stat_user_tables"
        + " WHERE schemaname = current_schema() AND relname = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", tables.toArray()));
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) out.put(rs.getString(1), rs.getLong(2)); }
    }
    return out;
  }

  /** sums(c) of these tables, as they read now. */
  static Map<String, TableSum> sums(Connection c, List<String> tables) throws SQLException {
    return sums(c, tables, false);
  }

  /**
   * sums(c) of these tables (kodiai's, as KodiaiSchema lists their columns); converted: where a column has its new
   * `<column>_adopt` beside it (prepared, not yet swapped), that one is read instead. Both forms in one snapshot are
   * the proof `up` gives before the foundation's swap: it holds while the bot writes, where sums before and after a
   * step differ by whatever the bot wrote meanwhile.
   */
  static Map<String, TableSum> sums(Connection c, List<String> tables, boolean converted) throws SQLException {
    Map<String, Map<String, String>> kodiai = expectedColumns();
    Map<String, TableSum> out = new LinkedHashMap<>();
    for (String t : tables) {
      Map<String, String> have = columns(c, Set.of(t)).getOrDefault(t, Map.of());
      List<String> forms = new ArrayList<>();
      for (String col : kodiai.get(t).keySet()) {
        String read = converted && have.containsKey(col + "_adopt") ? col + "_adopt" : col;
        forms.add(canonical(t, col, read, have.get(read)));
      }
      String sql = "SELECT count(*), coalesce(sum(('x' || substr(md5(ROW(" + String.join(", ", forms)
          + ")::text), 1, 15))::bit(60)::bigint), 0) FROM " + t;
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        out.put(t, new TableSum(rs.getLong(1), new java.math.BigInteger(rs.getString(2)).toString(16)));
      }
    }
    return out;
  }

  /**
   * A column's value in the form both sides share: JSON (text or jsonb) as jsonb text, a JSON string holding
   * an object or array parsed once more (the double encoding the conversion repairs); vector as halfvec
   * (what the bot's column holds after our 007); real as the type it becomes; the rest as text. `read`: the
   * column read for kodiai's column `col` (itself, or its `_adopt` column).
   */
  static String canonical(String table, String col, String read, String type) {
    String c = "\"" + read + "\"";
    if (type == null) return "NULL";
    if (JSON_COLUMNS.contains(table + "." + col)) {
      String j = "(" + c + "::text)::jsonb";
      return "(CASE WHEN jsonb_typeof(" + j + ") = 'string' AND left(ltrim(" + j + " #>> '{}'), 1) IN ('{', '[')"
          + " THEN (" + j + " #>> '{}')::jsonb ELSE " + j + " END)::text";
    }
    if (FLOAT8_COLUMNS.contains(table + "." + col)) return c + "::float8::text";
    if (type.startsWith("vector")) return c + "::halfvec::text";
    if (type.startsWith("real")) {
      return (table + "." + col).equals(MONEY_COLUMN) ? c + "::numeric(18,10)::text" : c + "::float8::text";
    }
    return c + "::text";
  }

  /** Prints before and after per table; returns the tables whose rows or checksum differ. */
  static List<String> compare(Map<String, TableSum> before, Map<String, TableSum> after, PrintStream out) {
    List<String> differ = new ArrayList<>();
    for (String t : before.keySet()) {
      TableSum b = before.get(t);
      TableSum a = after.get(t);
      boolean same = b.equals(a);
      if (!same) differ.add(t);
      out.printf("%-26s %10d rows %16s before, %10d rows %16s after: %s%n", t, b.rows(), b.checksum(),
          a == null ? 0 : a.rows(), a == null ? "-" : a.checksum(), same ? "equal" : "DIFFERENT");
    }
    return differ;
  }

  /**
   * Runs the foundation's conversion steps (migrations/from-kodiai/001-003 under `dir`) on this connection,
   * each statement on its own in autocommit, as the runner runs a no-transaction file, with a fresh session
   * state before each file (their temporary functions have the same names). Re-runnable: every step is.
   * For tests and the benchmark (`up` applies these files through the runner, Migrator).
   */
  static void convert(Connection c, Path dir, PrintStream out) throws SQLException {
    for (String f : FOUNDATION_STEPS) {
      // 001 prepares what 002 swaps in: once 002 has swapped the first tables, 001 is done (the runner
      // knows it from 001's row; here reviews.id tells).
      if (f.equals(FOUNDATION_STEPS.get(0)) && reviewsSwapped(c)) continue;
      runStep(c, dir, f, out);
    }
  }

  /** One step (kodiai file F's conversion), statement by statement in autocommit, from a fresh session state. */
  static void runStep(Connection c, Path dir, String f, PrintStream out) throws SQLException {
    c.setAutoCommit(true);
    String sql;
    try {
      sql = ConversionKit.read(dir, f);
    } catch (IOException e) {
      throw new MigrationException(ExitCode.LOCAL_ERROR, "cannot read " + step(f) + ": " + e.getMessage(), e);
    }
    long t0 = System.nanoTime();
    try (Statement st = c.createStatement()) {
      st.execute("DISCARD TEMP; RESET lock_timeout");
      for (MigrationSource.Statement s : MigrationSource.split(sql)) st.execute(s.sql());
    }
    out.printf("converted %s (%d ms)%n", step(f), (System.nanoTime() - t0) / 1_000_000);
  }

  private static boolean reviewsSwapped(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_attribute"
        + " WHERE attrelid = to_regclass('reviews') AND attname = 'id' AND atttypid = 'bigint'::regtype)")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /** The kodiai files of FOUNDATION_STEPS that `_migrations` records, sorted (for messages). */
  static Set<String> foundationRecorded(Recognition r) {
    Set<String> s = new TreeSet<>(r.kodiaiFiles());
    s.retainAll(FOUNDATION_STEPS);
    return s;
  }
}
