///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../cli/*.java ../DbClient.java schema/ExpectedSchema.java
//DESCRIPTION Checks a live database against kodiai's schema (all the migrations): one OK/MISSING/WRONG line per expectation.

// Usage: jbang tests/SchemaCheck.java [DATABASE_URL]     (alias: schema-check)
// Reads the catalog of the connection's current schema (normally public) and
// compares it with ExpectedSchema.java, which is the schema of all the migrations
// written out object by object. It proves the full-text triggers fire, and that
// 010's triggers keep learning_memories_search, by writing a probe row and rolling it
// back (nothing is left behind).
// Exit: 0 every expectation holds, 1 some do not, 2 usage error / no URL,
// 3 cannot connect.
// In-process use (tests): SchemaCheck.check(connection) returns the failing
// lines; SchemaCheck.run(connection) returns every line. If the connection is
// already inside a transaction, the probe uses a savepoint instead.

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "schema-check", mixinStandardHelpOptions = true, version = "schema-check 1.0",
    description = "Checks that a database holds kodiai's schema (all the migrations): each table, column (type, "
        + "nullability, default), constraint, index (the HNSW index's method, operator class, m, ef_construction), "
        + "the vector extension and its version, the tsvector columns, GIN indexes and triggers (proved to fire "
        + "with a probe row that is rolled back and consumes no sequence value: the check changes nothing), the"
        + " database's "
        + "session defaults (006). Prints one "
        + "OK/MISSING/WRONG line per expectation and a summary; a probe the user lacks the privileges for is a"
        + " SKIP line.",
    footerHeading = "%nExit codes:%n",
    footer = {"  0  every expectation holds", "  1  at least one is MISSING or WRONG",
        "  2  usage error (no DATABASE_URL, malformed URL)", "  3  cannot connect or authenticate",
        "%nEnvironment: DATABASE_URL (the database to check when no argument is given; prefer it: a password in an",
        "argument is visible to other users of this machine), DATABASE_CONNECT_TIMEOUT_MS (how long to wait for the",
        "login; default 10000)."})
public class SchemaCheck implements Callable<Integer> {

  @Parameters(index = "0", arity = "0..1", paramLabel = "DATABASE_URL",
      description = "postgresql://USER:PASSWORD@HOST:5432/DB (default: $DATABASE_URL)")
  String url;

  /** Where it prints: picocli's writers (main's are System.out/err; a test gives each run its own). */
  @Spec CommandSpec spec;

  /** Oldest pgvector with HNSW iterative index scans (hnsw.iterative_scan), which retrieval relies on. */
  static final int[] MIN_VECTOR_VERSION = {0, 8, 0};

  public static void main(String[] args) {
    System.exit(Cli.withSafeUsageErrors(new CommandLine(new SchemaCheck())).execute(args));
  }

  @Override public Integer call() {
    PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
    String u = url != null && !url.isBlank() ? url : System.getenv("DATABASE_URL");
    if (u == null || u.isBlank()) {
      err.println("schema-check: no database URL: pass it as an argument or set DATABASE_URL "
          + "(postgresql://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full)");
      return 2;
    }
    String shown;
    try {
      DbClient.Target t = DbClient.parse(u);
      shown = t.redacted();
      if (url != null && !url.isBlank() && !url.equals(System.getenv("DATABASE_URL")) && t.hasPassword())
        err.println(PASSWORD_IN_ARGS_WARNING);
    } catch (DbClient.DbException e) {
      err.println("schema-check: " + e.getMessage());
      return 2;
    }
    Connection c;
    try {
      c = DbClient.open(u);
    } catch (DbClient.DbException e) {
      err.println("schema-check: " + e.getMessage());
      return e.kind == DbClient.DbException.Kind.CONFIG ? 2 : 3;
    }
    try (c) {
      out.println("schema-check: " + shown);
      Report r = run(c);
      r.lines.forEach(out::println);
      out.println(r.summary());
      return r.failures().isEmpty() ? 0 : 1;
    } catch (SQLException e) {
      err.println("schema-check: cannot read the catalog: " + DbClient.redact(String.valueOf(e.getMessage())));
      return 1;
    }
  }

