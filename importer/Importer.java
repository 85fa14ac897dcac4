// Shared source of the importer (//SOURCES importer/Importer.java): the orchestrator of
// `import`. All defaults are in Settings; the steps are methods named as verbs:
//
//   open the sources (one read snapshot each) -> check the target is migrated far enough and the
//   URL's user may write it -> the HNSW path by cost: when building the vector indexes after the
//   load costs less than filling them row by row, drop them CONCURRENTLY (second connection) ->
//   in ONE PostgreSQL transaction:
//     stage    every table: convert each SQLite value, binary COPY into a temp table; a table
//              that is empty in the target (and whose parents went the same way) is COPYed
//              straight into it instead, its own constraints checking each row (a refused row:
//              back to a savepoint, and the table is staged to name every bad row); a row with
//              a source problem is reported and not sent, the others are
//     check    the staged rows against the target's own NOT NULLs, CHECKs, FKs, index and
//              tsvector limits, duplicate ids, sqlite_sequence against the target's sequences
//              (every problem, source and target, in this one pass)
//     classify each row by id: new, already present (same content), colliding (other content)
//     (--dry-run stops here: summary, every problem, rollback)
//     write    INSERT ... SELECT the new rows (ON CONFLICT DO NOTHING: a unique key the bot
//              already wrote is skipped, never overwritten); the dropped vector indexes built
//              once after the memories (CREATE INDEX: SHARE, the bot's reads go on)
//     verify   count + checksum of every column of every imported or present row, source vs
//              target (timestamps: the source text's instant, parsed again)
//     then     setval the identity sequences past the source's and the table's ids (no table
//              lock; not undone by a rollback, hence last)
//   commit only when nothing differs. Any failure rolls everything back (and builds the dropped
//   vector indexes again): the target is as it was.

import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

final class Importer {

  /** Every option of `import` and its default, in one place. */
  static final class Settings {
    Path knowledge;                           // --knowledge (null: not imported)
    Path telemetry;                           // --telemetry (null: not imported)
    String url;                               // --url / DATABASE_URL
    boolean dryRun;                           // --dry-run: read, convert, check, classify; write nothing
    Duration lockTimeout = Duration.ofSeconds(30); // --lock-timeout: wait this long for a writer's lock on a file
    Hnsw hnsw = Hnsw.AUTO;                    // --hnsw
    // AUTO rebuilds when that costs less than inserting into the index row by row: a build
    // costs about b per memory in the table, an insert into the index about r x b per memory
    // (r: 3.4 to 10.4 measured by `bench import-hnsw`, docs/import.md): rebuild when
    // (existing + incoming) x b < incoming x r x b, i.e. existing < (r - 1) x incoming.
    double hnswInsertToBuild = 6.0;
    // --strict: a value that would arrive changed (rounded, normalised) is a problem
    boolean strict;
    Path problemsFile;                        // --problems FILE: every problem line written there too
    /** Called at "hnsw-build", "hnsw-built", "verify", "verified" (the import waits for it): tests pause there. */
    java.util.function.Consumer<String> pause = phase -> testPause.accept(phase);
    String maintenanceWorkMem = "1GB";        // --maintenance-work-mem for the HNSW build (SET LOCAL)
    String tempBuffers = "512MB";             // temp_buffers: memory for the staging tables of this session
    boolean skipUnknownColumns;               // --skip-unknown-columns: import without source columns the target lacks
    // COPY straight into empty target tables (false: always stage; tests compare both)
    boolean direct = true;
    int problemLines = 50;                    // problems printed one per line before "... and N more"
    long partitionMinRows = RepoPartitions.MIN_ROWS; // a repo above it gets its own partition (070; tests lower it)
  }

  /** What to do with learning_memories' HNSW index(es) around the load. */
  enum Hnsw { AUTO, REBUILD, KEEP }

  /** The tests' pause point when they run `import` through its command line (Settings.pause). */
  static volatile java.util.function.Consumer<String> testPause = phase -> { };

  /** Row states in the classification tables (c_*). */
  static final String NEW = "new", PRESENT = "present", INSERTED = "inserted", COLLIDES = "collides",
      PARENT_SKIPPED = "parent_skipped", KEY_EXISTS = "key_exists";

  private final Settings s;
  private final PrintStream out;
  private final Progress progress;
  private final List<String> problems = new ArrayList<>();
  private long problemCount;
  final Summary summary = new Summary();
  final List<Staged> staged = new ArrayList<>();
  private final Map<String, TargetTable> targets = new LinkedHashMap<>();
  private List<String[]> droppedVectorIndexes = List.of(); // dropped (concurrently) before the load, built after it
  private long sourceProblems; // problems found reading the sources (the rest: the target's constraints)
  // the per-repo partitions this import creates (migration 070's layout)
  private MemoryPartitions partitions = new MemoryPartitions(RepoPartitions.MIN_ROWS);
  /** Opens a second connection to the target (the concurrent index drop, its restore). */
  java.util.concurrent.Callable<Connection> opener;
  long hnswBuildMs = -1, writeMs, stageMs, verifyMs;

  Importer(Settings s, PrintStream out, Progress progress) {
    this.s = s; this.out = out; this.progress = progress;
    this.opener = () -> DbClient.open(s.url);
  }

  /** One source table on its way: its columns, its temp tables, and the source side of the checksum. */
  static final class Staged {
    final TableMap.Mapping map;
    final SqliteSource src;
    final TargetTable target;
    final List<String> columns = new ArrayList<>(); // written columns, source order (+ embedding)
    final List<ColumnType> types = new ArrayList<>();
    final String stage, classes; // temp table names
    final Summary.Row row;
    long[] silent;   // per column: values that arrive otherwise than written (rounded, normalised)
    String halfCopy; // the halfvec column the vectors go to (memories, since 007)
    final List<Long> bad = new ArrayList<>(); // ids of rows with a source problem (not sent)
    long[] ids = new long[1024], hashes = new long[1024];
    int n;
    long stageMs, writeMs, verifyMs; // for `bench import`: where the time of each table goes
    /** COPYed straight into the (empty, locked) target: no staging table, no classification, every row inserted. */
    boolean direct;
    /** Where the rows of this table are: the target itself when direct, else the staging table. */
    String rowsTable() { return direct ? "public." + TargetTable.quote(map.target()) : stage; }
    Staged(TableMap.Mapping map, SqliteSource src, TargetTable target, Summary.Row row) {
      this.map = map; this.src = src; this.target = target; this.row = row;
      this.stage = "_import_s_" + map.target();
      this.classes = "_import_c_" + map.target();
    }
    void add(long id, long hash) {
      if (n == ids.length) { ids = Arrays.copyOf(ids, n * 2); hashes = Arrays.copyOf(hashes, n * 2); }
      ids[n] = id; hashes[n] = hash; n++;
    }
    String label() { return map.source().equals(map.target()) ? map.target() : map.source() + " -> " + map.target(); }
  }

