// Shared source: where migrations are applied. Takes a MigrationSource and one
// connection; applies, rolls back, reports and validates. Safety rules:
//  - one runner at a time per database (AdvisoryLock.java: a waiting runner holds no
//    transaction or snapshot, so it cannot block the holder's CREATE INDEX CONCURRENTLY);
//  - each migration and its _migrations row commit together, or neither does (Batch.java);
//  - each migration starts from the same session state, however runs are split (sessionReset);
//  - an edited or deleted applied file, an out-of-order new file or an unfinished
//    non-transactional migration stops `up` before anything runs; migrations that only a
//    newer release knows (a rolling deploy) do not;
//  - whatever stops it (an error, a lost connection, SIGTERM/SIGINT), it says what
//    committed, what did not, and what to run next;
//  - kodiai's own runner may share _migrations (KodiaiFiles): its rows are left alone, the kodiai
//    files a migration carries are recorded for it in the migration's transaction, and where it
//    applied such a file itself, `up` converts (migrations/from-kodiai/) or refuses;
//  - through a connection pooler (PgBouncer, Azure's built-in one) no session state is relied
//    on: `up` guards each transaction instead (migrateThroughPooler), and what needs one
//    session throughout (non-transactional migrations, down, resolve) is refused up front.

// pgjdbc is pinned in DbClient.java; what of it goes beyond JDBC is in PgWire.java.

