// Shared source: where migrations are applied. Takes a MigrationSource and one
// connection; applies, rolls back, reports and validates. Safety rules:
//  - one runner at a time per database (AdvisoryLock.java: a waiting runner holds no
//    transaction or snapshot, so it cannot block the holder's CREATE INDEX CONCURRENTLY);
//  - each migration and its _migrations row commit together, or neither does;
//  - an edited or deleted applied file, an out-of-order new file or an unfinished
//    non-transactional migration stops `up` before anything runs.

// pgjdbc is pinned in DbClient.java.

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

final class Migrator {
  /** Advisory lock key: the bytes of "kodiaimg" as a bigint; the lock is per database. */
  static final long LOCK_KEY = 0x6b6f646961696d67L;
  static final String TABLE = "_migrations";

  enum State { APPLIED, PENDING, MODIFIED, FILE_MISSING, FAILED }

  /** A row of _migrations, in the new format or the earlier runner's (id, name, applied_at). */
  record Row(int version, String name, String checksum, java.sql.Timestamp appliedAt, String status) {}

  /** A line of `status`: the file, the row, or both. */
  record Entry(int version, String name, State state, Row row, MigrationSource.Migration migration) {}

  final Connection conn;
  final MigrationSource source;
  final PrintStream out;    // progress lines; a null-sink when --quiet
  Duration lockTimeout = Duration.ofSeconds(60);
  private final AdvisoryLock lock;

  Migrator(Connection conn, MigrationSource source, PrintStream out) {
    this.conn = conn;
    this.source = source;
    this.out = out;
    this.lock = new AdvisoryLock(conn, LOCK_KEY, out);
  }

  // ------------------------------------------------------------------ verbs

  /** Applies pending migrations up to `to` (null: all). Returns how many were applied. */
  int migrate(Integer to, boolean dryRun) throws SQLException {
    // Look first without the lock: replicas that boot together mostly find nothing to do.
    // A problem seen here may only be another runner's non-transactional migration in
    // progress (recorded as failed until it ends), so only the look under the lock decides.
    // One read of _migrations decides; rows of kodiai's earlier runner (no checksum) are adopted under the lock.
    Map<Integer, Row> rows = readRows();
    List<MigrationSource.Migration> pending;
    try {
      pending = plan(rows, to);
    } catch (MigrationException e) {
      if (dryRun) throw e;
      pending = null;
    }
    boolean adopt = rows.values().stream().anyMatch(r -> r.checksum() == null);
    if (pending != null && ((pending.isEmpty() && !adopt) || dryRun)) {
      for (var m : pending) out.println("would apply " + m.fileName() + (m.transactional() ? "" : " (no transaction)"));
      return 0;
    }
    lock.acquire(lockTimeout);
    try {
      pending = plan(readRows(), to); // another runner may have applied them while we waited
      checkExtensions(pending); // before ensureTable: a missing extension leaves no trace at all
      ensureTable();
      // Consecutive transactional migrations go to the server as one message (see applyRun);
      // a non-transactional one runs on its own, statement by statement.
      for (int i = 0; i < pending.size(); ) {
        if (!pending.get(i).transactional()) { applyWithoutTransaction(pending.get(i++)); continue; }
        int j = i;
        long chars = 0;
        while (j < pending.size() && pending.get(j).transactional() && (j == i || chars < MAX_RUN_CHARS))
          chars += pending.get(j++).sql().length();
        applyRun(pending.subList(i, j), j == pending.size());
        i = j;
      }
      return pending.size();
    } finally {
      flush(); // on an error path the last commit was not the synchronous one
      lock.release();
    }
  }

  /** Rolls back every applied migration above `target`, newest first. Returns how many. */
  int rollback(int target, boolean dryRun) throws SQLException {
    if (target < 0) throw new MigrationException(ExitCode.USAGE, "the target version must be 0 or more");
    List<MigrationSource.Migration> todo = rollbackPlan(target);
    if (dryRun || todo.isEmpty()) {
      for (var m : todo) out.println("would roll back " + m.fileName() + " with " + m.downFileName());
      return 0;
    }
    lock.acquire(lockTimeout);
    try {
      todo = rollbackPlan(target);
      if (!todo.isEmpty())
        out.println("rolling back " + todo.size() + ": " + String.join(", ", todo.stream().map(MigrationSource.Migration::label).toList()));
      for (var m : todo) revert(m);
      return todo.size();
    } finally {
      lock.release();
    }
  }

  /** Every migration with its state, in version order. */
  List<Entry> status() throws SQLException { return status(readRows()); }