  // ------------------------------------------------------------------------------- run

  /** Runs the import on the open sources into `conn` (autocommit off); returns the exit code. */
  int run(List<SqliteSource> sources, Connection conn) throws SQLException {
    // until begin(): the concurrent index drop waits for every open transaction, this one's too
    conn.setAutoCommit(true);
    checkTarget(conn);
    for (SqliteSource src : sources) for (TableMap.Mapping m : TableMap.of(src.kind)) {
      TargetTable t = TargetTable.load(conn, m.target());
      if (t == null) throw new ImportFailure(new ImportFailure.NoTargetTable(m.target()));
      targets.put(m.target(), t);
    }
    checkPrivileges(conn);
    if (!s.dryRun) dropVectorIndexesFirst(sources, conn);
    boolean committed = false;
    try {
      begin(conn);
      preparePartitions(sources, conn);
      stageAll(sources, conn);
      if (s.dryRun) return dryRun(conn);
      failOnProblems();
      long t1 = System.nanoTime();
      write(conn);
      writeMs = ms(t1) - Math.max(0, hnswBuildMs);
      s.pause.accept("verify");
      long t2 = System.nanoTime();
      verify(conn);
      verifyMs = ms(t2);
      s.pause.accept("verified");
      for (Staged t : staged) moveSequence(t, conn); // last: setval is not undone by a rollback
      conn.commit();
      committed = true;
    } finally {
      if (!committed) {
        try { conn.rollback(); } catch (SQLException ignored) { /* the connection is gone: the server rolled back */ }
        restoreVectorIndexes();
      }
    }
    summary.print(out, false);
    partitions.report(false).forEach(out::println);
    long imported = summary.imported();
    if (imported == 0) out.println("nothing to import: the target already holds every source row ("
        + String.format(Locale.ROOT, "%,d", summary.sourceRows()) + " rows checked)");
    else out.println(String.format(Locale.ROOT,
        "imported %,d rows; verified: every imported and present row equals its source row", imported));
    return ExitCode.OK;
  }