import java.io.PrintWriter;
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
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class Migrator implements Batch.Runner {
  /** Advisory lock key: the bytes of "kodiaimg" as a bigint; the lock is per database. */
  static final long LOCK_KEY = 0x6b6f646961696d67L;
  static final String TABLE = MigrationTable.NAME;

  /** NEWER: applied by a release newer than these files (a rolling deploy); not a problem for `up`. */
  enum State { APPLIED, PENDING, MODIFIED, FILE_MISSING, FAILED, NEWER }

  /** A line of `status`: the file, the row, or both. */
  record Entry(int version, String name, State state, MigrationTable.Row row, MigrationSource.Migration migration) {}

  /**
   * How a Migrator works, fixed when it is made (Migrations.options makes them): where progress lines go (a
   * null-sink when --quiet), how long to wait for another runner's lock, a second connection to the same
   * database to learn what committed after this one was lost (null: none), and the pooler the connection goes
   * through (host:port; null: direct), with the SET LOCAL statements that give each transaction the migration's
   * own limits there (session settings would stay on a pooled server connection, or be lost).
   */
  record Options(PrintWriter out, Duration lockTimeout, Callable<Connection> reconnect, String pooler,
      List<String> transactionSettings) {
    Options {
      transactionSettings = List.copyOf(transactionSettings);
    }
  }

  final Connection conn;
  final MigrationSource source;
  final PrintWriter out;
  final MigrationTable table;
  private final Options options;
  private final String pooler; // options.pooler(): null on a direct connection
  private final AdvisoryLock lock;
  private final PgWire wire;

  Migrator(Connection conn, MigrationSource source, Options options) {
    this.conn = conn;
    this.source = source;
    this.options = options;
    this.out = options.out();
    this.pooler = options.pooler();
    this.table = new MigrationTable(conn, source);
    this.lock = new AdvisoryLock(conn, LOCK_KEY, out);
    this.wire = new PgWire(conn);
  }

  // ------------------------------------------------------------------ verbs

  /** Applies pending migrations up to `to` (null: all). Returns how many were applied. */
  int migrate(Integer to, boolean dryRun) throws SQLException {
    // Look first without the lock: replicas that boot together mostly find nothing to do.
    // A problem seen here may only be another runner's non-transactional migration in
    // progress (recorded as failed until it ends), so only the look under the lock decides.
    // One read of _migrations decides; rows of kodiai's earlier runner (no checksum) are adopted under the lock.
    MigrationTable.Rows rows = table.readAll();
    List<MigrationSource.Migration> pending;
    try {
      pending = plan(rows, to);
    } catch (MigrationException e) {
      if (dryRun) throw e;
      pending = null;
    }
    boolean adopt = rows.ours().values().stream().anyMatch(r -> r.checksum() == null);
    if (pending != null && ((pending.isEmpty() && !adopt) || dryRun)) {
      for (var m : pending)
        out.println("would apply " + m.runsFile() + (m.transactional() ? "" : " (no transaction)"));
      if (stop != null && !dryRun) throw new MigrationException(stop);
      if (stop != null) out.println("would stop: " + stop.describe());
      return 0;
    }
    if (pooler != null) {
      int n = migrateThroughPooler(to, pending);
      if (stop != null) throw new MigrationException(stop);
      return n;
    }
    acquireLock();
    try {
      pending = plan(table.readAll(), to); // another runner may have applied them while we waited
      checkExtensions(pending); // before ensureTable: a missing extension leaves no trace at all
      ensureTable(pending);
      sessionReset();
      // Consecutive transactional migrations go to the server in few messages (Batch.java);
      // a non-transactional one runs on its own, statement by statement.
      for (int i = 0; i < pending.size(); ) {
        if (!pending.get(i).transactional()) { applyWithoutTransaction(pending.get(i++)); continue; }
        int j = i;
        while (j < pending.size() && pending.get(j).transactional()) j++;
        new Batch(this).apply(pending.subList(i, j), j == pending.size());
        i = j;
      }
      if (stop != null) throw new MigrationException(stop);
      return pending.size();
    } finally {
      flush(); // on an error path the last commit was not the synchronous one
      lock.release();
    }
  }

  /** Rolls back every applied migration above `target`, newest first. Returns how many. */
  int rollback(int target, boolean dryRun) throws SQLException {
    if (target < 0) throw new MigrationException(new MigrationException.BadTarget(target));
    List<MigrationSource.Migration> todo = rollbackPlan(target);
    if (dryRun || todo.isEmpty()) {
      for (var m : todo) out.println("would roll back " + m.fileName() + " with " + m.downFileName());
      return 0;
    }
    refuseThroughPooler("`down` holds the migration lock across transactions");
    acquireLock();
    try {
      todo = rollbackPlan(target);
      if (!todo.isEmpty())
        out.println("rolling back " + todo.size() + ": "
            + String.join(", ", todo.stream().map(MigrationSource.Migration::label).toList()));
      sessionReset();
      List<String> done = new ArrayList<>();
      for (var m : todo) {
        try {
          if (interruptedBy != null) throw new MigrationException(new MigrationException.NotStarted(interruptCode));
          revert(m);
        } catch (MigrationException e) {
          if (interruptedBy == null) throw e;
          throw new MigrationException(new MigrationException.RollbackInterrupted(interruptedBy, interruptCode,
              m.fileName(), e.kind(), List.copyOf(done), target), e);
        }
        done.add(m.fileName());
      }
      return todo.size();
    } finally {
      lock.release();
    }
  }

  /** Every migration with its state, in version order. */
  List<Entry> status() throws SQLException { return status(table.readAll()); }

  /**
   * Every row of _migrations by owner (MigrationTable.Rows): ours, provided for kodiai's runner, kodiai's runner's own.
   */
  MigrationTable.Rows readAll() throws SQLException { return table.readAll(); }

  List<Entry> status(MigrationTable.Rows all) {
    Map<Integer, MigrationTable.Row> rows = all.ours();
    Map<Integer, Entry> entries = new TreeMap<>();
    for (var m : source.migrations) {
      MigrationTable.Row r = rows.get(m.version());
      State s = r == null || convertsOwnRow(m, r) || failedConversion(r) ? State.PENDING
          : r.failed() ? State.FAILED
          : r.checksum() != null && !acceptsChecksum(m, r.checksum()) ? State.MODIFIED
          : State.APPLIED;
      entries.put(m.version(), new Entry(m.version(), m.name(), s, r, m));
    }
    for (var r : rows.values())
      if (!entries.containsKey(r.version()))
        entries.put(r.version(), new Entry(r.version(), r.name(), r.failed() ? State.FAILED
            : r.version() > source.latestVersion() ? State.NEWER : State.FILE_MISSING, r, null));
    return List.copyOf(entries.values());
  }

  /** What stops `up`: edited or deleted applied files, out-of-order files, unfinished migrations. */
  static List<MigrationException.Problem> problems(List<Entry> entries) {
    int newestApplied = entries.stream().filter(e -> e.row() != null
        && e.state() != State.PENDING).mapToInt(Entry::version)
        .max().orElse(0);
    List<MigrationException.Problem> problems = new ArrayList<>();
    for (Entry e : entries) {
      String file = e.migration() != null ? e.migration().fileName() : e.row().name();
      switch (e.state()) {
        case MODIFIED -> problems.add(new MigrationException.Edited(file, e.version()));
        case FILE_MISSING -> problems.add(new MigrationException.FileMissing(file));
        case FAILED -> problems.add(e.row().failedDown()
            ? new MigrationException.UnfinishedDown(e.row().name(), file, e.version())
            : new MigrationException.Unfinished(file, e.version()));
        case PENDING -> {
          // a row here: kodiai's runner's, which a conversion takes over
          if (e.version() < newestApplied && e.row() == null)
            problems.add(new MigrationException.OutOfOrder(file, newestApplied));
        }
        default -> { }
      }
    }
    return problems;
  }

  /** The one-line warning for migrations only a newer release knows, or null when there are none. */
  static String newerWarning(List<Entry> entries) {
    List<String> newer = entries.stream().filter(e -> e.state() == State.NEWER).map(e -> e.row().name()).toList();
    if (newer.isEmpty()) return null;
    return "the database has " + newer.size() + " migration" + (newer.size() == 1 ? "" : "s")
        + " newer than these files (" + String.join(", ", newer) + "), applied by a newer release: left alone;"
        + " `up` applies nothing above them";
  }

  /** How the operator says a failed or edited migration ended (`migrate resolve`). */
  enum Resolution { APPLIED, ROLLED_BACK, ACCEPT_EDIT }

  /** Marks a failed or edited migration as dealt with by the operator. */
  void resolve(int version, Resolution how) throws SQLException {
    refuseThroughPooler("`resolve` holds the migration lock across statements");
    acquireLock();
    try {
      MigrationTable.Row r = table.read().get(version);
      MigrationSource.Migration m = source.byVersion(version);
      switch (how) {
        case APPLIED -> {
          if (m == null) throw new MigrationException(new MigrationException.NoSuchFile(version));
          table.ensure(source);
          if (r == null) table.insert(m, "applied");
          else table.update("UPDATE %s SET status = 'applied', checksum = ?, name = ? WHERE version = ?",
              m.checksum(), m.fileName(), version);
          out.println("marked " + m.fileName() + " as applied");
        }
        case ROLLED_BACK -> {
          if (r == null) throw new MigrationException(new MigrationException.NotRecorded(version));
          table.update("DELETE FROM %s WHERE version = ?", version);
          out.println("marked " + (m != null ? m.fileName() : r.name())
              + " as not applied; `migrate up` will run it again");
        }
        case ACCEPT_EDIT -> {
          if (r == null || m == null)
            throw new MigrationException(new MigrationException.NotBothAppliedAndFile(version));
          table.update("UPDATE %s SET checksum = ? WHERE version = ?", m.checksum(), version);
          out.println("accepted the current content of " + m.fileName());
        }
      }
    } finally {
      lock.release();
    }
  }

  // ------------------------------------------------------------- planning

  /** The migrations `up` would apply, given the recorded rows (conversions in their place); a problem stops it. */
  private List<MigrationSource.Migration> plan(MigrationTable.Rows rows, Integer to) throws SQLException {
    boolean adopting = adoption(rows).state() != KodiaiAdoption.State.NOT_KODIAI; // refuses an unknown kodiai schema
    List<MigrationException.Problem> problems = adopting ? problems(status(rows)) : problems(rows);
    if (adopting) problems.addAll(conversionProblems(rows, false));
    if (!problems.isEmpty()) throw new MigrationException(new MigrationException.Invalid(List.copyOf(problems)));
    List<String> missing = adopting ? missingConversions(rows) : List.of();
    stop = null;
    List<MigrationSource.Migration> pending = new ArrayList<>();
    for (var m : source.migrations) {
      MigrationTable.Row own = rows.ours().get(m.version());
      boolean runs = own == null || convertsOwnRow(m, own) || failedConversion(own);
      if (!runs || (to != null && m.version() > to)) continue;
      List<String> recorded = recordedByKodiai(m, rows);
      if (!missing.isEmpty() && recorded.stream().anyMatch(f -> !source.fromKodiai.containsKey(f))) {
        // an adoption goes as far as the conversions written so far, then says what is missing, in one line
        stop = new MigrationException.AdoptionStopped(m.fileName(), missing);
        break;
      }
      pending.add(recorded.isEmpty() ? m : source.converted(m, recorded));
    }
    return pending;
  }

  /**
   * What stops `up` (and fails `validate`): problems(entries), and kodiai files applied by kodiai's runner with no
   * conversion.
   */
  List<MigrationException.Problem> problems(MigrationTable.Rows rows) {
    List<MigrationException.Problem> problems = new ArrayList<>(problems(status(rows)));
    problems.addAll(conversionProblems(rows, true));
    return problems;
  }

  /** The kodiai files kodiai's runner applied that a pending migration of ours carries with no conversion, sorted. */
  List<String> missingConversions(MigrationTable.Rows rows) {
    java.util.TreeSet<String> out = new java.util.TreeSet<>();
    for (var m : source.migrations) {
      MigrationTable.Row own = rows.ours().get(m.version());
      if (own != null && !convertsOwnRow(m, own) && !failedConversion(own)) continue;
      for (String f : recordedByKodiai(m, rows)) if (!source.fromKodiai.containsKey(f)) out.add(f);
    }
    return List.copyOf(out);
  }

  /** Conversions missing (when `missing`: one line per file) and migrations carrying files of both runners. */
  private List<MigrationException.Problem> conversionProblems(MigrationTable.Rows rows, boolean missing) {
    List<MigrationException.Problem> problems = new ArrayList<>();
    for (var m : source.migrations) {
      MigrationTable.Row own = rows.ours().get(m.version());
      if (own != null && !convertsOwnRow(m, own) && !failedConversion(own)) continue;
      List<String> recorded = recordedByKodiai(m, rows);
      if (recorded.isEmpty()) continue;
      for (String f : recorded)
        if (missing && !source.fromKodiai.containsKey(f))
          problems.add(new MigrationException.NoConversion(m.fileName(), f));
      for (var d : m.kodiai())
        if (!recorded.contains(d.file()))
          problems.add(new MigrationException.MixedRunners(m.fileName(), List.copyOf(recorded), d.file()));
    }
    return problems;
  }

  /**
   * The kodiai files m carries that kodiai's runner applied itself: those it declares that have
   * a row of kodiai's runner, and m's own name when its row is kodiai's runner's (001-003 share
   * kodiai's names) and a conversion for it exists (without one that row is the earlier
   * runner's, adopted as applied: docs/migrate.md).
   */
  List<String> recordedByKodiai(MigrationSource.Migration m, MigrationTable.Rows rows) {
    List<String> out = new ArrayList<>();
    MigrationTable.Row own = rows.ours().get(m.version());
    if (own != null && (convertsOwnRow(m, own) || (failedConversion(own) && m.kodiai().isEmpty()
        && source.fromKodiai.containsKey(m.fileName())))) out.add(m.fileName());
    for (var d : m.kodiai()) if (rows.foreign(d.file()) != null) out.add(d.file());
    return out;
  }

  /**
   * A conversion that did not finish (killed, a lock not obtained, a step refused): recorded as failed under its
   * `from-kodiai:` checksum. Every conversion is written to be run again from any point, so `up` runs it again
   * (from-kodiai/001 is never run again once 002 started: 001 is recorded as applied before 002 starts).
   */
  static boolean failedConversion(MigrationTable.Row own) {
    return own.failed() && own.checksum() != null && own.checksum().startsWith(KodiaiFiles.CONVERTED_PREFIX)
        && !own.failedDown();
  }

  /** What `up` ends with when an adoption stopped before a migration lacking a conversion; else null. */
  private MigrationException.AdoptionStopped stop;

  /**
   * What the database is for the adoption of a database kodiai's runner built (KodiaiAdoption.recognize; read only
   * where _migrations has rows under kodiai's file names: a fresh database has none). Refuses (exit 5) an unknown
   * kodiai file or an edited kodiai schema, with every difference, before anything changed.
   */
  KodiaiAdoption.Recognition adoption(MigrationTable.Rows rows) throws SQLException {
    // kodiai's runner recorded its 001 and files that are not ours (any kodiai commit; 24fba64a's schema is checked
    // below)
    builtByKodiai = !KodiaiFiles.recognise(rows.nameOnly()).files().isEmpty();
    if (rows.foreign().isEmpty() && rows.provided().isEmpty())
      return new KodiaiAdoption.Recognition(KodiaiAdoption.State.NOT_KODIAI, List.of(), "");
    Set<String> ours = new java.util.HashSet<>();
    for (var m : source.migrations) ours.add(m.fileName());
    KodiaiAdoption.Recognition r = KodiaiAdoption.recognize(conn, ours);
    builtByKodiai |= r.state() != KodiaiAdoption.State.NOT_KODIAI;
    return r;
  }

  /**
   * Whether the last adoption() found a database kodiai's runner built: only then is a name-only row of 001-003
   * kodiai's (converted); elsewhere it is this project's earlier runner's, adopted as applied (docs/migrate.md).
   */
  private boolean builtByKodiai;

  /** m's own row is kodiai's runner's (name only) and a conversion for that file is bundled: `up` converts. */
  boolean convertsOwnRow(MigrationSource.Migration m, MigrationTable.Row own) {
    return builtByKodiai && own.nameOnly() && own.name().equals(m.fileName())
        && source.fromKodiai.containsKey(m.fileName());
  }

  /**
   * A recorded checksum that stands for m: its own, one it replaces, or `from-kodiai:` + the checksum of today's
   * conversion's own text, or of the conversion as the previous release recorded it (MigrationSource
   * .previousReleaseChecksum: the kit expanded into it, as that release had it).
   */
  private boolean acceptsChecksum(MigrationSource.Migration m, String checksum) {
    if (!checksum.startsWith(KodiaiFiles.CONVERTED_PREFIX))
      return MigrationSource.accepts(m.sql(), m.checksum(), checksum);
    List<String> files = new ArrayList<>();
    if (source.fromKodiai.containsKey(m.fileName()) && m.kodiai().isEmpty()) files.add(m.fileName());
    for (var d : m.kodiai()) files.add(d.file());
    // the conversion left the bundle
    if (files.isEmpty() || !files.stream().allMatch(source.fromKodiai::containsKey)) return true;
    return checksum.equals(source.converted(m, files).checksum())
        || checksum.equals(source.previousReleaseChecksum(files));
  }

  /** Creates or upgrades _migrations (with provided_by where a migration records rows for kodiai's runner). */
  private void ensureTable(List<MigrationSource.Migration> pending) throws SQLException {
    Set<Integer> converting = new java.util.HashSet<>();
    for (var m : pending) if (m.convertedFrom() != null) converting.add(m.version());
    table.ensure(source, pending.stream().anyMatch(m -> !m.kodiai().isEmpty()), converting);
  }

  /**
   * The statements that record m in its transaction, run as the runner: its own row (replacing
   * kodiai's runner's row of its name, where a conversion takes that over) and, for each kodiai
   * file it declares, a row under that file's name for kodiai's runner (provided_by = m): a
   * plain INSERT, so a row kodiai's runner wrote meanwhile fails the transaction; where m
   * converts, kodiai's runner's row becomes that row.
   */
  @Override public List<String> recordStatements(MigrationSource.Migration m, String executionMs)
      throws SQLException {
    String t = table.name();
    List<String> l = new ArrayList<>();
    if (m.convertedFrom() != null)
      l.add("DELETE FROM " + t + " WHERE name = " + literal(m.fileName()) + " AND version IS NULL AND checksum IS"
          + " NULL");
    l.add("INSERT INTO " + t + " (name, version, checksum, execution_ms, status, applied_at) VALUES ("
        + literal(m.fileName()) + ", "
        + m.version() + ", " + literal(m.checksum()) + ", " + executionMs + ", 'applied',"
        + " pg_catalog.clock_timestamp())");
    l.addAll(providedRows(m, m.convertedFrom() != null));
    return l;
  }

  /**
   * The rows m records for kodiai's runner; takeOver: a name-only row of that name becomes ours (a conversion, or a
   * retry).
   */
  List<String> providedRows(MigrationSource.Migration m, boolean takeOver) throws SQLException {
    List<String> l = new ArrayList<>();
    for (var d : m.kodiai())
      l.add("INSERT INTO " + table.name() + " (name, checksum, execution_ms, status, provided_by, applied_at) VALUES ("
          + literal(d.file()) + ", " + literal(d.sha12()) + ", 0, '" + MigrationTable.PROVIDED + "', "
          + literal(m.fileName())
          + ", pg_catalog.clock_timestamp())" + (takeOver ? " ON CONFLICT (name) DO UPDATE SET status ="
          + " EXCLUDED.status,"
          + " checksum = EXCLUDED.checksum, provided_by = EXCLUDED.provided_by WHERE " + table.name()
          + ".version IS NULL" : ""));
    return l;
  }

  private List<MigrationSource.Migration> rollbackPlan(int target) throws SQLException {
    List<MigrationSource.Migration> todo = new ArrayList<>();
    List<MigrationException.Problem> problems = new ArrayList<>();
    for (MigrationTable.Row r : table.read().values()) {
      MigrationSource.Migration m = source.byVersion(r.version());
      // kodiai's runner's row, not converted yet
      if (r.version() <= target || m != null && convertsOwnRow(m, r)) continue;
      if (m == null) problems.add(new MigrationException.MissingForRollback(r.name()));
      else if (!m.hasDown()) problems.add(new MigrationException.NoDownFile(m.fileName()));
      else if (r.failed()) problems.add(new MigrationException.UnresolvedForRollback(m.fileName()));
      else todo.add(0, m); // newest first
    }
    if (!problems.isEmpty())
      throw new MigrationException(new MigrationException.RollbackRefused(List.copyOf(problems)));
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
    String sql = "SELECT name FROM pg_available_extensions WHERE name = ANY(?)";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setArray(1, conn.createArrayOf("text", needed.keySet().toArray()));
      Set<String> available = new java.util.HashSet<>();
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) available.add(rs.getString(1)); }
      for (var e : needed.entrySet())
        if (!available.contains(e.getKey()))
          throw new MigrationException(new MigrationException.ExtensionMissing(e.getKey(), e.getValue()));
    }
  }

  private static final Pattern CREATE_EXTENSION =
      Pattern.compile("(?i)create\\s+extension\\s+(?:if\\s+not\\s+exists\\s+)?\"?([a-z0-9_]+)\"?");

  // ------------------------------------------------------------ executing

  private Integer unflushed; // the last migration committed asynchronously, not known to be on disk yet
  private final List<String> appliedNow = new ArrayList<>(); // files applied by this run, for messages
  private volatile boolean busy;                             // a statement is on the server now, for a cancel

  /** Reports a committed migration: a line, and the run's record for later messages. */
  @Override public void applied(MigrationSource.Migration m, int ms) {
    out.println("applied " + m.fileName() + (m.convertedFrom() == null ? "" : " by converting kodiai's objects with "
        + m.convertedFrom()) + " (" + ms + " ms)");
    appliedNow.add(m.fileName());
    unflushed = m.version();
  }

  /** How many statements of the last message sent by execute() completed before its error. */
  @Override public int completed() { return wire.completed(); }

  /** The last commit of the run was synchronous: everything before it is on disk. */
  @Override public void flushed() { unflushed = null; }

  @Override public MigrationSource source() { return source; }

  @Override public Map<Integer, Integer> durations(List<MigrationSource.Migration> ms) throws SQLException {
    return table.durations(ms);
  }

  /**
   * Sends SQL (one statement, or a simple-protocol message of many; PgWire) and counts the statements
   * that completed, so that an error without a position still names its statement.
   */
  @Override public void execute(String sql) throws SQLException {
    busy = true;
    try {
      if (interruptedBy != null) throw new SQLException("interrupted by " + interruptedBy, "57014");
      wire.send(sql);
    } finally {
      busy = false;
    }
  }

  private void applyWithoutTransaction(MigrationSource.Migration m) throws SQLException {
    if (interruptedBy != null) throw interrupted(m);
    long t0 = System.nanoTime();
    execute(sessionReset());
    // Recorded as unfinished first, so a crash or error midway cannot pass unnoticed (a conversion
    // takes over kodiai's runner's row of the same name in that one statement).
    table.insert(m, "failed", m.convertedFrom() != null);
    List<String> proved = KodiaiAdoption.provedTables(m);
    Map<String, KodiaiAdoption.TableSum> before = proved.isEmpty() ? null : KodiaiAdoption.sums(conn, proved);
    Map<String, Long> writesBefore = proved.isEmpty() ? null : KodiaiAdoption.insertsAndDeletes(conn, proved);
    try {
      boolean swaps = m.convertedFrom() != null && m.fileName().equals(KodiaiAdoption.FOUNDATION_STEPS.get(1));
      if (swaps) proveBeforeSwap(m);
      run(m.runsFile(), m.sql());
      if (!proved.isEmpty()) proveRowsKept(m, before, writesBefore, proved);
    } catch (MigrationException e) {
      throw new MigrationException(new MigrationException.NoTransactionFailed(
          interruptedBy != null ? interruptCode : e.exitCode, m.fileName(), m.version(), m.convertedFrom() != null,
          interruptedBy, progress(), e.kind()), e.getCause());
    }
    execute(sessionReset());
    long ms = elapsedMs(t0);
    // Its rows for kodiai's runner commit with its status; a retry after a crash here finds them and takes them over.
    execute("BEGIN;\nSET LOCAL synchronous_commit = on;\nUPDATE " + table.name() + " SET status = 'applied',"
        + " execution_ms = " + ms + (m.convertedFrom() == null ? "" : ", checksum = " + literal(m.checksum()))
        + ", applied_at = clock_timestamp() WHERE version = " + m.version() + ";\n"
        + String.join("", providedRows(m, true).stream().map(r -> r + ";\n").toList()) + "COMMIT");
    applied(m, (int) ms);
    unflushed = null; // that commit was synchronous: it flushed everything before it too
  }

  /**
   * The proof of the foundation's conversion (docs/adopt.md, "Proof"), before its swap: per table, rows and checksum of
   * kodiai's values and of what they became (the `_adopt` columns), read in one snapshot and printed; a difference
   * stops the step before anything is swapped. One snapshot, because the bot writes meanwhile: sums taken before and
   * after a step differ by what it wrote. The swap then checks every row once more in its own transaction.
   */
  private void proveBeforeSwap(MigrationSource.Migration m) throws SQLException {
    Map<String, KodiaiAdoption.TableSum> kodiai, converted;
    boolean autoCommit = conn.getAutoCommit();
    int isolation = conn.getTransactionIsolation();
    conn.setAutoCommit(false);
    conn.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try {
      kodiai = KodiaiAdoption.sums(conn, KodiaiAdoption.FOUNDATION, false);
      converted = KodiaiAdoption.sums(conn, KodiaiAdoption.FOUNDATION, true);
    } finally {
      conn.rollback();
      conn.setTransactionIsolation(isolation);
      conn.setAutoCommit(autoCommit);
    }
    List<String> differ = KodiaiAdoption.compare(kodiai, converted, out);
    if (!differ.isEmpty()) throw new MigrationException(new MigrationException.ConvertedDiffer(m.runsFile(), differ));
  }

  /**
   * The proof of the online conversion of tables that grow (KodiaiAdoption.provedTables; docs/adopt.md): per table,
   * rows and checksum of every value before and after the step, printed. A table the bot inserted rows into or
   * deleted rows from meanwhile differs for that reason: said, not refused (each row was checked against its
   * conversion inside the swap's transaction). Any other difference leaves the step recorded as failed.
   */
  private void proveRowsKept(MigrationSource.Migration m, Map<String, KodiaiAdoption.TableSum> before,
      Map<String, Long> writesBefore, List<String> tables) throws SQLException {
    Map<String, KodiaiAdoption.TableSum> after = KodiaiAdoption.sums(conn, tables);
    List<String> differ = new ArrayList<>(KodiaiAdoption.compare(before, after, out));
    Map<String, Long> writesAfter = KodiaiAdoption.insertsAndDeletes(conn, tables);
    for (String t : List.copyOf(differ)) {
      // a conversion changes no row count and inserts or deletes nothing: either is another session's doing
      if (before.get(t).rows() != after.get(t).rows() || !writesAfter.get(t).equals(writesBefore.get(t))) {
        out.println(t + ": rows inserted or deleted by others during the step (the bot); each row was checked against"
            + " its conversion in the swap's transaction");
        differ.remove(t);
      }
    }
    if (!differ.isEmpty()) throw new MigrationException(new MigrationException.RowsChanged(m.runsFile(), differ));
  }

  /**
   * Runs a down file. With a transaction: its statements and the deletion of its row commit
   * together or not at all. Without (the marker): recorded as failed, under the down file's
   * name, before its first statement, as a non-transactional up is; the row goes at the end.
   */
  private void revert(MigrationSource.Migration m) throws SQLException {
    long t0 = System.nanoTime();
    boolean tx = !MigrationSource.hasNoTransactionMarker(m.downSql());
    execute(sessionReset());
    if (!tx)
      table.update("UPDATE %s SET status = 'failed', name = ? WHERE version = ?", m.downFileName(), m.version());
    conn.setAutoCommit(!tx);
    try {
      run(m.downFileName(), m.downSql());
      execute(AS_RUNNER);
      // 001's down file drops _migrations itself: then there is no row left to delete.
      if (table.exists()) table.update("DELETE FROM %s WHERE version = ?", m.version());
      // Its rows for kodiai's runner go with it: that runner applies those files again, as it would on its own.
      if (table.exists() && !m.kodiai().isEmpty())
        table.update("DELETE FROM %s WHERE status = '" + MigrationTable.PROVIDED + "' AND provided_by = ?",
            m.fileName());
      if (tx) conn.commit();
    } catch (SQLException | RuntimeException e) {
      if (tx) rollbackQuietly();
      if (tx && e instanceof MigrationException me && interruptedBy != null)
        throw new MigrationException(new MigrationException.DownRolledBack(interruptCode, m.fileName(), me.kind()), e);
      if (tx || !(e instanceof MigrationException me)) throw e;
      throw new MigrationException(new MigrationException.DownNoTransactionFailed(
          interruptedBy != null ? interruptCode : me.exitCode, m.downFileName(), m.version(), me.kind()), e.getCause());
    } finally {
      conn.setAutoCommit(true);
    }
    out.println("rolled back " + m.fileName() + " (" + elapsedMs(t0) + " ms)");
  }

  /** Runs a file statement by statement, so an error names its line. */
  private void run(String file, String sql) {
    for (MigrationSource.Statement s : MigrationSource.split(sql)) {
      try {
        execute(s.sql());
      } catch (SQLException e) {
        throw new MigrationException(
            new MigrationException.StatementFailed(file, errorLine(s, e), e.getSQLState(), serverMessage(e)), e);
      }
    }
  }

  private static int errorLine(MigrationSource.Statement s, SQLException e) {
    int line = s.line();
    int pos = PgWire.position(e);
    String sql = s.sql();
    int end = pos - 1 >= sql.codePointCount(0, sql.length()) ? sql.length()
        : sql.offsetByCodePoints(0, Math.max(0, pos - 1));
    for (int i = 0; i < end; i++) if (sql.charAt(i) == '\n') line++;
    return line;
  }

  /**
   * Makes earlier asynchronous commits durable: a synchronous commit flushes all WAL before it,
   * but only a commit that wrote WAL waits for the flush, hence a real (if idempotent) write.
   */
  private void flush() {
    if (unflushed == null) return;
    try {
      execute("BEGIN;\nSET LOCAL synchronous_commit = on;\nUPDATE " + table.name()
          + " SET status = status WHERE version = " + unflushed + ";\nCOMMIT");
      unflushed = null;
    } catch (SQLException ignored) {
      // the connection is gone: the server flushes on its own within wal_writer_delay
    }
  }

  @Override public void rollbackQuietly() {
    try (Statement st = conn.createStatement()) {
      if (conn.getAutoCommit()) st.execute("ROLLBACK"); else conn.rollback();
    } catch (SQLException ignored) {
      // nothing to roll back, or the connection is gone (the server rolls back then)
    }
  }

  // ------------------------------------------------------------ the session between migrations

  /** After a migration, run as the runner again before recording it (a migration may SET ROLE). */
  static final String AS_RUNNER = "SET SESSION AUTHORIZATION DEFAULT;\nRESET ROLE";

  private String sessionReset;

  /**
   * SQL that returns the session to the state the runner set up, before each migration: the
   * result of a migration must not depend on which migrations ran before it in the same
   * session (a `SET search_path` in 002 must not move 003's tables). Like DISCARD ALL, which
   * would also release the migration lock: role, every setting (RESET ALL), prepared statements,
   * cursors, LISTEN, cached plans, sequence state, temporary tables. The runner's own settings
   * (statement_timeout 0, lock_timeout, client_connection_check_interval, whatever its
   * connection SET) are read once, before any migration, and set again.
   */
  @Override public String sessionReset() throws SQLException {
    if (sessionReset != null) return sessionReset;
    StringBuilder own = new StringBuilder();
    // Through a pooler the session is not ours (its SETs may be another client's): its own limits come with SET LOCAL.
    String sql = "SELECT name, setting FROM pg_settings WHERE source = 'session'"
        + " AND name NOT LIKE 'transaction\\_%' ORDER BY name";
    if (pooler == null) try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next())
        own.append(own.length() == 0 ? "SELECT " : ", ").append("pg_catalog.set_config(")
            .append(literal(rs.getString(1))).append(", ").append(literal(rs.getString(2))).append(", false)");
    }
    sessionReset = AS_RUNNER + ";\nRESET ALL;\n" + (own.length() > 0 ? own + ";\n" : "")
        + "DEALLOCATE ALL;\nCLOSE ALL;\nUNLISTEN *;\nDISCARD PLANS;\nDISCARD SEQUENCES;\nDISCARD TEMP";
    return sessionReset;
  }

  static String literal(String s) { return "'" + s.replace("'", "''") + "'"; }

  // ------------------------------------------------------- through a pooler

  /**
   * What each migration's transaction runs right after the session reset (Batch): nothing on a
   * direct connection; through a pooler the migration's own limits (SET LOCAL) and the guard,
   * which takes the lock for this transaction only and checks that the migration is still unrecorded.
   */
  @Override public List<String> transactionPrelude(MigrationSource.Migration m) throws SQLException {
    if (pooler == null) return List.of();
    List<String> l = new ArrayList<>(options.transactionSettings());
    l.add(lock.guard(table.name(), m.version()));
    return l;
  }

  /**
   * The guard's error (lock busy, or the migration recorded meanwhile: nothing changed) as a
   * MigrationException of kind Guard, which says which, or null for any other error.
   */
  @Override public MigrationException guardStop(SQLException e) {
    String state = e.getSQLState();
    if (!AdvisoryLock.BUSY.equals(state) && !AdvisoryLock.ALREADY_RECORDED.equals(state)) return null;
    return new MigrationException(
        new MigrationException.Guard(AdvisoryLock.BUSY.equals(state), state, serverMessage(e)), e);
  }

  /**
   * `up` through a connection pooler, which may run each transaction on another server
   * connection and keeps a session lock on whichever one took it. Nothing here lasts longer
   * than a transaction: each migration's transaction starts with AdvisoryLock.guard(), which
   * takes the lock for that transaction only (released by its COMMIT or ROLLBACK) and checks
   * that the migration is still unrecorded, or stops the message before anything changes. A
   * busy lock is retried after a pause holding nothing open; a migration another runner
   * recorded meanwhile means: plan again. Non-transactional migrations need one session from
   * start to end: refused before any lock.
   */
  private int migrateThroughPooler(Integer to, List<MigrationSource.Migration> firstLook) throws SQLException {
    if (firstLook != null) refuseWithoutTransaction(firstLook); // before any lock, as a rule
    if (interruptedBy != null) throw interrupted(null);
    AdvisoryLock.Wait wait = lock.new Wait(options.lockTimeout(), () -> interruptedBy != null);
    List<MigrationSource.Migration> pending;
    conn.setAutoCommit(false); // look again, and create or upgrade _migrations, under the lock, in one transaction
    try {
      while (true) {
        try (Statement st = conn.createStatement()) {
          for (String set : options.transactionSettings()) st.execute(set);
        }
        if (lock.tryForTransaction()) break;
        conn.rollback();
        pause(wait);
      }
      pending = plan(table.readAll(), to); // the first look may have seen another runner's migration in progress
      refuseWithoutTransaction(pending);
      checkExtensions(pending);
      ensureTable(pending);
      conn.commit();
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly();
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
    try {
      while (!(pending = plan(table.readAll(), to)).isEmpty()) {
        try {
          new Batch(this).apply(pending, true);
        } catch (MigrationException stopped) {
          if (!(stopped.kind() instanceof MigrationException.Guard g)) throw stopped;
          if (g.busy()) pause(wait); // else: recorded meanwhile, plan again
        }
      }
      return appliedNow.size();
    } finally {
      flush();
    }
  }

  private void pause(AdvisoryLock.Wait wait) throws SQLException {
    try {
      wait.pause();
    } catch (MigrationException e) {
      if (interruptedBy != null) throw interrupted(null);
      throw e;
    }
  }

  private void refuseWithoutTransaction(List<MigrationSource.Migration> pending) {
    List<String> noTx = pending.stream().filter(m -> !m.transactional())
        .map(MigrationSource.Migration::fileName).toList();
    if (!noTx.isEmpty())
      refuseThroughPooler(String.join(", ", noTx) + (noTx.size() == 1 ? " runs" : " run") + " without a transaction");
  }

  /** Stops, before any lock, what needs one database session throughout when connected through a pooler. */
  private void refuseThroughPooler(String what) {
    if (pooler == null) return;
    throw new MigrationException(new MigrationException.Pooler(what, pooler));
  }

  // ------------------------------------------------------------ interrupts and lost connections

  private volatile String interruptedBy; // "SIGTERM", "SIGINT"
  private volatile int interruptCode;

  /** From a signal handler: stop at the next boundary, cancelling the statement running now. */
  void interrupt(String signal, int exitCode) {
    interruptCode = exitCode;
    interruptedBy = signal;
    if (busy) {
      try { wire.cancel(); } catch (SQLException ignored) { /* it finished meanwhile */ }
    }
  }

  @Override public String interruptedBy() { return interruptedBy; }
  int interruptCode() { return interruptCode; }

  /** A failure that came with (or from) an interrupt, as one line that says what the run did. */
  MigrationException interruptedFailure(String detail, Throwable cause) {
    return new MigrationException(new MigrationException.Interrupted(interruptedBy, interruptCode, null, detail,
        progress(), !appliedNow.isEmpty()), cause);
  }

  private void acquireLock() throws SQLException {
    if (interruptedBy != null) throw interrupted(null);
    try {
      lock.acquire(options.lockTimeout(), () -> interruptedBy != null);
    } catch (MigrationException e) {
      if (interruptedBy != null) throw interrupted(null);
      throw e;
    }
  }

  /** The message when a signal stopped the run: what committed, what did not, what next. */
  @Override public MigrationException interrupted(MigrationSource.Migration during) {
    return new MigrationException(new MigrationException.Interrupted(interruptedBy, interruptCode,
        during == null ? null : during.fileName(), null, progress(), true));
  }

  /** What this run committed so far, for the messages that end it. */
  private MigrationException.Progress progress() {
    return new MigrationException.Progress(appliedNow.size(),
        appliedNow.isEmpty() ? null : appliedNow.get(appliedNow.size() - 1));
  }

  @Override public boolean connectionLost(SQLException e) {
    String state = String.valueOf(e.getSQLState());
    try {
      return state.startsWith("08") || state.startsWith("57P0") || conn.isClosed();
    } catch (SQLException closed) {
      return true;
    }
  }

  /** After the connection died mid-run: asks a second connection which of the run committed, and says so. */
  @Override public MigrationException lost(List<MigrationSource.Migration> run, SQLException e) {
    String why = serverMessage(e);
    Map<Integer, MigrationTable.Row> rows;
    try (Connection c = options.reconnect() == null ? null : options.reconnect().call()) {
      if (c == null) throw new SQLException("no way to reconnect");
      rows = MigrationTable.read(c, table.name(), source).ours();
    } catch (Exception again) {
      return new MigrationException(new MigrationException.LostUnknown(run.get(0).fileName(),
          run.get(run.size() - 1).fileName(), why, progress()), e);
    }
    MigrationSource.Migration first = null;
    for (var m : run) {
      MigrationTable.Row r = rows.get(m.version());
      if (r != null && !r.failed()) {
        if (!appliedNow.contains(m.fileName())) {
          out.println("applied " + m.fileName() + " (committed before the connection was lost)");
          appliedNow.add(m.fileName());
        }
      } else if (first == null) first = m;
    }
    unflushed = null; // nothing more to do for durability on a dead connection
    return new MigrationException(
        new MigrationException.Lost(why, first == null ? null : first.fileName(), progress()), e);
  }

  /** Another runner recorded this migration while this one applied it: the lock did not hold. */
  @Override public MigrationException collision(MigrationSource.Migration m, SQLException e) {
    if (!"23505".equals(e.getSQLState()) || !TABLE.equals(PgWire.table(e))) return null;
    for (var d : m.kodiai())
      if (String.valueOf(PgWire.detail(e)).contains("=(" + d.file() + ")"))
        return new MigrationException(new MigrationException.Collision(m.fileName(), d.file()), e);
    return new MigrationException(new MigrationException.Collision(m.fileName(), null), e);
  }

  static String serverMessage(SQLException e) {
    String msg;
    String head = PgWire.severityAndMessage(e);
    if (head != null) {
      msg = head + " (SQLSTATE " + e.getSQLState() + ")";
      if ("25001".equals(e.getSQLState()))
        msg += "; this statement cannot run in a transaction: put `" + MigrationSource.NO_TRANSACTION_MARKER
            + "` at the top of the file";
    } else {
      msg = DbClient.firstLine(e.getMessage());
    }
    return DbClient.redact(msg);
  }

  private static long elapsedMs(long t0) { return (System.nanoTime() - t0) / 1_000_000; }

  /** The recorded migrations by version (see MigrationTable). */
  Map<Integer, MigrationTable.Row> readRows() throws SQLException { return table.read(); }
}