  private List<Entry> status(Map<Integer, Row> rows) {
    Map<Integer, Entry> entries = new TreeMap<>();
    for (var m : source.migrations) {
      Row r = rows.get(m.version());
      State s = r == null ? State.PENDING
          : "failed".equals(r.status()) ? State.FAILED
          : r.checksum() != null && !r.checksum().equals(m.checksum()) ? State.MODIFIED
          : State.APPLIED;
      entries.put(m.version(), new Entry(m.version(), m.name(), s, r, m));
    }
    for (var r : rows.values())
      if (!entries.containsKey(r.version()))
        entries.put(r.version(), new Entry(r.version(), r.name(), "failed".equals(r.status()) ? State.FAILED : State.FILE_MISSING, r, null));
    return List.copyOf(entries.values());
  }

  /** What stops `up`: edited or deleted applied files, out-of-order files, unfinished migrations. */
  static List<String> problems(List<Entry> entries) {
    int newestApplied = entries.stream().filter(e -> e.row() != null).mapToInt(Entry::version).max().orElse(0);
    List<String> problems = new ArrayList<>();
    for (Entry e : entries) {
      String file = e.migration() != null ? e.migration().fileName() : e.row().name();
      switch (e.state()) {
        case MODIFIED -> problems.add(file + " was edited after it was applied (checksum differs); restore it, or add a new migration"
            + " for the change (if the edit is harmless: migrate resolve " + e.version() + " --accept-edit)");
        case FILE_MISSING -> problems.add(file + " is applied but its file is missing; restore it from version control");
        case FAILED -> problems.add(file + " did not finish (non-transactional, failed or interrupted); fix the database by hand,"
            + " then run `migrate resolve " + e.version() + " --applied` (it is done) or `--rolled-back` (undone, retry it)");
        case PENDING -> {
          if (e.version() < newestApplied)
            problems.add(file + " is new but numbered below the newest applied migration (" + newestApplied
                + "); renumber it above " + newestApplied);
        }
        default -> { }
      }
    }
    return problems;
  }

  /** Marks a failed or edited migration as dealt with by the operator. */
  void resolve(int version, String how) throws SQLException {
    lock.acquire(lockTimeout);
    try {
      Row r = readRows().get(version);
      MigrationSource.Migration m = source.byVersion(version);
      switch (how) {
        case "applied" -> {
          if (m == null) throw new MigrationException(ExitCode.USAGE, "no migration file with version " + version);
          if (r == null) insertRow(m, 0, "applied");
          else update("UPDATE " + TABLE + " SET status = 'applied', checksum = ? WHERE version = ?", m.checksum(), version);
          out.println("marked " + m.fileName() + " as applied");
        }
        case "rolled-back" -> {
          if (r == null) throw new MigrationException(ExitCode.USAGE, "version " + version + " is not recorded as applied or failed");
          update("DELETE FROM " + TABLE + " WHERE version = ?", null, version);
          out.println("marked " + r.name() + " as not applied; `migrate up` will run it again");
        }
        case "accept-edit" -> {
          if (r == null || m == null) throw new MigrationException(ExitCode.USAGE, "version " + version + " is not both applied and present as a file");
          update("UPDATE " + TABLE + " SET checksum = ? WHERE version = ?", m.checksum(), version);
          out.println("accepted the current content of " + m.fileName());
        }
        default -> throw new MigrationException(ExitCode.USAGE, "unknown resolution " + how);
      }
    } finally {
      lock.release();
    }
  }

  // ------------------------------------------------------------- planning

  /** The migrations `up` would apply, given the recorded rows; a problem stops it. */
  private List<MigrationSource.Migration> plan(Map<Integer, Row> rows, Integer to) {
    List<String> problems = problems(status(rows));
    if (!problems.isEmpty()) throw new MigrationException(ExitCode.VALIDATION, String.join("\n", problems));
    List<MigrationSource.Migration> pending = new ArrayList<>();
    for (var m : source.migrations)
      if (!rows.containsKey(m.version()) && (to == null || m.version() <= to)) pending.add(m);
    return pending;
  }

  private List<MigrationSource.Migration> rollbackPlan(int target) throws SQLException {
    Map<Integer, Row> rows = readRows();
    List<MigrationSource.Migration> todo = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (Row r : rows.values()) {
      if (r.version() <= target) continue;
      MigrationSource.Migration m = source.byVersion(r.version());
      if (m == null) problems.add(r.name() + " is applied but its file is missing, so it cannot be rolled back");
      else if (!m.hasDown()) problems.add(m.fileName() + " has no down file " + m.fileName().replace(".sql", ".down.sql"));
      else if ("failed".equals(r.status())) problems.add(m.fileName() + " did not finish; resolve it first (see `migrate validate`)");
      else todo.add(0, m); // newest first
    }
    if (!problems.isEmpty())
      throw new MigrationException(ExitCode.VALIDATION, "nothing rolled back: " + String.join("; ", problems));
    return todo;
  }