  private void begin(Connection conn) throws SQLException {
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      // Staging tables live in local buffers up to this size instead of spilling to temp files
      // (must be set before the session's first temp table).
      st.execute("SET temp_buffers = '" + s.tempBuffers.replace("'", "") + "'");
      st.execute("SET LOCAL statement_timeout = 0");
      st.execute("SET LOCAL idle_in_transaction_session_timeout = 0");
    }
  }

  /** Reads every table; checks the rows against the target; classifies them (all problems in one pass). */
  private void stageAll(List<SqliteSource> sources, Connection conn) throws SQLException {
    long t0 = System.nanoTime();
    for (SqliteSource src : sources) for (TableMap.Mapping m : TableMap.of(src.kind)) stage(src, m, conn);
    stageMs = ms(t0);
    sourceProblems = problemCount;
    for (Staged t : staged) check(t, conn);
    checkSequences(conn);
    if (problemCount == 0 || s.dryRun) for (Staged t : staged) classify(t, conn);
  }

  /** --dry-run: the summary, the silent changes, then every problem (exit 9) or "nothing was written". */
  private int dryRun(Connection conn) throws SQLException {
    for (Staged t : staged) tally(conn, t, NEW);
    conn.rollback();
    summary.print(out, true);
    partitions.report(true).forEach(out::println);
    failOnProblems();
    out.println("dry run: nothing was written (" + String.format(Locale.ROOT, "%,d", summary.imported())
        + " rows would be imported)");
    return ExitCode.OK;
  }

  // ------------------------------------------------------------------------------- target

  private void checkTarget(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT current_setting('server_encoding')")) {
        rs.next();
        if (!"UTF8".equals(rs.getString(1)))
          throw new ImportFailure(new ImportFailure.TargetEncoding(rs.getString(1)));
      }
      int version = 0;
      try (ResultSet rs = st.executeQuery("SELECT to_regclass('public._migrations') IS NOT NULL")) {
        rs.next();
        if (rs.getBoolean(1)) {
          try (ResultSet v =
              st.executeQuery("SELECT coalesce(max(version), 0) FROM _migrations WHERE status = 'applied'")) {
            v.next();
            version = v.getInt(1);
          }
        }
      }
      if (version < TableMap.REQUIRED_VERSION)
        throw new ImportFailure(new ImportFailure.NotMigrated(version, TableMap.REQUIRED_VERSION));
    }
  }

  /**
   * The URL's user may write every target table and move its sequence, and (unless --hnsw keep)
   * own learning_memories to drop and build its vector indexes: checked before anything is read,
   * --dry-run included, so a read-only login is told so instead of failing half-way.
   */
  private void checkPrivileges(Connection conn) throws SQLException {
    List<String> insert = new ArrayList<>(), sequences = new ArrayList<>(), missing = new ArrayList<>();
    for (TargetTable t : targets.values()) {
      String table = "public." + TargetTable.quote(t.name);
      try (PreparedStatement ps =
          conn.prepareStatement("SELECT has_table_privilege(?, 'INSERT') AND has_table_privilege(?, 'SELECT'),"
          + " ? IS NULL OR has_sequence_privilege(?, 'UPDATE'),"
          + " pg_has_role((SELECT relowner FROM pg_class WHERE oid = ?::regclass), 'USAGE')")) {
        for (int k : new int[] {1, 2, 5}) ps.setString(k, table);
        ps.setString(3, t.identitySequence);
        ps.setString(4, t.identitySequence);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) insert.add(t.name);
          if (!rs.getBoolean(2)) sequences.add(t.name);
          if (!rs.getBoolean(3) && t.name.equals(TableMap.MEMORIES)
              && s.hnsw != Hnsw.KEEP) missing.add("ownership of " + t.name + " (its vector indexes)");
        }
      }
    }
    if (!insert.isEmpty()) missing.add(0, "INSERT on " + String.join(", ", insert));
    if (!sequences.isEmpty()) missing.add(insert.isEmpty() ? 0 : 1, "UPDATE on the id sequences of "
        + (sequences.size() == targets.size() ? "those tables"
        : String.join(", ", sequences)));
    if (!missing.isEmpty()) throw new ImportFailure(new ImportFailure.NotPrivileged(currentUser(conn), missing));
  }

  private static String currentUser(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT current_user")) {
      rs.next();
      return rs.getString(1);
    }
  }

  // ------------------------------------------------------------------------------- stage

  private void stage(SqliteSource src, TableMap.Mapping m, Connection conn) throws SQLException {
    long t0 = System.nanoTime();
    try {
      if (directInto(m, conn)) stageDirect(src, m, conn);
      else stageTable(src, m, conn, false);
      if (!staged.isEmpty() && staged.get(staged.size() - 1).map == m) staged.get(staged.size() - 1).stageMs = ms(t0);
    } catch (org.sqlite.SQLiteException e) { // a SQLite error while reading: corrupt, locked, ...
      throw SqliteSource.translate(src.file, src.kind, e, s.lockTimeout);
    }
  }

  /**
   * An empty target table gets its rows once, by COPY, instead of staging + INSERT ... SELECT.
   * The target's own constraints check every row as it arrives; when one refuses a row, that
   * COPY is undone (savepoint) and the table goes the staged way, which names every bad row
   * before anything is written.
   */
  private void stageDirect(SqliteSource src, TableMap.Mapping m, Connection conn) throws SQLException {
    java.sql.Savepoint sp = conn.setSavepoint();
    int rowsBefore = summary.rows.size(), stagedBefore = staged.size(), problemsBefore = problems.size();
    long countBefore = problemCount;
    try {
      stageTable(src, m, conn, true);
      conn.releaseSavepoint(sp);
    } catch (SQLException e) {
      if (e instanceof org.sqlite.SQLiteException) throw e;
      conn.rollback(sp);
      progress.line(m.target() + ": the target refused a row of the direct COPY (" + firstLine(e)
          + "); staging the table to name every such row");
      while (summary.rows.size() > rowsBefore) summary.rows.remove(summary.rows.size() - 1);
      while (staged.size() > stagedBefore) staged.remove(staged.size() - 1);
      while (problems.size() > problemsBefore) problems.remove(problems.size() - 1); // read again below
      problemCount = countBefore;
      stageTable(src, m, conn, false);
    }
  }

  /**
   * Whether table `m` can be COPYed straight into the target: not a dry run, the target table
   * empty (checked under the lock the write takes anyway, so no writer can add a row meanwhile),
   * and every parent (FK) of it in this import went the same way (a staged parent may skip rows,
   * whose children must be skipped too).
   */
  private boolean directInto(TableMap.Mapping m, Connection conn) throws SQLException {
    if (s.dryRun || !s.direct) return false;
    TargetTable target = targets.get(m.target());
    for (TargetTable.ForeignKey fk : target.foreignKeys)
      for (Staged p : staged) if (p.map.target().equals(fk.parentTable()) && !p.direct) return false;
    String table = "public." + TargetTable.quote(m.target());
    try (Statement st = conn.createStatement()) {
      st.execute("LOCK TABLE " + table + " IN SHARE ROW EXCLUSIVE MODE");
      try (ResultSet rs = st.executeQuery("SELECT NOT EXISTS (SELECT 1 FROM " + table + ")")) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * Reads source table `m`, converts every row and COPYs it into the target (direct) or into its
   * staging table. A row with a problem is reported and not sent: the rest still is, so the
   * target's constraints are checked on every other row in the same pass.
   */
  private void stageTable(SqliteSource src, TableMap.Mapping m, Connection conn, boolean direct) throws SQLException {
    Summary.Row row = summary.add(m.source(), m.target());
    List<String> srcCols = src.tables.get(m.source());
    if (srcCols == null) {
      row.notes.add("not in " + src.file.getFileName() + " (a file written by an older version)");
      return;
    }
    Staged t = new Staged(m, src, targets.get(m.target()), row);
    t.direct = direct;
    mapColumns(t, srcCols);
    boolean memories = m.source().equals(TableMap.MEMORIES);
    Vec0Reader vec = memories ? openVectors(t) : null;
    row.sourceRows = src.count(m.source());
    List<String> quoted = t.columns.stream().map(TargetTable::quote).toList();
    if (!direct) try (Statement st = conn.createStatement()) {
      st.execute("CREATE TEMP TABLE " + t.stage + " ON COMMIT DROP AS SELECT " + String.join(", ", quoted)
          + " FROM public."
          + TargetTable.quote(m.target()) + " WITH NO DATA");
    }
    progress.start((direct ? "copy " : "read ") + t.label(), row.sourceRows);
    try (CopyWriter copy = new CopyWriter(conn, t.rowsTable(), quoted, t.types);
         Statement q = src.connection().createStatement();
         ResultSet rs = q.executeQuery(selectRows(t, memories))) {
      RowReader reader = new RowReader(t, vec);
      long done = 0;
      while (rs.next()) {
        if (reader.read(rs)) copy.row(reader.values);
        if ((++done & 1023) == 0) progress.tick(done);
      }
      copy.finish();
      progress.done(done, null);
      if (memories) noteVectors(t, vec, reader.withoutVector);
      noteSilentChanges(t);
    } finally {
      if (vec != null) vec.close();
    }
    staged.add(t);
  }

  /** The written columns of `t`: the source's columns the target has (and can take), plus the embedding of memories. */
  private void mapColumns(Staged t, List<String> srcCols) {
    TargetTable target = t.target;
    for (String c : srcCols) {
      if (target.generated.containsKey(c)) { // PostgreSQL computes it (GENERATED ALWAYS): never written, nor compared
        t.row.notes.add("column " + c + " not imported: the target computes it (GENERATED ALWAYS AS "
            + target.generated.get(c) + ")");
        continue;
      }
      if (!target.types.containsKey(c)) {
        if (s.skipUnknownColumns) t.row.notes.add("column " + c
            + " not imported (--skip-unknown-columns): the target has no such column");
        else problem(t.src.file + ": table " + t.map.source() + ", column " + c + ": the target table " + t.map.target()
            + " has no such column; add it with a migration, or pass --skip-unknown-columns to import without it");
        continue;
      }
      ColumnType type = target.type(c);
      if (type == null || type.kind() == ColumnType.Kind.VECTOR || type.kind() == ColumnType.Kind.HALFVEC)
        throw new ImportFailure(new ImportFailure.UnwritableColumn(t.map.target(), c, target.types.get(c)));
      t.columns.add(c);
      t.types.add(type);
    }
    if (!t.columns.contains("id")) throw new ImportFailure(new ImportFailure.NoIdColumn(t.src.file, t.map.source()));
    t.silent = new long[t.columns.size() + 1];
  }

  /** The vec0 reader of the memories' file; adds the embedding column to `t`. */
  private Vec0Reader openVectors(Staged t) throws SQLException {
    ColumnType et = t.target.type(TableMap.EMBEDDING);
    if (et == null || (et.kind() != ColumnType.Kind.VECTOR && et.kind() != ColumnType.Kind.HALFVEC))
      throw new ImportFailure(new ImportFailure.EmbeddingNotVector(t.target.types.get(TableMap.EMBEDDING)));
    Vec0Reader vec = Vec0Reader.open(t.src, et.dims());
    t.halfCopy = et.kind() == ColumnType.Kind.HALFVEC ? TableMap.EMBEDDING : halfvecCopyOf(t.target);
    t.columns.add(TableMap.EMBEDDING);
    t.types.add(et);
    return vec;
  }

  /**
   * Memories come in vec0's slot order (those without a vector first), so each 4 MiB vector
   * chunk is read once; other tables in the file's own order.
   */
  private static String selectRows(Staged t, boolean memories) {
    if (!memories) return "SELECT " + String.join(", ", srcQuoted(t.columns, "")) + " FROM "
        + SqliteSource.quote(t.map.source());
    return "SELECT " + String.join(", ", srcQuoted(t.columns.subList(0, t.columns.size() - 1), "m."))
        + ", r.rowid IS NOT NULL, r.chunk_id, r.chunk_offset FROM " + TableMap.MEMORIES + " m LEFT JOIN \""
        + TableMap.VEC0
        + "_rowids\" r ON r.rowid = m.id ORDER BY r.chunk_id, r.chunk_offset";
  }

  private void noteVectors(Staged t, Vec0Reader vec, long withoutVector) throws SQLException {
    if (withoutVector > 0) t.row.notes.add(String.format(Locale.ROOT,
        "%,d memories have no vector in %s: imported with a NULL embedding",
        withoutVector, TableMap.VEC0));
    List<Long> orphans = vec.vectorsWithoutMemory();
    if (!orphans.isEmpty()) t.row.notes.add(String.format(Locale.ROOT,
        "%,d vectors in %s have no memory row (ids %s): not imported",
        orphans.size(), TableMap.VEC0, ids(orphans)));
  }

  /** Per column, how many values arrive otherwise than written (rounded, normalised; --strict refuses them). */
  private static void noteSilentChanges(Staged t) {
    for (int k = 0; k < t.columns.size(); k++) {
      if (t.silent[k] > 0) t.row.notes.add(String.format(Locale.ROOT, "column %s: %,d %s %s (--strict refuses)",
          t.columns.get(k), t.silent[k],
          t.silent[k] == 1 ? "value" : "values", Converter.silentChangeKind(t.types.get(k))));
    }
  }

  /** Converts the source rows of one table, one at a time, and keeps the source side of the checksum. */
  private final class RowReader {
    final Staged t;
    final Vec0Reader vec;
    final Object[] values, hashed;
    final int nSrc, idCol;
    final Checksum checksum;
    long withoutVector;

    RowReader(Staged t, Vec0Reader vec) {
      this.t = t; this.vec = vec;
      values = new Object[t.columns.size()];
      hashed = new Object[t.columns.size()];
      nSrc = t.columns.size() - (vec == null ? 0 : 1);
      idCol = t.columns.indexOf("id");
      checksum = new Checksum(t.types, t.columns.stream().mapToInt(t.target.typeOids::get).toArray());
    }

    /** Converts the current row; true when it has no problem (then `values` is what COPY sends). */
    boolean read(ResultSet rs) throws SQLException {
      Object rawId = rs.getObject(idCol + 1);
      long id = rs.getLong(idCol + 1);
      long before = problemCount;
      if (rawId == null) problem(where(t)
          + ", a row with a NULL id (column id): every row needs one; give it an id or delete it");
      for (int k = 0; k < nSrc; k++) {
        Object raw = rs.getObject(k + 1);
        values[k] = value(rs, raw, k, t, id);
        // The checksum takes a timestamp's instant from its source text, parsed again (see Checksum).
        hashed[k] = values[k] instanceof Converter.Timestamp ? Checksum.sourceTimestamp((String) raw) : values[k];
      }
      if (vec != null) hashed[nSrc] = values[nSrc] = vector(rs, id);
      if (problemCount > before) { t.bad.add(id); return false; }
      t.add(id, checksum.rowHash(hashed));
      return true;
    }

    private Converter.Vector vector(ResultSet rs, long id) throws SQLException {
      if (!rs.getBoolean(nSrc + 1)) { withoutVector++; return null; }
      try {
        if (rs.getObject(nSrc + 2) == null || rs.getObject(nSrc + 3) == null)
          throw new Converter.Problem("vec0 has no slot for it (chunk_id or chunk_offset is NULL)");
        Converter.Vector v = vec.vector(id, rs.getLong(nSrc + 2), rs.getLong(nSrc + 3));
        int beyond = t.halfCopy == null ? -1 : vec.beyondHalf;
        if (beyond < 0) return v;
        problem(where(t) + ", id " + id + ", column " + t.halfCopy + ": embedding element " + beyond + " is "
            + Converter.element(v, beyond)
            + ", beyond the range of halfvec (|x| <= 65504), so the target's column " + t.halfCopy + " ("
            + (t.target.generated.containsKey(t.halfCopy) ? t.target.generated.get(t.halfCopy)
            : t.target.types.get(t.halfCopy) + ", migration 007")
            + ") cannot hold it; kodiai's embeddings are normalized (|x| <= 1): re-embed this memory or delete it"
            + " from the source");
      } catch (Converter.Problem p) {
        problem(t.src.file + ": table " + TableMap.VEC0 + ", memory_id " + id + ", column embedding: "
            + p.getMessage());
      }
      return null;
    }
  }

  private static String where(Staged t) { return t.src.file + ": table " + t.map.source(); }

  /** The stored generated halfvec column computed from the embedding, or null (before 007). */
  private static String halfvecCopyOf(TargetTable target) {
    for (var g : target.generated.entrySet())
      if (target.types.get(g.getKey()).startsWith("halfvec")
          && g.getValue().contains(TableMap.EMBEDDING)) return g.getKey();
    return null;
  }

  /** Column k of the current SQLite row, converted; a problem is recorded (and null returned); silent changes counted.
   * */
  private Object value(ResultSet rs, Object raw, int k, Staged t, long id) throws SQLException {
    ColumnType type = t.types.get(k);
    try {
      if (raw instanceof String str && str.indexOf('\uFFFD') >= 0) strictUtf8(rs.getBytes(k + 1));
      Object v = Converter.convert(raw, type);
      String change = Converter.silentChange(raw, v);
      if (change != null) {
        t.silent[k]++;
        if (s.strict) throw new Converter.Problem(change
            + "; --strict refuses a value that would not arrive as written");
      }
      return v;
    } catch (Converter.Problem p) {
      problem(where(t) + ", id " + id + ", column " + t.columns.get(k) + ": " + p.getMessage());
      return null;
    }
  }

  /** The driver shows invalid UTF-8 as U+FFFD; a real U+FFFD is fine, a broken byte sequence is not. */
  private static void strictUtf8(byte[] raw) throws Converter.Problem {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw));
    } catch (CharacterCodingException e) {
      throw new Converter.Problem("text is not valid UTF-8 (PostgreSQL stores UTF-8 text only)");
    }
  }

  static List<String> srcQuoted(List<String> cols, String prefix) {
    return cols.stream().map(c -> prefix + SqliteSource.quote(c)).toList();
  }

  // ------------------------------------------------------------------------------- check

  /** The staged rows against the target's constraints, so nothing fails half-way through the write. */
  private void check(Staged t, Connection conn) throws SQLException {
    if (t.direct) return; // COPY into the target: its NOT NULLs, CHECKs, FKs and indexes took every row
    String where = where(t);
    report(conn, "SELECT id FROM " + t.stage + " GROUP BY id HAVING count(*) > 1 ORDER BY id", where
        + ", id %d, column id: more than one row"
        + " has this id (the source table has no primary key); keep one of them in a copy of the file");
    for (String c : t.target.notNull) {
      if (!t.columns.contains(c)) continue;
      report(conn, "SELECT id FROM " + t.stage + " WHERE " + TargetTable.quote(c) + " IS NULL ORDER BY id",
          where + ", id %d, column " + c + ": NULL, but the target column is NOT NULL");
    }
    for (TargetTable.Check ch : t.target.checks) {
      if (!t.columns.containsAll(ch.columns())) continue;
      report(conn, "SELECT id FROM " + t.stage + " WHERE NOT (" + ch.expression() + ") ORDER BY id",
          where + ", id %d: violates " + t.map.target() + "'s CHECK " + ch.name() + " (" + ch.expression() + ")");
    }
    for (TargetTable.BtreeIndex ix : t.target.btreeTextIndexes) {
      if (!t.columns.containsAll(ix.columns())) continue;
      String size = String.join(" + ",
          ix.columns().stream().map(c -> "coalesce(pg_column_size(" + TargetTable.quote(c) + "), 0)").toList());
      report(conn, "SELECT id FROM " + t.stage + " WHERE " + size + " > 2700 ORDER BY id",
          where + ", id %d: " + String.join(", ", ix.columns()) + " too long for the btree index " + ix.name()
              + " (an index entry holds at most 2704 bytes); a migration must change that index");
    }
    for (TargetTable.ForeignKey fk : t.target.foreignKeys) checkParent(t, fk, conn);
    for (var e : t.target.tsvectorSources.entrySet()) if (t.columns.contains(e.getKey())) checkTsvector(t, e.getKey(),
        e.getValue(), conn);
  }

  /** Rows pointing to a parent that is neither imported nor in the target (a parent row with a problem is reported
   * already). */
  private void checkParent(Staged t, TargetTable.ForeignKey fk, Connection conn) throws SQLException {
    if (!t.columns.contains(fk.column())) return;
    Staged parent = staged.stream().filter(p -> p.map.target().equals(fk.parentTable())).findFirst().orElse(null);
    String col = "s." + TargetTable.quote(fk.column());
    String inParent = parent == null || parent.direct ? "" : " AND NOT EXISTS (SELECT 1 FROM " + parent.stage
        + " p WHERE p.id = " + col + ")";
    String reported = parent == null || parent.bad.isEmpty() ? ""
        : " AND NOT " + col + " = ANY ('{" + String.join(",", parent.bad.stream().map(String::valueOf).toList())
        + "}'::bigint[])";
    report(conn, "SELECT s.id FROM " + t.stage + " s WHERE " + col + " IS NOT NULL" + inParent + reported
            + " AND NOT EXISTS (SELECT 1 FROM public." + TargetTable.quote(fk.parentTable()) + " p WHERE p.id = "
            + col + ") ORDER BY s.id",
        where(t) + ", id %d, column " + fk.column() + ": points to a " + fk.parentTable()
            + " row that is neither in the source nor in the target (FK "
            + fk.name() + ")");
  }

  /**
   * Text a trigger of the target turns into a tsvector (findings.title, learning_memories.finding_text):
   * a tsvector holds at most 1 MiB of lexemes, so each value over 1 MiB is tried with the trigger's
   * own to_tsvector (the shorter ones always fit).
   */
  private void checkTsvector(Staged t, String column, String config, Connection conn) throws SQLException {
    List<Long> large = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM " + t.stage
        + " WHERE octet_length("
        + TargetTable.quote(column) + ") >= 1048576 ORDER BY id")) {
      while (rs.next()) large.add(rs.getLong(1));
    }
    for (long id : large) {
      java.sql.Savepoint sp = conn.setSavepoint();
      try (PreparedStatement ps = conn.prepareStatement("SELECT length(to_tsvector(?::regconfig, "
          + TargetTable.quote(column) + ")) FROM "
          + t.stage + " WHERE id = ?")) {
        ps.setString(1, config);
        ps.setLong(2, id);
        ps.executeQuery().close();
        conn.releaseSavepoint(sp);
      } catch (SQLException e) {
        conn.rollback(sp);
        problem(where(t) + ", id " + id + ", column " + column
            + ": the target's full-text search cannot index this text (" + firstLine(e)
            + "; a tsvector holds at most 1 MiB of words): shorten it in a copy of the file");
      }
    }
  }

  private void report(Connection conn, String sql, String format) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) problem(String.format(Locale.ROOT, format, rs.getLong(1)));
    }
  }

  // ------------------------------------------------------------------------------- classify

  private void classify(Staged t, Connection conn) throws SQLException {
    if (t.direct) return; // every row is new (the table was empty) and already inserted
    String same = "(" + cols(t, "s.") + ") IS NOT DISTINCT FROM (" + cols(t, "t.") + ")";
    try (Statement st = conn.createStatement()) {
      st.execute("CREATE TEMP TABLE " + t.classes + " ON COMMIT DROP AS SELECT s.id, CASE WHEN t.id IS NULL THEN '"
          + NEW + "' WHEN " + same
          + " THEN '" + PRESENT + "' ELSE '" + COLLIDES + "' END AS state, NULL::bigint AS hash FROM " + t.stage
          + " s LEFT JOIN public." + TargetTable.quote(t.map.target())
          + " t ON t.id = s.id");
      st.execute("CREATE UNIQUE INDEX ON " + t.classes + " (id)");
      st.execute("ANALYZE " + t.classes);
    }
  }

  private static String cols(Staged t, String prefix) {
    return String.join(", ", t.columns.stream().map(c -> prefix + TargetTable.quote(c)).toList());
  }

  private long countState(Connection conn, Staged t, String state) throws SQLException {
    if (t.direct) return state.equals(INSERTED) ? t.n : 0;
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t.classes
        + " WHERE state = '" + state + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ------------------------------------------------------------------------------- write

  private void write(Connection conn) throws SQLException {
    if (staged.isEmpty()) return;
    try (Statement st = conn.createStatement()) {
      // The bot's writers wait until the commit (its readers do not): no id the import is
      // about to use can be taken by a concurrent insert.
      List<String> tables = staged.stream().map(t -> "public." + TargetTable.quote(t.map.target())).distinct().toList();
      st.execute("LOCK TABLE " + String.join(", ", tables) + " IN SHARE ROW EXCLUSIVE MODE");
    }
    for (Staged t : staged) {
      if (t.direct) t.row.imported = t.n; // written by its COPY
      else insertNew(t, conn);
      if (t.map.target().equals(TableMap.MEMORIES)
          && !droppedVectorIndexes.isEmpty()) rebuildVectorIndexes(droppedVectorIndexes, conn);
      if (t.map.target().equals(TableMap.MEMORIES) && !partitions.created.isEmpty()) {
        long t0 = System.nanoTime();
        partitions.buildIndexes(conn, progress);
        hnswBuildMs = Math.max(0, hnswBuildMs) + ms(t0); // with the other HNSW builds, out of writeMs
      }
    }
  }

  /** The staged rows classified new, by INSERT ... SELECT (a unique key the bot already wrote: skipped). */
  private void insertNew(Staged t, Connection conn) throws SQLException {
    skipChildrenOfSkipped(t, conn);
    long tw = System.nanoTime();
    progress.start("write " + t.label(), countState(conn, t, NEW));
    try (Statement st = conn.createStatement()) {
      // RETURNING hands back each row as stored (after defaults and any BEFORE trigger): its
      // checksum is taken there, in the same pass, instead of reading 100,000s of rows back.
      st.executeUpdate("WITH ins AS (INSERT INTO public." + TargetTable.quote(t.map.target()) + " AS t (" + cols(t,
          "") + ") SELECT " + cols(t, "s.")
          + " FROM " + t.stage + " s JOIN " + t.classes + " c ON c.id = s.id WHERE c.state = '" + NEW
          + "' ON CONFLICT DO NOTHING RETURNING t.id, "
          + Checksum.rowHashSql(t.columns, "t") + " AS h) "
          + "UPDATE " + t.classes + " c SET state = '" + INSERTED + "', hash = ins.h FROM ins WHERE c.id = ins.id");
      st.executeUpdate("UPDATE " + t.classes + " SET state = '" + KEY_EXISTS + "' WHERE state = '" + NEW + "'");
    } catch (SQLException e) {
      throw new ImportFailure(new ImportFailure.WriteFailed(t.map.target(), firstLine(e)), e);
    }
    tally(conn, t, INSERTED);
    progress.done(t.row.imported, null);
    t.writeMs = ms(tw);
  }

  /**
   * The next id of the table's identity is past every id the source ever issued and every id
   * now in the table. setval on the identity sequence takes no lock on the table (ALTER TABLE
   * ... RESTART took ACCESS EXCLUSIVE, which blocked the bot's reads until the commit); it is
   * not undone by a rollback, so it runs last, after the verification.
   */
  private void moveSequence(Staged t, Connection conn) throws SQLException {
    if (t.target.identitySequence == null) return;
    long sourceMax = t.src.sequences.getOrDefault(t.map.source(), 0L);
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT setval(?::regclass, x) FROM (SELECT greatest(?, (SELECT coalesce(max(id), 0) "
        + "FROM public."
        + TargetTable.quote(t.map.target()) + ")) AS x) v, " + t.target.identitySequence
        + " q WHERE x > 0 AND x > CASE WHEN q.is_called THEN q.last_value"
        + " ELSE q.last_value - 1 END")) {
      ps.setString(1, t.target.identitySequence);
      ps.setLong(2, sourceMax);
      ps.executeQuery().close();
    }
  }

  /** sqlite_sequence of a table at or past the end of the target's identity: no id could be issued after the import. */
  private void checkSequences(Connection conn) throws SQLException {
    for (Staged t : staged) {
      Long sourceMax = t.src.sequences.get(t.map.source());
      if (sourceMax == null || t.target.identitySequence == null) continue;
      try (PreparedStatement ps =
          conn.prepareStatement("SELECT seqmax FROM pg_sequence WHERE seqrelid = ?::regclass")) {
        ps.setString(1, t.target.identitySequence);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && sourceMax >= rs.getLong(1)) problem(where(t)
              + " (sqlite_sequence), column id: the highest id ever issued is " + sourceMax
              + ", and the target's id sequence ends at " + rs.getLong(1)
              + ", so no id would be left for a new row; fix sqlite_sequence in a copy");
        }
      }
    }
  }

  /** Rows whose parent (by FK) was not imported are skipped too: they would point to another row. */
  private void skipChildrenOfSkipped(Staged t, Connection conn) throws SQLException {
    for (TargetTable.ForeignKey fk : t.target.foreignKeys) {
      Staged parent = staged.stream().filter(p -> p.map.target().equals(fk.parentTable())).findFirst().orElse(null);
      if (parent == null || parent.direct || !t.columns.contains(fk.column())) continue;
      try (Statement st = conn.createStatement()) {
        st.executeUpdate("UPDATE " + t.classes + " c SET state = '" + PARENT_SKIPPED + "' FROM " + t.stage
            + " s WHERE s.id = c.id AND c.state = '" + NEW
            + "' AND s." + TargetTable.quote(fk.column()) + " IN (SELECT id FROM " + parent.classes
            + " WHERE state NOT IN ('" + PRESENT + "', '" + INSERTED + "'))");
      }
    }
  }

  // ------------------------------------------------------------------------------- vector indexes

  /**
   * The HNSW path, by cost: when rebuilding costs less than inserting the incoming memories into
   * the index row by row (an empty or small table: Settings.hnswInsertToBuild), the vector
   * indexes of learning_memories are dropped here, CONCURRENTLY on a second connection before the
   * import's transaction takes any lock (a DROP INDEX inside it would hold ACCESS EXCLUSIVE, and
   * block the bot's reads, until the commit), and built once after the load, inside the
   * transaction (CREATE INDEX takes SHARE: reads go on). A failed import builds them again.
   */
  private void dropVectorIndexesFirst(List<SqliteSource> sources, Connection conn) throws SQLException {
    SqliteSource src = sources.stream().filter(x -> x.tables.containsKey(TableMap.MEMORIES)).findFirst().orElse(null);
    if (src == null || s.hnsw == Hnsw.KEEP || !targets.containsKey(TableMap.MEMORIES)) return;
    long incoming;
    try {
      incoming = src.count(TableMap.MEMORIES);
    } catch (org.sqlite.SQLiteException e) {
      throw SqliteSource.translate(src.file, src.kind, e, s.lockTimeout);
    }
    long existing;
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM public."
        + TableMap.MEMORIES)) {
      rs.next();
      existing = rs.getLong(1);
    }
    if (!rebuildPays(incoming, existing)) return;
    List<String[]> defs = vectorIndexes(conn);
    if (defs.isEmpty()) return;
    try (Connection c = opener.call(); Statement st = c.createStatement()) {
      c.setAutoCommit(true);
      for (String[] d : defs) {
        progress.line("dropping " + d[0] + " (concurrently; built again after the load)");
        st.execute("DROP INDEX CONCURRENTLY IF EXISTS public." + TargetTable.quote(d[0]));
        droppedVectorIndexes = defs.subList(0, defs.indexOf(d) + 1);
      }
    } catch (SQLException e) {
      restoreVectorIndexes();
      throw e;
    } catch (Exception e) {
      restoreVectorIndexes();
      throw new ImportFailure(new ImportFailure.SecondConnection(e.getMessage()), e);
    }
  }

  /** Before the load, in the import's transaction: the partitions of the source's large repos (MemoryPartitions). */
  private void preparePartitions(List<SqliteSource> sources, Connection conn) throws SQLException {
    SqliteSource src = !targets.containsKey(TableMap.MEMORIES) ? null
        : sources.stream().filter(x -> x.tables.containsKey(TableMap.MEMORIES)).findFirst().orElse(null);
    partitions = new MemoryPartitions(s.partitionMinRows);
    try {
      partitions.prepare(src, conn, progress, s.dryRun);
    } catch (org.sqlite.SQLiteException e) {
      throw SqliteSource.translate(src.file, src.kind, e, s.lockTimeout);
    }
  }

  /** Whether building the vector indexes after the load costs less than keeping them (Settings.hnswInsertToBuild). */
  boolean rebuildPays(long incoming, long existing) {
    if (s.hnsw == Hnsw.REBUILD) return true;
    if (s.hnsw == Hnsw.KEEP || incoming == 0) return false;
    return existing < (s.hnswInsertToBuild - 1) * incoming;
  }

  /**
   * The HNSW (and IVFFlat) indexes of learning_memories as {name, definition, comment}: since migration 070 those
   * of its partitions (a repo partition's own, `indexes sync`'s on the default partition), each dropped and built
   * on its own; an index of the partitioned table itself (PostgreSQL drops none CONCURRENTLY) stays, kept up row
   * by row.
   */
  private static List<String[]> vectorIndexes(Connection conn) throws SQLException {
    List<String[]> defs = new ArrayList<>();
    String table = "'public." + TableMap.MEMORIES + "'";
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT c.relname, pg_get_indexdef(c.oid), obj_description(c.oid, 'pg_class') FROM pg_index i"
            + " JOIN pg_class c ON c.oid = i.indexrelid "
            + "JOIN pg_am am ON am.oid = c.relam WHERE (i.indrelid = " + table + "::regclass OR i.indrelid IN"
            + " (SELECT relid FROM pg_partition_tree(" + table + "))) AND c.relkind = 'i' AND NOT c.relispartition"
            + " AND am.amname IN ('hnsw', 'ivfflat') ORDER BY 1")) {
      while (rs.next()) defs.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
    }
    return defs;
  }

  private void rebuildVectorIndexes(List<String[]> defs, Connection conn) throws SQLException {
    s.pause.accept("hnsw-build");
    long t0 = System.nanoTime();
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL maintenance_work_mem = '" + s.maintenanceWorkMem.replace("'", "") + "'");
      for (String[] d : defs) {
        progress.line("building " + d[0] + " ...");
        st.execute(d[1]);
        if (d[2] != null) st.execute("COMMENT ON INDEX public." + TargetTable.quote(d[0]) + " IS '"
            + d[2].replace("'", "''") + "'");
      }
    }
    hnswBuildMs = ms(t0);
    progress.line(String.format(Locale.ROOT, "built %s in %.1f s", String.join(", ",
        defs.stream().map(d -> d[0]).toList()), hnswBuildMs / 1000.0));
    s.pause.accept("hnsw-built");
  }

  /** After a failed import: the dropped vector indexes again, CONCURRENTLY (the bot's reads and writes go on). */
  private void restoreVectorIndexes() {
    if (droppedVectorIndexes.isEmpty()) return;
    try (Connection c = opener.call(); Statement st = c.createStatement()) {
      c.setAutoCommit(true);
      st.execute("SET maintenance_work_mem = '" + s.maintenanceWorkMem.replace("'", "") + "'");
      for (String[] d : droppedVectorIndexes) {
        st.execute(d[1].replaceFirst("^CREATE (UNIQUE )?INDEX ", "CREATE $1INDEX CONCURRENTLY IF NOT EXISTS "));
        if (d[2] != null) st.execute("COMMENT ON INDEX public." + TargetTable.quote(d[0]) + " IS '"
            + d[2].replace("'", "''") + "'");
      }
      droppedVectorIndexes = List.of();
    } catch (Exception e) {
      progress.line("could not build the vector indexes of learning_memories again (" + e.getMessage()
          + "); run ./jbang migrate@kodiai"
          + " validate, or create them: " + String.join("; ", droppedVectorIndexes.stream().map(d -> d[1]).toList()));
    }
  }

  /** The summary row of `t` from its classification; `imported` counts the rows in state `importedState`. */
  private void tally(Connection conn, Staged t, String importedState) throws SQLException {
    if (t.direct) { t.row.imported = t.n; return; }
    Map<String, Long> states = states(conn, t);
    t.row.imported = states.getOrDefault(importedState, 0L);
    t.row.present = states.getOrDefault(PRESENT, 0L);
    t.row.skip("id taken by a different row in the target (ids " + ids(conn, t, COLLIDES) + ")",
        states.getOrDefault(COLLIDES, 0L));
    t.row.skip("parent row skipped (ids " + ids(conn, t, PARENT_SKIPPED) + ")",
        states.getOrDefault(PARENT_SKIPPED, 0L));
    t.row.skip("unique key already in the target (ids " + ids(conn, t, KEY_EXISTS) + ")",
        states.getOrDefault(KEY_EXISTS, 0L));
  }

  private Map<String, Long> states(Connection conn, Staged t) throws SQLException {
    Map<String, Long> m = new LinkedHashMap<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT state, count(*) FROM "
        + t.classes + " GROUP BY state")) {
      while (rs.next()) m.put(rs.getString(1), rs.getLong(2));
    }
    return m;
  }

  private String ids(Connection conn, Staged t, String state) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM " + t.classes
        + " WHERE state = '" + state + "' ORDER BY id LIMIT 11")) {
      while (rs.next()) ids.add(rs.getLong(1));
    }
    return ids(ids);
  }

  static String ids(List<Long> ids) {
    List<String> shown = ids.stream().limit(10).map(String::valueOf).toList();
    return String.join(", ", shown) + (ids.size() > 10 ? ", ..." : "");
  }

  // ------------------------------------------------------------------------------- verify

  /** Source vs target, per table: count and checksum over every written column of every imported or present row. */
  private void verify(Connection conn) throws SQLException {
    List<String> differences = new ArrayList<>();
    for (Staged t : staged) {
      long tv = System.nanoTime();
      progress.start("verify " + t.label(), t.n);
      // The source side: every staged row, less those the write skipped.
      long[] skippedIds = new long[0];
      if (!t.direct) try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(
          "SELECT id FROM " + t.classes + " WHERE state NOT IN ('" + PRESENT + "', '" + INSERTED + "') ORDER BY id")) {
        List<Long> l = new ArrayList<>();
        while (rs.next()) l.add(rs.getLong(1));
        skippedIds = l.stream().mapToLong(Long::longValue).toArray();
      }
      long count = 0, sum = 0;
      for (int k = 0; k < t.n; k++) {
        if (Arrays.binarySearch(skippedIds, t.ids[k]) >= 0) continue;
        count++;
        sum += t.hashes[k];
      }
      // The target side: inserted rows as the INSERT stored them (their hash from RETURNING),
      // rows that were already present read back from the table.
      // A direct table held nothing before its COPY: every row in it is one of the source's.
      String rows = t.direct ? "SELECT t.id, " + Checksum.rowHashSql(t.columns, "t") + " AS h FROM public."
          + TargetTable.quote(t.map.target()) + " t"
          : "SELECT c.id, c.hash AS h FROM " + t.classes + " c WHERE c.state = '" + INSERTED
          + "' UNION ALL SELECT t.id, "
          + Checksum.rowHashSql(t.columns, "t") + " FROM public." + TargetTable.quote(t.map.target()) + " t JOIN "
          + t.classes
          + " c ON c.id = t.id WHERE c.state = '" + PRESENT + "'";
      long pgCount, pgSum;
      try (Statement st = conn.createStatement(); ResultSet rs =
          st.executeQuery("SELECT count(h), sum(h::numeric) FROM (" + rows + ") x")) {
        rs.next();
        pgCount = rs.getLong(1);
        BigInteger b = rs.getBigDecimal(2) == null ? null : rs.getBigDecimal(2).toBigInteger();
        pgSum = Checksum.fold(b);
      }
      if (pgCount != count || pgSum != sum) differences.add(t.map.target() + ": "
          + (pgCount != count ? "source " + count + " rows, target " + pgCount : "checksums differ")
          + "; rows that differ: " + differingIds(conn, t, rows, skippedIds));
      progress.done(count, null);
      t.verifyMs = ms(tv);
    }
    if (!differences.isEmpty())
      throw new ImportFailure(new ImportFailure.VerifyFailed(List.copyOf(differences)));
  }

  private String differingIds(Connection conn, Staged t, String rows, long[] skippedIds) throws SQLException {
    Map<Long, Long> source = new LinkedHashMap<>();
    for (int k = 0; k < t.n; k++) if (Arrays.binarySearch(skippedIds, t.ids[k]) < 0) source.put(t.ids[k], t.hashes[k]);
    List<Long> diff = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id, h FROM (" + rows
        + ") x ORDER BY id")) {
      while (rs.next()) {
        Long expected = source.remove(rs.getLong(1));
        if (expected == null || expected != rs.getLong(2)) diff.add(rs.getLong(1));
      }
    }
    diff.addAll(source.keySet()); // in the source, not found in the target
    diff.sort(null);
    return ids(diff);
  }

  // ------------------------------------------------------------------------------- problems

  private void problem(String line) {
    problemCount++;
    problems.add(line);
  }

  /** Every problem of the run, one line each (the first problemLines here, all in --problems FILE), then the count. */
  private void failOnProblems() {
    if (problemCount == 0) return;
    List<String> shown = List.copyOf(problems.subList(0, (int) Math.min(problems.size(), s.problemLines)));
    if (s.problemsFile != null) writeProblems();
    throw new ImportFailure(new ImportFailure.Problems(shown, problemCount, sourceProblems, s.problemsFile));
  }

  private void writeProblems() {
    try {
      java.nio.file.Files.write(s.problemsFile, problems, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new ImportFailure(new ImportFailure.ProblemsFile(s.problemsFile, e.getMessage()), e);
    }
  }

  static String firstLine(SQLException e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static long ms(long t0) { return (System.nanoTime() - t0) / 1_000_000; }
}