  static final String PASSWORD_IN_ARGS_WARNING =
      "schema-check: warning: a password in the URL argument is visible to other users of this machine (ps);"
      + " prefer DATABASE_URL";

  /**
   * Every line printed, in order; failures are the MISSING and WRONG lines (SKIP: not checked, for want of privileges).
   */
  record Report(List<String> lines) {
    List<String> failures() {
      return lines.stream().filter(l -> l.startsWith("MISSING") || l.startsWith("WRONG")).toList();
    }
    String summary() {
      int bad = failures().size();
      long skipped = lines.stream().filter(l -> l.startsWith("SKIP")).count();
      return (bad == 0 ? "schema-check: all " + (lines.size() - skipped) + " expectations checked hold"
          : "schema-check: " + bad + " of " + lines.size() + " expectations failed")
          + (skipped > 0 ? ", " + skipped + " skipped (the user lacks privileges)" : "");
    }
  }

  /** The failing lines only (empty when the schema is complete). */
  static List<String> check(Connection c) throws SQLException { return run(c).failures(); }

  private static String shortType(String t) {
    return t.replace("timestamp with time zone", "timestamptz").replace("double precision", "float8");
  }

  // ------------------------------------------------------------------ the check

  /** Runs every expectation against the connection's current schema. */
  static Report run(Connection c) throws SQLException {
    Catalog cat = Catalog.read(c);
    List<String> out = new ArrayList<>();
    for (ExpectedSchema.Table t : ExpectedSchema.TABLES) checkTable(cat, t, out);
    for (ExpectedSchema.Function f : ExpectedSchema.FUNCTIONS) {
      String found = cat.functions.get(f.signature());
      String want = "returns " + f.returns() + " language " + f.language();
      if (found == null) out.add("MISSING function " + f.signature() + " " + want);
      else if (!found.equals(want)) out.add("WRONG function " + f.signature() + ": expected " + want
          + ", found " + found);
      else out.add("OK   function " + f.signature() + " " + want);
    }
    checkExtension(cat, out);
    checkInlineVectors(c, out);
    checkPartitions(c, out);
    checkDatabaseSettings(c, out);
    probeFullText(c, cat, out);
    return new Report(out);
  }

  private static void checkTable(Catalog cat, ExpectedSchema.Table t, List<String> out) {
    Map<String, ExpectedSchema.Column> cols = cat.columns.get(t.name());
    if (cols == null) {
      int n = t.objects().size();
      out.add("MISSING table " + t.name() + " (with its " + t.columns().size() + " columns and " + n
          + " constraints, indexes and triggers)");
      return;
    }
    out.add("OK   table " + t.name());
    for (ExpectedSchema.Column want : t.columns()) {
      ExpectedSchema.Column found = cols.get(want.name());
      String id = t.name() + "." + want.name();
      if (found == null) { out.add("MISSING column " + id + " " + shortType(want.describe())); continue; }
      List<String> diffs = new ArrayList<>();
      if (!want.type().equals(found.type())) diffs.add("expected " + shortType(want.type()) + ", found "
          + shortType(found.type()));
      if (want.notNull() != found.notNull())
        diffs.add("expected " + (want.notNull() ? "not null" : "nullable") + ", found "
            + (found.notNull() ? "not null" : "nullable"));
      if (want.identity() != found.identity())
        diffs.add("expected " + (want.identity() ? "" : "no ") + "identity, found "
            + (found.identity() ? "identity" : "none"));
      if (!java.util.Objects.equals(want.dflt(), found.dflt()))
        diffs.add("expected " + dflt(want.dflt()) + ", found " + dflt(found.dflt()));
      out.add(diffs.isEmpty() ? "OK   column " + id + " " + shortType(want.describe()) : "WRONG column " + id + ": "
          + String.join("; ", diffs));
    }
    for (ExpectedSchema.Named o : t.objects()) {
      switch (o.kind()) {
        case "constraint" ->
            compare(out, "constraint " + t.name() + "." + o.name(), o.def(), cat.constraints.get(o.name()), t.name());
        case "index" ->
            compare(out, "index " + o.name() + " on " + t.name(), o.def(), cat.indexes.get(o.name()), t.name());
        case "trigger" -> compare(out, "trigger " + t.name() + "." + o.name(), o.def(),
            cat.triggers.get(t.name() + "." + o.name()), t.name());
        case "hnsw" -> checkHnsw(cat, t.name(), o, out);
        default -> throw new IllegalStateException(o.kind());
      }
    }
  }