  /** Stops before anything runs when a migration needs an extension the server does not have. */
  private void checkExtensions(List<MigrationSource.Migration> pending) throws SQLException {
    Map<String, String> needed = new LinkedHashMap<>();
    for (var m : pending) {
      Matcher x = CREATE_EXTENSION.matcher(m.sql());
      while (x.find()) needed.putIfAbsent(x.group(1).toLowerCase(), m.fileName());
    }
    if (needed.isEmpty()) return;
    try (PreparedStatement ps = conn.prepareStatement("SELECT name FROM pg_available_extensions WHERE name = ANY(?)")) {
      ps.setArray(1, conn.createArrayOf("text", needed.keySet().toArray()));
      Set<String> available = new java.util.HashSet<>();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) available.add(rs.getString(1)); }
      for (var e : needed.entrySet()) {
        if (available.contains(e.getKey())) continue;
        String how = e.getKey().equals("vector")
            ? "install pgvector >= 0.8 on the server (Debian: scripts/install-postgres.sh; Azure: add VECTOR to azure.extensions, which `provision` does)"
            : "install it on the server";
        throw new MigrationException(ExitCode.FAILED, "extension \"" + e.getKey() + "\" is not available on this server (needed by "
            + e.getValue() + "): " + how + "; nothing was applied");
      }
    }
  }

  private static final Pattern CREATE_EXTENSION =
      Pattern.compile("(?i)create\\s+extension\\s+(?:if\\s+not\\s+exists\\s+)?\"?([a-z0-9_]+)\"?");

  // ------------------------------------------------------------ executing

  /** A message holds whole migrations up to about this much SQL; more go in the next message. */
  static final int MAX_RUN_CHARS = 1 << 20;

  private Integer unflushed; // the last migration committed asynchronously, not known to be on disk yet

  /** Where a statement of a migration starts in the message sent, to map an error back to its line. */
  private record Placed(MigrationSource.Migration migration, MigrationSource.Statement statement, int offset) {}

  /**
   * Applies consecutive transactional migrations in one round trip: one simple-protocol message
   * holding, for each, BEGIN; its statements; the insert of its _migrations row; COMMIT. On an
   * error the server abandons the rest of the message, so: earlier migrations stay committed,
   * the failing one is rolled back whole, later ones never run. Every commit but the last of
   * the whole `up` skips the wait for its WAL flush: WAL is sequential, so that last synchronous
   * commit makes all earlier ones durable too (a crash in between loses a suffix of whole
   * migrations, each with its row: they are simply pending again).
   */
  private void applyRun(List<MigrationSource.Migration> run, boolean endsTheUp) throws SQLException {
    StringBuilder sql = new StringBuilder();
    List<Placed> placed = new ArrayList<>();
    for (int k = 0; k < run.size(); k++) {
      MigrationSource.Migration m = run.get(k);
      sql.append("BEGIN;\n");
      if (!(endsTheUp && k == run.size() - 1)) sql.append("SET LOCAL synchronous_commit = off;\n");
      // "\n;\n" after each statement: a statement may end in a line comment.
      for (MigrationSource.Statement st : MigrationSource.split(m.sql())) {
        placed.add(new Placed(m, st, sql.length()));
        sql.append(st.sql()).append("\n;\n");
      }
      sql.append("INSERT INTO ").append(TABLE).append(" (name, version, checksum, execution_ms, status) VALUES (")
          .append(literal(m.fileName())).append(", ").append(m.version()).append(", ").append(literal(m.checksum()))
          .append(", (extract(epoch FROM clock_timestamp() - now()) * 1000)::int, 'applied');\nCOMMIT;\n");
    }
    try (Statement st = conn.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(sql.toString());
    } catch (SQLException e) {
      try (Statement st = conn.createStatement()) { st.execute("ROLLBACK"); } // ends the failed block only
      Map<Integer, Integer> done = recordedDurations(run);
      report(run, done);
      for (var m : run) if (done.containsKey(m.version())) unflushed = m.version();
      MigrationSource.Migration failed = run.stream().filter(m -> !done.containsKey(m.version())).findFirst().orElseThrow();
      throw locate(failed, placed, e);
    }
    report(run, recordedDurations(run));
    unflushed = endsTheUp ? null : run.get(run.size() - 1).version();
  }

  /** How long each migration of the run took, as recorded with it; only those that committed. */
  private Map<Integer, Integer> recordedDurations(List<MigrationSource.Migration> run) throws SQLException {
    StringBuilder in = new StringBuilder();
    for (var m : run) in.append(in.length() == 0 ? "" : ",").append(m.version());
    Map<Integer, Integer> ms = new TreeMap<>();
    try (Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("SELECT version, execution_ms FROM " + TABLE + " WHERE version IN (" + in + ")")) {
      while (rs.next()) ms.put(rs.getInt(1), rs.getInt(2));
    }
    return ms;
  }

  private void report(List<MigrationSource.Migration> run, Map<Integer, Integer> done) {
    for (var m : run)
      if (done.containsKey(m.version())) out.println("applied " + m.fileName() + " (" + done.get(m.version()) + " ms)");
  }

  private void applyWithoutTransaction(MigrationSource.Migration m) throws SQLException {
    long t0 = System.nanoTime();
    // Recorded as unfinished first, so a crash or error midway cannot pass unnoticed.
    insertRow(m, 0, "failed");
    try {
      run(m.fileName(), m.sql());
    } catch (MigrationException e) {
      throw new MigrationException(e.exitCode, e.getMessage() + "; " + m.fileName() + " ran without a transaction and is"
          + " recorded as failed: finish or undo its statements by hand, then `migrate resolve " + m.version()
          + " --applied` or `--rolled-back`", e.getCause());
    }
    update("UPDATE " + TABLE + " SET status = 'applied', execution_ms = " + elapsedMs(t0) + ", applied_at = now() WHERE version = ?",
        null, m.version());
    out.println("applied " + m.fileName() + " (" + elapsedMs(t0) + " ms)");
  }

  private void revert(MigrationSource.Migration m) throws SQLException {
    long t0 = System.nanoTime();
    boolean tx = !MigrationSource.hasNoTransactionMarker(m.downSql());
    conn.setAutoCommit(!tx);
    try {
      run(m.downFileName(), m.downSql());
      // 001's down file drops _migrations itself: then there is no row left to delete.
      if (tableExists()) update("DELETE FROM " + TABLE + " WHERE version = ?", null, m.version());
      if (tx) conn.commit();
    } catch (SQLException | RuntimeException e) {
      if (tx) conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
    out.println("rolled back " + m.fileName() + " (" + elapsedMs(t0) + " ms)");
  }

  private static String literal(String s) { return "'" + s.replace("'", "''") + "'"; }

  /**
   * Names the failing file and line. The server's error position counts characters of the
   * whole message, which maps back to a statement of the failed migration. Errors without a
   * position (a constraint violation, a timeout) are found by running that one migration again,
   * statement by statement, inside a transaction that is then rolled back.
   */
  private MigrationException locate(MigrationSource.Migration failed, List<Placed> placed, SQLException e) throws SQLException {
    // Positions count characters of the whole message only in the simple query protocol.
    boolean simple = conn.unwrap(org.postgresql.PGConnection.class).getPreferQueryMode() == org.postgresql.jdbc.PreferQueryMode.SIMPLE;
    int pos = simple && e instanceof PSQLException pe && pe.getServerErrorMessage() != null ? pe.getServerErrorMessage().getPosition() : 0;
    Placed hit = null;
    for (Placed p : placed) if (p.offset() < pos) hit = p;
    if (hit != null && hit.migration() == failed && pos - 1 - hit.offset() <= hit.statement().sql().length()) {
      int line = hit.statement().line();
      for (int i = 0; i < pos - 1 - hit.offset(); i++) if (hit.statement().sql().charAt(i) == '\n') line++;
      return new MigrationException(ExitCode.FAILED, failed.fileName() + " line " + line + ": " + serverMessage(e), e);
    }
    conn.setAutoCommit(false);
    try {
      run(failed.fileName(), failed.sql());
    } catch (MigrationException located) {
      return located;
    } finally {
      conn.rollback();
      conn.setAutoCommit(true);
    }
    // Not reproduced (a lock or statement timeout, say): the first error, without a line.
    return new MigrationException(ExitCode.FAILED, failed.fileName() + ": " + serverMessage(e), e);
  }

  /**
   * Makes earlier asynchronous commits durable: a synchronous commit flushes all WAL before it,
   * but only a commit that wrote WAL waits for the flush, hence a real (if idempotent) write.
   */
  private void flush() {
    if (unflushed == null) return;
    try (Statement st = conn.createStatement()) {
      st.execute("UPDATE " + TABLE + " SET status = status WHERE version = " + unflushed);
      unflushed = null;
    } catch (SQLException ignored) {
      // the connection is gone: the server flushes on its own within wal_writer_delay
    }
  }

  /** Runs a file statement by statement, so an error names its line. */
  private void run(String file, String sql) {
    for (MigrationSource.Statement s : MigrationSource.split(sql)) {
      try (Statement st = conn.createStatement()) {
        st.setEscapeProcessing(false);
        st.execute(s.sql());
      } catch (SQLException e) {
        throw new MigrationException(ExitCode.FAILED, file + " line " + errorLine(s, e) + ": " + serverMessage(e), e);
      }
    }
  }

  private static int errorLine(MigrationSource.Statement s, SQLException e) {
    int line = s.line();
    if (e instanceof PSQLException pe && pe.getServerErrorMessage() != null) {
      int pos = pe.getServerErrorMessage().getPosition();
      for (int i = 0; i < Math.min(pos - 1, s.sql().length()); i++) if (s.sql().charAt(i) == '\n') line++;
    }
    return line;
  }

  static String serverMessage(SQLException e) {
    String msg;
    if (e instanceof PSQLException pe && pe.getServerErrorMessage() != null) {
      ServerErrorMessage m = pe.getServerErrorMessage();
      msg = m.getSeverity() + ": " + m.getMessage() + " (SQLSTATE " + m.getSQLState() + ")";
      if ("25001".equals(m.getSQLState()))
        msg += "; this statement cannot run in a transaction: put `" + MigrationSource.NO_TRANSACTION_MARKER + "` at the top of the file";
    } else {
      msg = DbClient.firstLine(e.getMessage());
    }
    return DbClient.redact(msg);
  }

  private static long elapsedMs(long t0) { return (System.nanoTime() - t0) / 1_000_000; }

  // ------------------------------------------------------ tracking table

  private boolean tableExists() throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /** Creates _migrations, or upgrades one left by kodiai's earlier runner (id, name, applied_at). Same shape as 001. */
  private void ensureTable() throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id serial PRIMARY KEY, name text NOT NULL UNIQUE,"
          + " applied_at timestamptz NOT NULL DEFAULT now())");
      st.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS version integer,"
          + " ADD COLUMN IF NOT EXISTS checksum text, ADD COLUMN IF NOT EXISTS execution_ms integer,"
          + " ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'applied',"
          + " ADD COLUMN IF NOT EXISTS applied_by text DEFAULT current_user");
      // Adopt the earlier runner's rows: their version comes from the file name, their checksum from today's file.
      Map<Integer, Row> rows = readRows();
      for (Row r : rows.values()) {
        MigrationSource.Migration m = source.byVersion(r.version());
        if (r.checksum() == null && m != null)
          update("UPDATE " + TABLE + " SET version = " + r.version() + ", checksum = ? WHERE name = '" + r.name().replace("'", "''") + "'",
              m.checksum(), null);
      }
    }
  }

  /** The recorded migrations by version; empty when there is no table yet. Works on either format. */
  Map<Integer, Row> readRows() throws SQLException {
    Map<Integer, Row> rows = new TreeMap<>();
    if (!tableExists()) return rows;
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + TABLE + " ORDER BY id")) {
      Set<String> cols = new java.util.HashSet<>();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) cols.add(rs.getMetaData().getColumnName(i));
      while (rs.next()) {
        String name = rs.getString("name");
        Integer version = cols.contains("version") && rs.getObject("version") != null ? rs.getInt("version") : versionOf(name);
        if (version == null) continue; // not a migration of ours
        rows.put(version, new Row(version, name, cols.contains("checksum") ? rs.getString("checksum") : null,
            rs.getTimestamp("applied_at"), cols.contains("status") ? rs.getString("status") : "applied"));
      }
    }
    return rows;
  }

  private static Integer versionOf(String name) {
    Matcher m = Pattern.compile("^(\\d+)-").matcher(name == null ? "" : name);
    return m.find() ? Integer.parseInt(m.group(1)) : null;
  }

  private void insertRow(MigrationSource.Migration m, long ms, String status) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + TABLE
        + " (name, version, checksum, execution_ms, status) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, m.fileName());
      ps.setInt(2, m.version());
      ps.setString(3, m.checksum());
      ps.setLong(4, ms);
      ps.setString(5, status);
      ps.executeUpdate();
    }
  }

  private void update(String sql, String text, Integer version) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      int i = 1;
      if (text != null) ps.setString(i++, text);
      if (version != null) ps.setInt(i, version);
      ps.executeUpdate();
    }
  }
}
