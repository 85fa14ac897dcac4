// Shared source of the importer (//SOURCES importer/Importer.java): the orchestrator of
// `import`. All defaults are in Settings; the steps are methods named as verbs:
//
//   open the sources (one read snapshot each) -> check the target is migrated far enough ->
//   in ONE PostgreSQL transaction:
//     stage    every table: convert each SQLite value, binary COPY into a temp table; a table
//              that is empty in the target (and whose parents went the same way) is COPYed
//              straight into it instead, its own constraints checking each row (a refused row:
//              back to a savepoint, and the table is staged to name every bad row)
//     check    the staged rows against the target's own NOT NULLs, CHECKs, FKs, index limits
//     classify each row by id: new, already present (same content), colliding (other content)
//     (--dry-run stops here: summary, rollback)
//     write    move sequences past the source's, INSERT ... SELECT the new rows (ON CONFLICT
//              DO NOTHING: a unique key the bot already wrote is skipped, never overwritten),
//              HNSW index dropped before and rebuilt after a large load
//     verify   count + checksum of every column of every imported or present row, source vs target
//   commit only when nothing differs. Any failure rolls everything back: the target is as it was.

import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.io.PrintStream;
import java.sql.Connection;
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
    long hnswRebuildMinRows = 10_000;         // AUTO rebuilds when importing at least this many memories ...
    String maintenanceWorkMem = "1GB";        // --maintenance-work-mem for the HNSW build (SET LOCAL)
    String tempBuffers = "512MB";             // temp_buffers: memory for the staging tables of this session
    boolean skipUnknownColumns;               // --skip-unknown-columns: import without source columns the target lacks
    boolean direct = true;                    // COPY straight into empty target tables (false: always stage; tests compare both)
    int problemLines = 50;                    // problems printed one per line before "... and N more"
  }

  /** What to do with learning_memories' HNSW index(es) around the load. */
  enum Hnsw { AUTO, REBUILD, KEEP }

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
  private List<String[]> directHnsw = List.of(); // vector indexes dropped before a direct COPY of the memories
  long hnswBuildMs = -1, writeMs, stageMs, verifyMs;

  Importer(Settings s, PrintStream out, Progress progress) { this.s = s; this.out = out; this.progress = progress; }

  /** One source table on its way: its columns, its temp tables, and the source side of the checksum. */
  static final class Staged {
    final TableMap.Mapping map;
    final SqliteSource src;
    final TargetTable target;
    final List<String> columns = new ArrayList<>(); // written columns, source order (+ embedding)
    final List<ColumnType> types = new ArrayList<>();
    final String stage, classes; // temp table names
    final Summary.Row row;
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
    checkTarget(conn);
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      // Staging tables live in local buffers up to this size instead of spilling to temp files
      // (must be set before the session's first temp table).
      st.execute("SET temp_buffers = '" + s.tempBuffers.replace("'", "") + "'");
      st.execute("SET LOCAL statement_timeout = 0");
      st.execute("SET LOCAL idle_in_transaction_session_timeout = 0");
    }
    boolean committed = false;
    try {
      for (SqliteSource src : sources) {
        for (TableMap.Mapping m : TableMap.of(src.kind)) {
          TargetTable t = TargetTable.load(conn, m.target());
          if (t == null) throw ImportFailure.targetNotReady("the target has no table " + m.target() + ": run ./jbang migrate@kodiai up first");
          targets.put(m.target(), t);
        }
      }
      long t0 = System.nanoTime();
      for (SqliteSource src : sources) for (TableMap.Mapping m : TableMap.of(src.kind)) stage(src, m, conn);
      stageMs = ms(t0);
      failOnProblems("in the source data");
      for (Staged t : staged) check(t, conn);
      failOnProblems("that the target schema refuses");
      for (Staged t : staged) classify(t, conn);
      if (s.dryRun) {
        for (Staged t : staged) tally(conn, t, NEW);
        conn.rollback();
        summary.print(out, true);
        out.println("dry run: nothing was written (" + String.format(Locale.ROOT, "%,d", summary.imported()) + " rows would be imported)");
        return ExitCode.OK;
      }
      long t1 = System.nanoTime();
      write(conn);
      writeMs = ms(t1) - Math.max(0, hnswBuildMs);
      long t2 = System.nanoTime();
      verify(conn);
      verifyMs = ms(t2);
      conn.commit();
      committed = true;
    } finally {
      if (!committed) {
        try { conn.rollback(); } catch (SQLException ignored) { /* the connection is gone: the server rolled back */ }
      }
    }
    summary.print(out, false);
    long imported = summary.imported();
    if (imported == 0) out.println("nothing to import: the target already holds every source row (" + String.format(Locale.ROOT, "%,d", summary.sourceRows()) + " rows checked)");
    else out.println(String.format(Locale.ROOT, "imported %,d rows; verified: every imported and present row equals its source row", imported));
    return ExitCode.OK;
  }

  // ------------------------------------------------------------------------------- target

  private void checkTarget(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT current_setting('server_encoding')")) {
        rs.next();
        if (!"UTF8".equals(rs.getString(1)))
          throw ImportFailure.targetNotReady("the target database's encoding is " + rs.getString(1) + "; kodiai's data needs UTF8 (create the database with ENCODING 'UTF8')");
      }
      int version = 0;
      try (ResultSet rs = st.executeQuery("SELECT to_regclass('public._migrations') IS NOT NULL")) {
        rs.next();
        if (rs.getBoolean(1)) {
          try (ResultSet v = st.executeQuery("SELECT coalesce(max(version), 0) FROM _migrations WHERE status = 'applied'")) {
            v.next();
            version = v.getInt(1);
          }
        }
      }
      if (version < TableMap.REQUIRED_VERSION)
        throw ImportFailure.targetNotReady("the target is at migration " + version + "; the import needs " + String.format("%03d", TableMap.REQUIRED_VERSION)
            + " or later: run ./jbang migrate@kodiai up (with the same --url / DATABASE_URL) first");
    }
  }

  // ------------------------------------------------------------------------------- stage

  private void stage(SqliteSource src, TableMap.Mapping m, Connection conn) throws SQLException {
    long t0 = System.nanoTime();
    try {
      if (directInto(m, conn)) {
        // An empty target table gets its rows once, by COPY, instead of staging + INSERT ... SELECT.
        // The target's own constraints check every row as it arrives; when one refuses a row, that
        // COPY is undone (savepoint) and the table goes the staged way, which names every bad row
        // before anything is written.
        java.sql.Savepoint sp = conn.setSavepoint();
        int rowsBefore = summary.rows.size(), stagedBefore = staged.size();
        long problemsBefore = problemCount;
        try {
          stageTable(src, m, conn, true);
          conn.releaseSavepoint(sp);
        } catch (SQLException e) {
          if (e instanceof org.sqlite.SQLiteException) throw e;
          if (problemCount > problemsBefore) return; // the source's own problems: failOnProblems lists them
          conn.rollback(sp);
          progress.line(m.target() + ": the target refused a row of the direct COPY (" + firstLine(e) + "); staging the table to name every such row");
          while (summary.rows.size() > rowsBefore) summary.rows.remove(summary.rows.size() - 1);
          while (staged.size() > stagedBefore) staged.remove(staged.size() - 1);
          directHnsw = List.of();
          stageTable(src, m, conn, false);
        }
      } else {
        stageTable(src, m, conn, false);
      }
      if (!staged.isEmpty() && staged.get(staged.size() - 1).map == m) staged.get(staged.size() - 1).stageMs = ms(t0);
    } catch (org.sqlite.SQLiteException e) { // a SQLite error while reading: corrupt, locked, ...
      throw SqliteSource.translate(src.file, src.kind, e, s.lockTimeout);
    }
  }

  /**
   * Whether table `m` can be COPYed straight into the target: not a dry run, the target table
   * empty (checked under the lock the write takes anyway, so no writer can add a row meanwhile),
   * and every parent (FK) of it in this import went the same way (a staged parent may skip rows,
   * whose children must be skipped too).
   */
  private boolean directInto(TableMap.Mapping m, Connection conn) throws SQLException {
    if (s.dryRun || !s.direct || problemCount > 0) return false;
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

  private void stageTable(SqliteSource src, TableMap.Mapping m, Connection conn, boolean direct) throws SQLException {
    Summary.Row row = summary.add(m.source(), m.target());
    List<String> srcCols = src.tables.get(m.source());
    if (srcCols == null) { row.notes.add("not in " + src.file.getFileName() + " (a file written by an older version)"); return; }
    TargetTable target = targets.get(m.target());
    Staged t = new Staged(m, src, target, row);
    t.direct = direct;
    for (String c : srcCols) {
      if (target.generated.containsKey(c)) { // PostgreSQL computes it (GENERATED ALWAYS): never written, nor compared
        row.notes.add("column " + c + " not imported: the target computes it (GENERATED ALWAYS AS " + target.generated.get(c) + ")");
        continue;
      }
      if (!target.types.containsKey(c)) {
        if (s.skipUnknownColumns) row.notes.add("column " + c + " not imported (--skip-unknown-columns): the target has no such column");
        else problem(src.file + ": table " + m.source() + ", column " + c + ": the target table " + m.target()
            + " has no such column; add it with a migration, or pass --skip-unknown-columns to import without it");
        continue;
      }
      ColumnType type = target.type(c);
      if (type == null || type.kind() == ColumnType.Kind.VECTOR || type.kind() == ColumnType.Kind.HALFVEC)
        throw ImportFailure.targetNotReady("column " + m.target() + "." + c + " has type " + target.types.get(c) + ", which the importer cannot write");
      t.columns.add(c);
      t.types.add(type);
    }
    if (!t.columns.contains("id")) throw ImportFailure.sourceData(src.file + ": table " + m.source() + " has no id column");
    boolean memories = m.source().equals(TableMap.MEMORIES);
    Vec0Reader vec = null;
    String halfCopy = null; // a generated halfvec column computed from the embedding (007's embedding_half)
    if (memories) {
      ColumnType et = target.type(TableMap.EMBEDDING);
      if (et == null || (et.kind() != ColumnType.Kind.VECTOR && et.kind() != ColumnType.Kind.HALFVEC))
        throw ImportFailure.targetNotReady("learning_memories.embedding is " + target.types.get(TableMap.EMBEDDING) + ", not a vector the importer can write");
      vec = Vec0Reader.open(src, et.dims());
      halfCopy = et.kind() == ColumnType.Kind.HALFVEC ? TableMap.EMBEDDING : halfvecCopyOf(target);
      t.columns.add(TableMap.EMBEDDING);
      t.types.add(et);
    }
    List<String> quoted = t.columns.stream().map(TargetTable::quote).toList();
    // After the first problem nothing more is sent to PostgreSQL (a cancelled COPY aborts the
    // transaction); the rest of the source is still read and converted to report every problem.
    boolean write = problemCount == 0;
    row.sourceRows = src.count(m.source());
    if (direct && memories) directHnsw = dropVectorIndexes(conn, row.sourceRows, 0); // built once after the COPY, not row by row
    if (write && !direct) try (Statement st = conn.createStatement()) {
      st.execute("CREATE TEMP TABLE " + t.stage + " ON COMMIT DROP AS SELECT " + String.join(", ", quoted) + " FROM public."
          + TargetTable.quote(m.target()) + " WITH NO DATA");
    }
    progress.start((direct ? "copy " : "read ") + t.label(), row.sourceRows);
    int nSrc = t.columns.size() - (memories ? 1 : 0);
    // Memories come in vec0's slot order (those without a vector first), so each 4 MiB
    // vector chunk is read once; other tables in the file's own order.
    String select = memories
        ? "SELECT " + String.join(", ", srcQuoted(t.columns.subList(0, nSrc), "m.")) + ", r.rowid IS NOT NULL, r.chunk_id, r.chunk_offset FROM "
            + TableMap.MEMORIES + " m LEFT JOIN \"" + TableMap.VEC0 + "_rowids\" r ON r.rowid = m.id ORDER BY r.chunk_id, r.chunk_offset"
        : "SELECT " + String.join(", ", srcQuoted(t.columns, "")) + " FROM " + SqliteSource.quote(m.source());
    long withoutVector = 0;
    int idCol = t.columns.indexOf("id");
    Checksum checksum = new Checksum(t.types, t.columns.stream().mapToInt(target.typeOids::get).toArray());
    try (CopyWriter copy = write ? new CopyWriter(conn, t.rowsTable(), quoted, t.types) : null;
         Statement q = src.connection().createStatement();
         ResultSet rs = q.executeQuery(select)) {
      Object[] values = new Object[t.columns.size()];
      long done = 0;
      while (rs.next()) {
        long id = rs.getLong(idCol + 1);
        for (int k = 0; k < nSrc; k++) values[k] = value(rs, k + 1, t.types.get(k), src, m.source(), id, t.columns.get(k));
        if (memories) {
          values[nSrc] = null;
          if (rs.getBoolean(nSrc + 1)) {
            try {
              if (rs.getObject(nSrc + 2) == null || rs.getObject(nSrc + 3) == null) throw new Converter.Problem("vec0 has no slot for it (chunk_id or chunk_offset is NULL)");
              Converter.Vector v = vec.vector(id, rs.getLong(nSrc + 2), rs.getLong(nSrc + 3));
              int beyond = halfCopy == null ? -1 : vec.beyondHalf;
              if (beyond >= 0) problem(src.file + ": table " + m.source() + ", id " + id + ", column " + halfCopy + ": embedding element " + beyond + " is "
                  + Converter.element(v, beyond)
                      + ", beyond the range of halfvec (|x| <= 65504), so the target's column " + halfCopy + " ("
                  + (target.generated.containsKey(halfCopy) ? target.generated.get(halfCopy)
                      : target.types.get(halfCopy) + ", migration 007")
                  + ") cannot hold it; kodiai's embeddings are normalized (|x| <= 1): re-embed this memory or delete it from the source");
              else values[nSrc] = v;
            } catch (Converter.Problem p) {
              problem(src.file + ": table " + TableMap.VEC0 + ", memory_id " + id + ", column embedding: " + p.getMessage());
            }
          } else {
            withoutVector++;
          }
        }
        t.add(id, checksum.rowHash(values));
        if (problemCount == 0 && copy != null) copy.row(values);
        if ((++done & 1023) == 0) progress.tick(done);
      }
      if (problemCount == 0 && copy != null) copy.finish();
      progress.done(done, null);
    }
    if (memories) {
      if (withoutVector > 0) row.notes.add(String.format(Locale.ROOT, "%,d memories have no vector in %s: imported with a NULL embedding", withoutVector, TableMap.VEC0));
      List<Long> orphans = vec.vectorsWithoutMemory();
      if (!orphans.isEmpty()) row.notes.add(String.format(Locale.ROOT, "%,d vectors in %s have no memory row (ids %s): not imported", orphans.size(), TableMap.VEC0, ids(orphans)));
      vec.close();
    }
    staged.add(t);
  }

  /** The stored generated halfvec column computed from the embedding, or null (before 007). */
  private static String halfvecCopyOf(TargetTable target) {
    for (var g : target.generated.entrySet())
      if (target.types.get(g.getKey()).startsWith("halfvec") && g.getValue().contains(TableMap.EMBEDDING)) return g.getKey();
    return null;
  }

  /** One column of the current SQLite row, converted; a problem is recorded (and null returned). */
  private Object value(ResultSet rs, int col, ColumnType type, SqliteSource src, String table, long id, String column) throws SQLException {
    Object raw = rs.getObject(col);
    try {
      if (raw instanceof String str && str.indexOf('\uFFFD') >= 0) strictUtf8(rs.getBytes(col));
      return Converter.convert(raw, type);
    } catch (Converter.Problem p) {
      problem(src.file + ": table " + table + ", id " + id + ", column " + column + ": " + p.getMessage());
      return null;
    }
  }

  /** The driver shows invalid UTF-8 as U+FFFD; a real U+FFFD is fine, a broken byte sequence is not. */
  private static void strictUtf8(byte[] raw) throws Converter.Problem {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw));
    } catch (CharacterCodingException e) {
      throw new Converter.Problem("text is not valid UTF-8 (PostgreSQL stores UTF-8 text only)");
    }
  }

  private static List<String> srcQuoted(List<String> cols, String prefix) {
    return cols.stream().map(c -> prefix + SqliteSource.quote(c)).toList();
  }

  // ------------------------------------------------------------------------------- check

  /** The staged rows against the target's constraints, so nothing fails half-way through the write. */
  private void check(Staged t, Connection conn) throws SQLException {
    if (t.direct) return; // COPY into the target: its NOT NULLs, CHECKs, FKs and indexes took every row
    String where = t.src.file + ": table " + t.map.source();
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
      String size = String.join(" + ", ix.columns().stream().map(c -> "coalesce(pg_column_size(" + TargetTable.quote(c) + "), 0)").toList());
      report(conn, "SELECT id FROM " + t.stage + " WHERE " + size + " > 2700 ORDER BY id",
          where + ", id %d: " + String.join(", ", ix.columns()) + " too long for the btree index " + ix.name()
              + " (an index entry holds at most 2704 bytes); a migration must change that index");
    }
    for (TargetTable.ForeignKey fk : t.target.foreignKeys) {
      if (!t.columns.contains(fk.column())) continue;
      Staged parent = staged.stream().filter(p -> p.map.target().equals(fk.parentTable())).findFirst().orElse(null);
      String inParent = parent == null || parent.direct ? "" : " AND NOT EXISTS (SELECT 1 FROM " + parent.stage + " p WHERE p.id = s." + TargetTable.quote(fk.column()) + ")";
      report(conn, "SELECT s.id FROM " + t.stage + " s WHERE s." + TargetTable.quote(fk.column()) + " IS NOT NULL" + inParent
              + " AND NOT EXISTS (SELECT 1 FROM public." + TargetTable.quote(fk.parentTable()) + " p WHERE p.id = s." + TargetTable.quote(fk.column()) + ") ORDER BY s.id",
          where + ", id %d, column " + fk.column() + ": points to a " + fk.parentTable() + " row that is neither in the source nor in the target (FK " + fk.name() + ")");
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
      st.execute("CREATE TEMP TABLE " + t.classes + " ON COMMIT DROP AS SELECT s.id, CASE WHEN t.id IS NULL THEN '" + NEW + "' WHEN " + same
          + " THEN '" + PRESENT + "' ELSE '" + COLLIDES + "' END AS state, NULL::bigint AS hash FROM " + t.stage + " s LEFT JOIN public." + TargetTable.quote(t.map.target())
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
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t.classes + " WHERE state = '" + state + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ------------------------------------------------------------------------------- write

  private void write(Connection conn) throws SQLException {
    if (staged.isEmpty()) return;
    try (Statement st = conn.createStatement()) {
      // The bot's writers wait until the commit (its readers do not): no id the import is
      // about to use can be taken by a concurrent insert, and the sequences move first.
      st.execute("LOCK TABLE " + String.join(", ", staged.stream().map(t -> "public." + TargetTable.quote(t.map.target())).distinct().toList())
          + " IN SHARE ROW EXCLUSIVE MODE");
    }
    for (Staged t : staged) moveSequence(t, conn);
    List<String[]> rebuild = new ArrayList<>();
    for (Staged t : staged) {
      if (t.direct) { // written by its COPY
        t.row.imported = t.n;
        if (t.map.target().equals(TableMap.MEMORIES) && !directHnsw.isEmpty()) rebuildVectorIndexes(directHnsw, conn);
        continue;
      }
      skipChildrenOfSkipped(t, conn);
      if (t.map.target().equals(TableMap.MEMORIES)) rebuild = dropVectorIndexes(conn, countState(conn, t, NEW), -1);
      long tw = System.nanoTime();
      progress.start("write " + t.label(), countState(conn, t, NEW));
      try (Statement st = conn.createStatement()) {
        // RETURNING hands back each row as stored (after defaults and any BEFORE trigger): its
        // checksum is taken there, in the same pass, instead of reading 100,000s of rows back.
        st.executeUpdate("WITH ins AS (INSERT INTO public." + TargetTable.quote(t.map.target()) + " AS t (" + cols(t, "") + ") SELECT " + cols(t, "s.")
            + " FROM " + t.stage + " s JOIN " + t.classes + " c ON c.id = s.id WHERE c.state = '" + NEW + "' ON CONFLICT DO NOTHING RETURNING t.id, "
            + Checksum.rowHashSql(t.columns, "t") + " AS h) "
            + "UPDATE " + t.classes + " c SET state = '" + INSERTED + "', hash = ins.h FROM ins WHERE c.id = ins.id");
        st.executeUpdate("UPDATE " + t.classes + " SET state = '" + KEY_EXISTS + "' WHERE state = '" + NEW + "'");
      } catch (SQLException e) {
        throw ImportFailure.failed("writing " + t.map.target() + " failed: " + firstLine(e) + "; nothing was committed", e);
      }
      tally(conn, t, INSERTED);
      progress.done(t.row.imported, null);
      t.writeMs = ms(tw);
      if (!rebuild.isEmpty()) { rebuildVectorIndexes(rebuild, conn); rebuild = List.of(); }
    }
  }

  /** The next id of the table's identity is past every id the source ever issued and every id now in the table. */
  private void moveSequence(Staged t, Connection conn) throws SQLException {
    if (t.target.identitySequence == null) return;
    long sourceMax = t.src.sequences.getOrDefault(t.map.source(), 0L);
    String table = "public." + TargetTable.quote(t.map.target());
    try (Statement st = conn.createStatement()) {
      long next;
      try (ResultSet rs = st.executeQuery("SELECT greatest(" + sourceMax + ", (SELECT coalesce(max(id), 0) FROM " + table + "), (SELECT coalesce(max(id), 0) FROM "
          + t.rowsTable() + ")) + 1, (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM " + t.target.identitySequence + ")")) {
        rs.next();
        next = rs.getLong(1);
        if (next <= rs.getLong(2)) return;
      }
      st.execute("ALTER TABLE " + table + " ALTER COLUMN id RESTART WITH " + next); // transactional: a rollback restores it
    }
  }

  /** Rows whose parent (by FK) was not imported are skipped too: they would point to another row. */
  private void skipChildrenOfSkipped(Staged t, Connection conn) throws SQLException {
    for (TargetTable.ForeignKey fk : t.target.foreignKeys) {
      Staged parent = staged.stream().filter(p -> p.map.target().equals(fk.parentTable())).findFirst().orElse(null);
      if (parent == null || parent.direct || !t.columns.contains(fk.column())) continue;
      try (Statement st = conn.createStatement()) {
        st.executeUpdate("UPDATE " + t.classes + " c SET state = '" + PARENT_SKIPPED + "' FROM " + t.stage + " s WHERE s.id = c.id AND c.state = '" + NEW
            + "' AND s." + TargetTable.quote(fk.column()) + " IN (SELECT id FROM " + parent.classes + " WHERE state NOT IN ('" + PRESENT + "', '" + INSERTED + "'))");
      }
    }
  }

  /** HNSW (and IVFFlat) indexes of learning_memories as {name, definition, comment}, dropped when the load is large. */
  private List<String[]> dropVectorIndexes(Connection conn, long incoming, long existing) throws SQLException {
    if (existing < 0) try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM public." + TableMap.MEMORIES)) {
      rs.next();
      existing = rs.getLong(1);
    }
    boolean rebuild = s.hnsw == Hnsw.REBUILD || s.hnsw == Hnsw.AUTO && incoming >= s.hnswRebuildMinRows && incoming >= existing;
    if (!rebuild) return List.of();
    List<String[]> defs = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT c.relname, pg_get_indexdef(c.oid), obj_description(c.oid, 'pg_class') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            + "JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = 'public." + TableMap.MEMORIES + "'::regclass AND am.amname IN ('hnsw', 'ivfflat') ORDER BY 1")) {
      while (rs.next()) defs.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
    }
    try (Statement st = conn.createStatement()) {
      for (String[] d : defs) st.execute("DROP INDEX public." + TargetTable.quote(d[0]));
    }
    return defs;
  }

  private void rebuildVectorIndexes(List<String[]> defs, Connection conn) throws SQLException {
    long t0 = System.nanoTime();
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL maintenance_work_mem = '" + s.maintenanceWorkMem.replace("'", "") + "'");
      for (String[] d : defs) {
        progress.line("building " + d[0] + " ...");
        st.execute(d[1]);
        if (d[2] != null) st.execute("COMMENT ON INDEX public." + TargetTable.quote(d[0]) + " IS '" + d[2].replace("'", "''") + "'");
      }
    }
    hnswBuildMs = ms(t0);
    progress.line(String.format(Locale.ROOT, "built %s in %.1f s", String.join(", ", defs.stream().map(d -> d[0]).toList()), hnswBuildMs / 1000.0));
  }

  /** The summary row of `t` from its classification; `imported` counts the rows in state `importedState`. */
  private void tally(Connection conn, Staged t, String importedState) throws SQLException {
    if (t.direct) { t.row.imported = t.n; return; }
    Map<String, Long> states = states(conn, t);
    t.row.imported = states.getOrDefault(importedState, 0L);
    t.row.present = states.getOrDefault(PRESENT, 0L);
    t.row.skip("id taken by a different row in the target (ids " + ids(conn, t, COLLIDES) + ")", states.getOrDefault(COLLIDES, 0L));
    t.row.skip("parent row skipped (ids " + ids(conn, t, PARENT_SKIPPED) + ")", states.getOrDefault(PARENT_SKIPPED, 0L));
    t.row.skip("unique key already in the target (ids " + ids(conn, t, KEY_EXISTS) + ")", states.getOrDefault(KEY_EXISTS, 0L));
  }

  private Map<String, Long> states(Connection conn, Staged t) throws SQLException {
    Map<String, Long> m = new LinkedHashMap<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT state, count(*) FROM " + t.classes + " GROUP BY state")) {
      while (rs.next()) m.put(rs.getString(1), rs.getLong(2));
    }
    return m;
  }

  private String ids(Connection conn, Staged t, String state) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM " + t.classes + " WHERE state = '" + state + "' ORDER BY id LIMIT 11")) {
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
      String rows = t.direct ? "SELECT t.id, " + Checksum.rowHashSql(t.columns, "t") + " AS h FROM public." + TargetTable.quote(t.map.target()) + " t"
          : "SELECT c.id, c.hash AS h FROM " + t.classes + " c WHERE c.state = '" + INSERTED + "' UNION ALL SELECT t.id, "
          + Checksum.rowHashSql(t.columns, "t") + " FROM public." + TargetTable.quote(t.map.target()) + " t JOIN " + t.classes
          + " c ON c.id = t.id WHERE c.state = '" + PRESENT + "'";
      long pgCount, pgSum;
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(h), sum(h::numeric) FROM (" + rows + ") x")) {
        rs.next();
        pgCount = rs.getLong(1);
        BigInteger b = rs.getBigDecimal(2) == null ? null : rs.getBigDecimal(2).toBigInteger();
        pgSum = Checksum.fold(b);
      }
      if (pgCount != count || pgSum != sum) differences.add(t.map.target() + ": " + (pgCount != count ? "source " + count + " rows, target " + pgCount : "checksums differ")
          + "; rows that differ: " + differingIds(conn, t, rows, skippedIds));
      progress.done(count, null);
      t.verifyMs = ms(tv);
    }
    if (!differences.isEmpty())
      throw ImportFailure.failed("verification failed, nothing was committed; the target differs from the source in:\n" + String.join("\n", differences), null);
  }

  private String differingIds(Connection conn, Staged t, String rows, long[] skippedIds) throws SQLException {
    Map<Long, Long> source = new LinkedHashMap<>();
    for (int k = 0; k < t.n; k++) if (Arrays.binarySearch(skippedIds, t.ids[k]) < 0) source.put(t.ids[k], t.hashes[k]);
    List<Long> diff = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id, h FROM (" + rows + ") x ORDER BY id")) {
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
    if (problems.size() < s.problemLines) problems.add(line);
  }

  private void failOnProblems(String what) {
    if (problemCount == 0) return;
    StringBuilder sb = new StringBuilder();
    for (String p : problems) sb.append(p).append('\n');
    if (problemCount > problems.size()) sb.append("... and ").append(problemCount - problems.size()).append(" more\n");
    sb.append(problemCount).append(problemCount == 1 ? " problem " : " problems ").append(what).append("; nothing was written");
    throw ImportFailure.sourceData(sb.toString());
  }

  static String firstLine(SQLException e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static long ms(long t0) { return (System.nanoTime() - t0) / 1_000_000; }
}