  /** found = {table, definition}, or null when there is no such object. */
  private static void compare(List<String> out, String what, String want, String[] found, String table) {
    if (found == null) out.add("MISSING " + what + " " + want);
    else if (!found[0].equals(table)) out.add("WRONG " + what + ": expected on table " + table + ", found on "
        + found[0]);
    else if (!found[1].equals(want)) out.add("WRONG " + what + ": expected " + want + ", found " + found[1]);
    else out.add("OK   " + what + " " + want);
  }

  private static void checkHnsw(Catalog cat, String table, ExpectedSchema.Named o, List<String> out) {
    // def: COLUMN OPCLASS m=M ef_construction=E
    String[] p = o.def().split("\\s+");
    String column = p[0], opclass = p[1];
    String m = p[2].substring(2), ef = p[3].substring("ef_construction=".length());
    String what = "index " + o.name();
    Catalog.Index ix = cat.indexDetails.get(o.name());
    if (ix == null) { out.add("MISSING " + what + " on " + table + " USING hnsw (" + column + " " + opclass
        + ") WITH (m = " + m + ", ef_construction = " + ef + ")"); return; }
    String where = ix.table + " (" + String.join(", ", ix.columns) + ")";
    String wantWhere = table + " (" + column + ")";
    out.add(where.equals(wantWhere) ? "OK   " + what + " on " + wantWhere : "WRONG " + what + ": expected on "
        + wantWhere + ", found on " + where);
    out.add(line(what + " method", "hnsw", ix.method));
    out.add(line(what + " operator class", opclass, String.join(", ", ix.opclasses)));
    // pgvector's defaults apply when the option is not given (m 16, ef_construction 64).
    out.add(line(what + " m", m, ix.options.getOrDefault("m", "16")));
    out.add(line(what + " ef_construction", ef, ix.options.getOrDefault("ef_construction", "64")));
    out.add(line(what + " predicate", "none", ix.predicate == null ? "none" : ix.predicate));
  }

  /** A column default as the check prints it: `no default`, `default X`, or a generated column's expression. */
  private static String dflt(String d) {
    return d == null ? "no default" : d.startsWith("generated ") ? d : "default " + d;
  }

  private static String line(String what, String want, String found) {
    return want.equals(found) ? "OK   " + what + ": " + want : "WRONG " + what + ": expected " + want
        + ", found " + found;
  }

  /** Vector columns the bot orders by stay inside the row (STORAGE PLAIN): an exact scan then reads no TOAST. */
  private static void checkInlineVectors(Connection c, List<String> out) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT attstorage::text FROM pg_attribute WHERE attrelid"
        + " = to_regclass(?)"
        + " AND attname = ? AND NOT attisdropped")) {
      for (String col : ExpectedSchema.PLAIN_STORAGE) {
        String[] tc = col.split("\\.");
        ps.setString(1, tc[0]);
        ps.setString(2, tc[1]);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) continue; // the column's own line reports it missing
          String found = rs.getString(1);
          out.add("p".equals(found) ? "OK   storage " + col + " plain"
              : "WRONG storage " + col + ": expected plain (inline), found " + STORAGE.getOrDefault(found, found));
        }
      }
    }
  }

  /**
   * learning_memories is partitioned by LIST (repo) with a default partition (migration 070), and every
   * partition keeps the vector as the table does (checkInlineVectors) with 002's toast_tuple_target (a
   * partitioned table has no storage options of its own). Nothing is said when the table is missing (its
   * own line says so).
   */
  private static void checkPartitions(Connection c, List<String> out) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
        SELECT p.partstrat::text || ' (' || a.attname || ')', p.partdefid <> 0,
               (SELECT string_agg(k.relname, ', ' ORDER BY k.relname) FROM pg_inherits i
                  JOIN pg_class k ON k.oid = i.inhrelid
                  LEFT JOIN pg_attribute e ON e.attrelid = k.oid AND e.attname = 'embedding'
                  LEFT JOIN pg_attribute pe ON pe.attrelid = p.partrelid AND pe.attname = 'embedding'
                  WHERE i.inhparent = p.partrelid AND (e.attstorage IS DISTINCT FROM pe.attstorage
                    OR NOT coalesce(k.reloptions, '{}') @> '{toast_tuple_target=4080}'))
        FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
        WHERE p.partrelid = to_regclass('learning_memories')""")) {
      if (!rs.next() && tableMissing(c, "learning_memories")) return;
      if (rs.getRow() == 0) {
        out.add("MISSING partitioning of learning_memories: LIST (repo) with a default partition");
        return;
      }
      out.add(line("partitioning of learning_memories", "l (repo) with a default partition",
          rs.getString(1) + (rs.getBoolean(2) ? " with a default partition" : " without a default partition")));
      String off = rs.getString(3);
      String want = "embedding stored as the table's, toast_tuple_target=4080";
      out.add(off == null ? "OK   partitions of learning_memories: " + want
          : "WRONG partitions of learning_memories: expected " + want + ", not so on "
          + off);
    }
  }

  private static boolean tableMissing(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NULL")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getBoolean(1); }
    }
  }

  private static final Map<String, String> STORAGE = Map.of("p", "plain", "e", "external", "m", "main", "x",
      "extended");

  private static void checkExtension(Catalog cat, List<String> out) {
    String min = MIN_VECTOR_VERSION[0] + "." + MIN_VECTOR_VERSION[1] + "." + MIN_VECTOR_VERSION[2];
    String v = cat.extensions.get("vector");
    if (v == null) { out.add("MISSING extension vector (>= " + min + ")"); return; }
    out.add(atLeast(v, MIN_VECTOR_VERSION) ? "OK   extension vector " + v + " (>= " + min + ")"
        : "WRONG extension vector: expected version >= " + min + ", found " + v);
  }

  /** The database's own session defaults (migration 006), as stored: not what this session happens to have. */
  private static void checkDatabaseSettings(Connection c, List<String> out) throws SQLException {
    Map<String, String> found = new HashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs =
        st.executeQuery("SELECT unnest(setconfig) FROM pg_db_role_setting"
        + " WHERE setrole = 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
      while (rs.next()) {
        String[] kv = rs.getString(1).split("=", 2);
        found.put(kv[0], kv.length > 1 ? kv[1] : "");
      }
    }
    ExpectedSchema.DATABASE_SETTINGS.forEach((name, want) -> {
      String what = "database setting " + name;
      String have = found.get(name);
      out.add(have == null ? "MISSING " + what + " = " + want : line(what, want, have));
    });
  }

  static boolean atLeast(String version, int[] min) {
    String[] p = version.split("[^0-9]+");
    for (int i = 0; i < min.length; i++) {
      int n = i < p.length && !p[i].isEmpty() ? Integer.parseInt(p[i]) : 0;
      if (n != min[i]) return n > min[i];
    }
    return true;
  }

  // ------------------------------------------------------------------ the trigger probe

  /**
   * Proves each full-text trigger works end to end: a row written gets its search_tsv
   * (INSERT), and an UPDATE of the source column moves it (the old word no longer
   * matches, the new one does). Everything is rolled back.
   */
  private static void probeFullText(Connection c, Catalog cat, List<String> out) throws SQLException {
    String[][] probes = {
        {"findings_search_tsv_trigger", "findings", "title"},
        {"learning_memories_search_tsv_trigger", "learning_memories", "finding_text"},
        // kodiai's tables of slice A (021, 022, 024)
        {"review_comments_search_tsv_trigger", "review_comments", "chunk_text"},
        {"wiki_pages_search_tsv_trigger", "wiki_pages", "chunk_text"},
        {"code_snippets_tsv_trigger", "code_snippets", "embedded_text"}};
    for (String[] p : probes) {
      String what = "trigger " + p[0] + " fires";
      if (!cat.columns.containsKey(p[1])) { out.add("MISSING " + what + ": no table " + p[1]); continue; }
      String tsv = p[1].equals("code_snippets") ? "tsv" : "search_tsv";
      runProbe(c, what, "INSERT fills " + p[1] + "." + tsv + ", UPDATE OF " + p[2] + " refreshes it",
          () -> probe(c, p[1], p[2], tsv), out);
    }
    // 010's copy; before 010 (or without the table) the MISSING lines of the catalog say so
    if (cat.columns.containsKey("learning_memories") && cat.columns.containsKey("learning_memories_search"))
      runProbe(c, "triggers learning_memories_search_* keep the copy",
          "a live row is copied, UPDATE OF finding_text refreshes "
          + "the copy, stale = true removes it", () -> probeSearchCopy(c), out);
  }

  interface Probe { String problem() throws SQLException; }

  /** Runs a probe that writes, always rolled back; adds OK, WRONG or SKIP (no privileges to write). */
  private static void runProbe(Connection c, String what, String ok, Probe probe,
      List<String> out) throws SQLException {
    boolean wasAuto = c.getAutoCommit();
    Savepoint sp = null;
    if (wasAuto) c.setAutoCommit(false); else sp = c.setSavepoint();
    try {
      String problem = probe.problem();
      out.add(problem == null ? "OK   " + what + ": " + ok : "WRONG " + what + ": " + problem);
    } catch (SQLException e) {
      // Not allowed to write (a read-only user, a read-only transaction or standby): the schema is not wrong.
      String state = String.valueOf(e.getSQLState());
      if (state.equals("42501") || state.equals("25006"))
        out.add("SKIP " + what + ": not probed: the user lacks privileges ("
            + DbClient.firstLine(String.valueOf(e.getMessage()))
            + "); run schema-check as the tables' owner to prove the trigger fires");
      else out.add("WRONG " + what + ": probe row failed: " + DbClient.firstLine(String.valueOf(e.getMessage())));
    } finally {
      if (wasAuto) { c.rollback(); c.setAutoCommit(true); } else c.rollback(sp);
    }
  }

  /** A live learning_memories row for the probes (id below every other, so no sequence moves). */
  private static long insertProbeMemory(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs =
        st.executeQuery("INSERT INTO learning_memories (id, repo, owner, source_repo, "
        + "finding_text, severity, category, file_path, outcome, embedding_model, embedding_dim) VALUES ("
        + PROBE_ID.formatted("learning_memories")
        + ", 'schema-check/probe', 'schema-check', 'schema-check/probe', 'Quokka sightings unchecked', 'minor', "
        + "'style', 'probe.java', "
        + "'accepted', 'probe', 1024) RETURNING id")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * 010: a memory written live is in learning_memories_search with the same search_tsv, follows a new text, and
   * leaves when made stale. Compares with the row's own search_tsv, so a broken 003 trigger is not reported twice.
   */
  private static String probeSearchCopy(Connection c) throws SQLException {
    long id = insertProbeMemory(c);
    String copied = "SELECT count(*) FROM learning_memories m JOIN learning_memories_search s ON s.id = m.id"
        + " AND s.repo = m.repo "
        + "AND s.search_tsv IS NOT DISTINCT FROM m.search_tsv WHERE m.id = ?";
    if (count(c, copied, id) != 1) return "after INSERT of a live row, learning_memories_search does not hold it";
    update(c, "UPDATE learning_memories SET finding_text = 'Wombat burrow overflow' WHERE id = ?", id);
    if (count(c, copied, id) != 1)
      return "after UPDATE OF finding_text, learning_memories_search does not hold the new search_tsv";
    update(c, "UPDATE learning_memories SET stale = true WHERE id = ?", id);
    if (count(c, "SELECT count(*) FROM learning_memories_search WHERE id = ?", id) != 0)
      return "after stale = true, learning_memories_search still holds the row";
    return null;
  }

  private static long count(Connection c, String sql, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, id);
      ResultSet rs = ps.executeQuery();
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void update(Connection c, String sql, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
  }

  /** A probe row's id: below every id of the table, given explicitly so that no identity sequence advances. */
  private static final String PROBE_ID = "(SELECT least(min(id), 0) - 1 FROM %s)";

  /** The probe row of kodiai's tables of slice A (%s: its id), text 'Quokka sightings unchecked'. */
  private static final Map<String, String> PROBE_INSERTS = Map.of(
      "review_comments", "INSERT INTO review_comments (id, repo, owner, pr_number, comment_github_id, thread_id,"
          + " author_login, body, chunk_text, token_count, github_created_at) VALUES (%s, 'schema-check/probe',"
          + " 'schema-check', 1, 1, 'probe', 'schema-check', 'probe', 'Quokka sightings unchecked', 3, now())"
          + " RETURNING id",
      "wiki_pages", "INSERT INTO wiki_pages (id, page_id, page_title, page_url, chunk_text, raw_text, token_count)"
          + " VALUES (%s, 0, 'Probe', 'probe', 'Quokka sightings unchecked', 'probe', 3) RETURNING id",
      "code_snippets", "INSERT INTO code_snippets (id, content_hash, embedded_text) VALUES (%s,"
          + " repeat('f', 64), 'Quokka sightings unchecked') RETURNING id");

  private static String probe(Connection c, String table, String column, String tsv) throws SQLException {
    long id;
    try (Statement st = c.createStatement()) {
      String other = PROBE_INSERTS.get(table);
      if (other != null) {
        ResultSet rs = st.executeQuery(other.formatted(PROBE_ID.formatted(table)));
        rs.next();
        id = rs.getLong(1);
      } else if (table.equals("findings")) {
        ResultSet rs = st.executeQuery("INSERT INTO reviews (id, repo, pr_number) VALUES ("
            + PROBE_ID.formatted("reviews")
            + ", 'schema-check/probe', 1) RETURNING id");
        rs.next();
        rs = st.executeQuery("INSERT INTO findings (id, review_id, file_path, severity, category, confidence, title)"
            + " VALUES (" + PROBE_ID.formatted("findings") + ", " + rs.getLong(1)
            + ", 'probe.java', 'minor', 'style', 50, 'Quokka sightings unchecked') RETURNING id");
        rs.next();
        id = rs.getLong(1);
      } else {
        id = insertProbeMemory(c);
      }
    }
    String match = "SELECT " + tsv + " IS NOT NULL, " + tsv + " @@ to_tsquery('english', ?) FROM " + table
        + " WHERE id = ?";
    if (!matches(c, match, "quokka", id)) return "after INSERT, " + tsv + " does not match a word of " + column;
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET " + column
        + " = 'Wombat burrow overflow' WHERE id = ?")) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
    if (!matches(c, match, "wombat", id))
      return "after UPDATE OF " + column + ", " + tsv + " does not match the new word";
    if (matches(c, match, "quokka", id))
      return "after UPDATE OF " + column + ", " + tsv + " still matches the old word";
    return null;
  }

  private static boolean matches(Connection c, String sql, String word, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, word);
      ps.setLong(2, id);
      ResultSet rs = ps.executeQuery();
      return rs.next() && rs.getBoolean(1) && rs.getBoolean(2);
    }
  }

  // ------------------------------------------------------------------ reading the catalog

  /** What the current schema holds, read in a handful of queries. */
  static final class Catalog {
    final Map<String, Map<String, ExpectedSchema.Column>> columns = new LinkedHashMap<>(); // table -> column -> found
    final Map<String, String[]> constraints = new HashMap<>();  // name -> {table, def}
    final Map<String, String[]> indexes = new HashMap<>();      // name -> {table, def without CREATE ... ON t}
    final Map<String, Index> indexDetails = new HashMap<>();
    final Map<String, String[]> triggers = new HashMap<>();     // table.name -> {table, def}
    final Map<String, String> functions = new HashMap<>();      // name(args) -> "returns T language L"
    final Map<String, String> extensions = new HashMap<>();     // name -> version

    record Index(String table, String method, List<String> columns, List<String> opclasses, Map<String, String> options,
        String predicate) {}

    static Catalog read(Connection c) throws SQLException {
      Catalog cat = new Catalog();
      try (Statement st = c.createStatement()) {
        cat.readColumns(st);
        ResultSet rs;
        rs = st.executeQuery("""
            SELECT co.conname, c.relname, pg_get_constraintdef(co.oid)
            FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
            WHERE c.relnamespace = current_schema()::regnamespace AND NOT c.relispartition""");
        while (rs.next()) cat.constraints.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
        cat.readIndexes(st);
        cat.readTriggers(st);
        rs = st.executeQuery("""
            SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                   'returns ' || pg_get_function_result(p.oid) || ' language ' || l.lanname
            FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace = current_schema()::regnamespace""");
        while (rs.next()) cat.functions.put(rs.getString(1), rs.getString(2));
        rs = st.executeQuery("SELECT extname, extversion FROM pg_extension");
        while (rs.next()) cat.extensions.put(rs.getString(1), rs.getString(2));
      }
      return cat;
    }

    /** Every column of the schema's tables: type, NOT NULL, identity, default or generation expression. */
    private void readColumns(Statement st) throws SQLException {
      ResultSet rs = st.executeQuery("""
          SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity <> '',
                 CASE WHEN a.attgenerated = 's' THEN 'generated always as ('
                   || pg_get_expr(d.adbin, d.adrelid) || ') stored'
                      ELSE pg_get_expr(d.adbin, d.adrelid) END
          FROM pg_class c
          LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
          WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          ORDER BY c.relname, a.attnum""");
      while (rs.next()) {
        Map<String, ExpectedSchema.Column> m = columns.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>());
        if (rs.getString(2) != null)
          m.put(rs.getString(2), new ExpectedSchema.Column(rs.getString(2), rs.getString(3), rs.getBoolean(4),
              rs.getBoolean(5), rs.getString(6)));
      }
    }

    /**
     * Every index: its definition without CREATE ... ON, and its method, keys, operator classes, options, predicate.
     */
    private void readIndexes(Statement st) throws SQLException {
      ResultSet rs = st.executeQuery("""
          SELECT i.relname, t.relname,
                 regexp_replace(pg_get_indexdef(i.oid), '^CREATE (UNIQUE )?INDEX \\S+ ON (ONLY )?\\S+ ', '\\1'),
                 am.amname,
                 (SELECT array_agg(pg_get_indexdef(i.oid, k, true) ORDER BY k)
                   FROM generate_series(1, x.indnkeyatts) k),
                 (SELECT array_agg(oc.opcname ORDER BY k.n) FROM unnest(x.indclass) WITH ORDINALITY k(oid, n)
                    JOIN pg_opclass oc ON oc.oid = k.oid),
                 i.reloptions, pg_get_expr(x.indpred, x.indrelid)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
          JOIN pg_am am ON am.oid = i.relam
          WHERE t.relnamespace = current_schema()::regnamespace AND NOT t.relispartition""");
      while (rs.next()) {
        indexes.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
        Map<String, String> opts = new HashMap<>();
        java.sql.Array ro = rs.getArray(7);
        if (ro != null) for (Object kv : (Object[]) ro.getArray()) {
          String s = kv.toString();
          int eq = s.indexOf('=');
          opts.put(s.substring(0, eq), s.substring(eq + 1));
        }
        indexDetails.put(rs.getString(1), new Index(rs.getString(2), rs.getString(4), strings(rs.getArray(5)),
            strings(rs.getArray(6)), opts, rs.getString(8)));
      }
    }

    /** Every user trigger, its definition without CREATE TRIGGER name and schema, disabled ones marked. */
    private void readTriggers(Statement st) throws SQLException {
      ResultSet rs = st.executeQuery("""
          SELECT c.relname, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled
          FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
          WHERE NOT tg.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND NOT c.relispartition""");
      while (rs.next()) {
        // CREATE TRIGGER name BEFORE ... ON schema.table ... -> BEFORE ... ON table ...
        String def = rs.getString(3).replaceFirst("^CREATE (CONSTRAINT )?TRIGGER \\S+ ", "")
            .replaceFirst(" ON \\S+\\." + java.util.regex.Pattern.quote(rs.getString(1)) + " ", " ON "
            + rs.getString(1) + " ");
        if (!"O".equals(rs.getString(4))) def += " (disabled: tgenabled = " + rs.getString(4) + ")";
        triggers.put(rs.getString(1) + "." + rs.getString(2), new String[] {rs.getString(1), def});
      }
    }

    private static List<String> strings(java.sql.Array a) throws SQLException {
      if (a == null) return List.of();
      List<String> out = new ArrayList<>();
      for (Object o : (Object[]) a.getArray()) out.add(String.valueOf(o));
      return out;
    }
  }
}
