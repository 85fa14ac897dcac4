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
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

final class Migrator {
  /** Advisory lock key: the bytes of "kodiaimg" as a bigint; the lock is per database. */
  static final long LOCK_KEY = 0x6b6f646961696d67L;
  static final String TABLE = MigrationTable.NAME;

  /** NEWER: applied by a release newer than these files (a rolling deploy); not a problem for `up`. */
  enum State { APPLIED, PENDING, MODIFIED, FILE_MISSING, FAILED, NEWER }

  /** A line of `status`: the file, the row, or both. */
  record Entry(int version, String name, State state, MigrationTable.Row row, MigrationSource.Migration migration) {}

  final Connection conn;
  final MigrationSource source;
  final PrintStream out;    // progress lines; a null-sink when --quiet
  final MigrationTable table;
  Duration lockTimeout = Duration.ofSeconds(60);
  /** A second connection to the same database, to learn what committed after this one was lost; null: none. */
  Callable<Connection> reconnect;
  private final AdvisoryLock lock;
  // Set by throughPooler(): the pooler's host:port (null: a direct connection), and the SET LOCAL
  // statements that give each transaction the migration's own limits there.
  private String pooler;
  private List<String> transactionSettings = List.of();

  Migrator(Connection conn, MigrationSource source, PrintStream out) {
    this.conn = conn;
    this.source = source;
    this.out = out;
    this.table = new MigrationTable(conn, source);
    this.lock = new AdvisoryLock(conn, LOCK_KEY, out);
  }

  /**
   * Tells the Migrator that its connection goes through a connection pooler at `where`
   * (host:port), so every transaction starts with `settings` (SET LOCAL ...; session settings
   * would stay on a pooled server connection, or be lost).
   */
  void throughPooler(String where, Map<String, String> settings) {
    pooler = where;
    List<String> l = new ArrayList<>();
    settings.forEach((k, v) -> l.add("SET LOCAL " + k + " = " + literal(v)));
    transactionSettings = List.copyOf(l);
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
      if (stopLine != null && !dryRun) throw new MigrationException(ExitCode.VALIDATION, stopLine);
      if (stopLine != null) out.println("would stop: " + stopLine);
      return 0;
    }
    if (pooler != null) {
      int n = migrateThroughPooler(to, pending);
      if (stopLine != null) throw new MigrationException(ExitCode.VALIDATION, stopLine);
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
      if (stopLine != null) throw new MigrationException(ExitCode.VALIDATION, stopLine);
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
    refuseThroughPooler("`down` holds the migration lock across transactions");
    acquireLock();
    try {
      todo = rollbackPlan(target);
      if (!todo.isEmpty())
        out.println("rolling back " + todo.size() + ": " + String.join(", ", todo.stream().map(MigrationSource.Migration::label).toList()));
      sessionReset();
      List<String> done = new ArrayList<>();
      for (var m : todo) {
        try {
          if (interruptedBy != null) throw new MigrationException(interruptCode, "it was not started");
          revert(m);
        } catch (MigrationException e) {
          if (interruptedBy == null) throw e;
          throw new MigrationException(interruptCode, "interrupted by " + interruptedBy + " while rolling back " + m.fileName() + ": "
              + e.getMessage() + (done.isEmpty() ? "; nothing else was rolled back" : "; rolled back before it: " + String.join(", ", done))
              + "; run `migrate down " + target + "` again to finish", e);
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
  static List<String> problems(List<Entry> entries) {
    int newestApplied = entries.stream().filter(e -> e.row() != null
        && e.state() != State.PENDING).mapToInt(Entry::version)
        .max().orElse(0);
    List<String> problems = new ArrayList<>();
    for (Entry e : entries) {
      String file = e.migration() != null ? e.migration().fileName() : e.row().name();
      switch (e.state()) {
        case MODIFIED -> problems.add(file + " was edited after it was applied (checksum differs); restore it, or add a new migration"
            + " for the change (if the edit is harmless: migrate resolve " + e.version() + " --accept-edit)");
        case FILE_MISSING -> problems.add(file + " is applied but its file is missing; restore it from version control");
        case FAILED -> problems.add(e.row().failedDown()
            ? e.row().name() + " (rolling back " + file.replace(".down.sql", ".sql") + ") did not finish (non-transactional, failed or"
                + " interrupted); fix the database by hand, then run `migrate resolve " + e.version() + " --rolled-back` (it is undone)"
                + " or `--applied` (it is back in place)"
            : file + " did not finish (non-transactional, failed or interrupted); fix the database by hand,"
                + " then run `migrate resolve " + e.version() + " --applied` (it is done) or `--rolled-back` (undone, retry it)");
        case PENDING -> {
          // a row here: kodiai's runner's, which a conversion takes over
          if (e.version() < newestApplied && e.row() == null)
            problems.add(file + " is new but numbered below the newest applied migration (" + newestApplied
                + "); renumber it above " + newestApplied);
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
    return "the database has " + newer.size() + " migration" + (newer.size() == 1 ? "" : "s") + " newer than these files ("
        + String.join(", ", newer) + "), applied by a newer release: left alone; `up` applies nothing above them";
  }

  /** Marks a failed or edited migration as dealt with by the operator. */
  void resolve(int version, String how) throws SQLException {
    refuseThroughPooler("`resolve` holds the migration lock across statements");
    acquireLock();
    try {
      MigrationTable.Row r = table.read().get(version);
      MigrationSource.Migration m = source.byVersion(version);
      switch (how) {
        case "applied" -> {
          if (m == null) throw new MigrationException(ExitCode.USAGE, "no migration file with version " + version);
          table.ensure(source);
          if (r == null) table.insert(m, "applied");
          else table.update("UPDATE %s SET status = 'applied', checksum = ?, name = ? WHERE version = ?", m.checksum(), m.fileName(), version);
          out.println("marked " + m.fileName() + " as applied");
        }
        case "rolled-back" -> {
          if (r == null) throw new MigrationException(ExitCode.USAGE, "version " + version + " is not recorded as applied or failed");
          table.update("DELETE FROM %s WHERE version = ?", version);
          out.println("marked " + (m != null ? m.fileName() : r.name()) + " as not applied; `migrate up` will run it again");
        }
        case "accept-edit" -> {
          if (r == null || m == null) throw new MigrationException(ExitCode.USAGE, "version " + version + " is not both applied and present as a file");
          table.update("UPDATE %s SET checksum = ? WHERE version = ?", m.checksum(), version);
          out.println("accepted the current content of " + m.fileName());
        }
        default -> throw new MigrationException(ExitCode.USAGE, "unknown resolution " + how);
      }
    } finally {
      lock.release();
    }
  }

  // ------------------------------------------------------------- planning

  /** The migrations `up` would apply, given the recorded rows (conversions in their place); a problem stops it. */
  private List<MigrationSource.Migration> plan(MigrationTable.Rows rows, Integer to) throws SQLException {
    boolean adopting = adoption(rows).state() != KodiaiAdoption.State.NOT_KODIAI; // refuses an unknown kodiai schema
    List<String> problems = adopting ? problems(status(rows)) : problems(rows);
    if (adopting) problems.addAll(conversionProblems(rows, false));
    if (!problems.isEmpty()) throw new MigrationException(ExitCode.VALIDATION, String.join("\n", problems));
    List<String> missing = adopting ? missingConversions(rows) : List.of();
    stopLine = null;
    List<MigrationSource.Migration> pending = new ArrayList<>();
    for (var m : source.migrations) {
      MigrationTable.Row own = rows.ours().get(m.version());
      boolean runs = own == null || convertsOwnRow(m, own) || failedConversion(own);
      if (!runs || (to != null && m.version() > to)) continue;
      List<String> recorded = recordedByKodiai(m, rows);
      if (!missing.isEmpty() && recorded.stream().anyMatch(f -> !source.fromKodiai.containsKey(f))) {
        // an adoption goes as far as the conversions written so far, then says what is missing, in one line
        stopLine = "stopped before " + m.fileName() + ": kodiai's runner applied kodiai files that kodiai-db has no"
            + " conversion (" + KodiaiFiles.FROM_KODIAI + "/<file>) for yet: " + String.join(", ", missing)
            + "; everything before it is applied, and `up` resumes there once they exist";
        break;
      }
      pending.add(recorded.isEmpty() ? m : m.converted(recorded, String.join("\n", recorded.stream()
          .map(source.fromKodiai::get).toList())));
    }
    return pending;
  }

  /**
   * What stops `up` (and fails `validate`): problems(entries), and kodiai files applied by kodiai's runner with no
   * conversion.
   */
  List<String> problems(MigrationTable.Rows rows) {
    List<String> problems = new ArrayList<>(problems(status(rows)));
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
  private List<String> conversionProblems(MigrationTable.Rows rows, boolean missing) {
    List<String> problems = new ArrayList<>();
    for (var m : source.migrations) {
      MigrationTable.Row own = rows.ours().get(m.version());
      if (own != null && !convertsOwnRow(m, own) && !failedConversion(own)) continue;
      List<String> recorded = recordedByKodiai(m, rows);
      if (recorded.isEmpty()) continue;
      for (String f : recorded)
        if (missing && !source.fromKodiai.containsKey(f))
          problems.add(m.fileName() + " carries kodiai's " + f + ", which kodiai's runner already applied itself, and"
              + " there is no "
              + KodiaiFiles.FROM_KODIAI + "/" + f + " to convert kodiai's objects to kodiai-db's; nothing ran");
      for (var d : m.kodiai())
        if (!recorded.contains(d.file()))
          problems.add(m.fileName() + " carries kodiai's " + String.join(", ", recorded)
              + " (applied by kodiai's runner) and "
              + d.file() + " (not applied by it): convert all or none; apply " + d.file()
              + " with kodiai's runner first; nothing ran");
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

  /** The one line `up` ends with when an adoption stopped before a migration lacking a conversion; else null. */
  String stopLine;

  /**
   * What the database is for the adoption of a database kodiai's runner built (KodiaiAdoption.recognize; read only
   * where _migrations has rows under kodiai's file names: a fresh database has none). Refuses (exit 5) an unknown
   * kodiai file or an edited kodiai schema, with every difference, before anything changed.
   */
  KodiaiAdoption.Recognition adoption(MigrationTable.Rows rows) throws SQLException {
    // kodiai's runner recorded its 001 and files that are not ours (any kodiai commit; 24fba64a's schema is checked below)
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

  /** A recorded checksum that stands for m: its own, one it replaces, or `from-kodiai:` + today's conversion's. */
  private boolean acceptsChecksum(MigrationSource.Migration m, String checksum) {
    if (!checksum.startsWith(KodiaiFiles.CONVERTED_PREFIX)) return MigrationSource.accepts(m.sql(),
        m.checksum(), checksum);
    List<String> files = new ArrayList<>();
    if (source.fromKodiai.containsKey(m.fileName()) && m.kodiai().isEmpty()) files.add(m.fileName());
    for (var d : m.kodiai()) files.add(d.file());
    // the conversion left the bundle
    if (files.isEmpty() || !files.stream().allMatch(source.fromKodiai::containsKey)) return true;
    return checksum.equals(m.converted(files,
        String.join("\n", files.stream().map(source.fromKodiai::get).toList())).checksum());
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
  List<String> recordStatements(MigrationSource.Migration m, String executionMs) throws SQLException {
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
    List<String> problems = new ArrayList<>();
    for (MigrationTable.Row r : table.read().values()) {
      MigrationSource.Migration m = source.byVersion(r.version());
      // kodiai's runner's row, not converted yet
      if (r.version() <= target || m != null && convertsOwnRow(m, r)) continue;
      if (m == null) problems.add(r.name() + " is applied but its file is missing, so it cannot be rolled back");
      else if (!m.hasDown()) problems.add(m.fileName() + " has no down file " + m.fileName().replace(".sql", ".down.sql"));
      else if (r.failed()) problems.add(m.fileName() + " did not finish; resolve it first (see `migrate validate`)");
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

  Integer unflushed; // the last migration committed asynchronously, not known to be on disk yet
  private final List<String> appliedNow = new ArrayList<>(); // files applied by this run, for messages
  private volatile boolean busy;                             // a statement is on the server now, for a cancel

  /** Reports a committed migration: a line, and the run's record for later messages. */
  void applied(MigrationSource.Migration m, int ms) {
    out.println("applied " + m.fileName() + (m.convertedFrom() == null ? "" : " by converting kodiai's objects with "
        + m.convertedFrom()) + " (" + ms + " ms)");
    appliedNow.add(m.fileName());
    unflushed = m.version();
  }

  /** How many statements of the last message sent by execute() completed before its error. */
  int completed;

  /**
   * Sends SQL (one statement, or a simple-protocol message of many) and counts the statements
   * that completed, so that an error without a position still names its statement: the server
   * answers every statement of a message with its own completion, in order. Through pgjdbc's
   * query executor with a handler of our own, because its Statement keeps each statement's result
   * in a list it walks from the start for every new one: n^2 for a message of n statements
   * (160,000 INSERTs in one file took 45 s). Both are pgjdbc's public classes of org.postgresql.core,
   * pinned with pgjdbc in DbClient.java.
   */
  void execute(String sql) throws SQLException {
    completed = 0;
    var handler = new org.postgresql.core.ResultHandlerBase() {
      @Override public void handleResultRows(org.postgresql.core.Query q, org.postgresql.core.Field[] f,
          List<org.postgresql.core.Tuple> rows, org.postgresql.core.ResultCursor c) { completed++; }
      @Override public void handleCommandStatus(String status, long updateCount, long insertOID) { completed++; }
      // pgjdbc 42.7.14 left this to each handler (its base class had collected them, unread): notices are not errors.
      @Override public void handleWarning(java.sql.SQLWarning warning) { }
    };
    var executor = conn.unwrap(org.postgresql.core.BaseConnection.class).getQueryExecutor();
    org.postgresql.core.CachedQuery query = executor.createQuery(sql, false, false);
    busy = true;
    try {
      if (interruptedBy != null) throw new SQLException("interrupted by " + interruptedBy, "57014");
      executor.execute(query.query, null, handler, 0, 0, org.postgresql.core.QueryExecutor.QUERY_EXECUTE_AS_SIMPLE
          | org.postgresql.core.QueryExecutor.QUERY_NO_METADATA
          | (conn.getAutoCommit() ? org.postgresql.core.QueryExecutor.QUERY_SUPPRESS_BEGIN : 0)); // else pgjdbc opens the transaction
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
      if (m.convertedFrom() != null && m.fileName().equals(KodiaiAdoption.FOUNDATION_STEPS.get(1))) proveBeforeSwap(m);
      run(m.runsFile(), m.sql());
      if (!proved.isEmpty()) proveRowsKept(m, before, writesBefore, proved);
    } catch (MigrationException e) {
      throw new MigrationException(interruptedBy != null ? interruptCode : e.exitCode, (interruptedBy != null ? "interrupted by "
          + interruptedBy + ": " : "") + e.getMessage() + "; " + m.fileName() + " ran without a transaction and is recorded as failed"
          + (interruptedBy != null ? committedSoFar() : "") + (m.convertedFrom() != null
              ? ": a conversion is written to run again from any point; run `migrate up` again to resume it"
              : ": finish or undo its statements by hand, then `migrate resolve " + m.version()
                  + " --applied` or `--rolled-back`"), e.getCause());
    }
    execute(sessionReset());
    long ms = elapsedMs(t0);
    // Its rows for kodiai's runner commit with its status; a retry after a crash here finds them and takes them over.
    execute("BEGIN;\nSET LOCAL synchronous_commit = on;\nUPDATE " + table.name() + " SET status = 'applied', execution_ms = "
        + ms + (m.convertedFrom() == null ? "" : ", checksum = " + literal(m.checksum()))
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
    if (!differ.isEmpty())
      throw new MigrationException(ExitCode.FAILED, m.runsFile() + ": the converted values of "
          + String.join(", ", differ) + " differ from kodiai's (checksums printed above); nothing was swapped");
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
    if (!differ.isEmpty())
      throw new MigrationException(ExitCode.FAILED, m.runsFile() + " changed the rows of " + String.join(", ", differ)
          + " (checksums differ, printed above)");
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
    if (!tx) table.update("UPDATE %s SET status = 'failed', name = ? WHERE version = ?", m.downFileName(), m.version());
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
        throw new MigrationException(interruptCode, me.getMessage() + " (rolled back: " + m.fileName() + " stays applied)", e);
      if (tx || !(e instanceof MigrationException me)) throw e;
      throw new MigrationException(interruptedBy != null ? interruptCode : me.exitCode, me.getMessage() + "; " + m.downFileName()
          + " ran without a transaction and is recorded as failed: finish or undo its statements by hand, then `migrate resolve "
          + m.version() + " --rolled-back` (it is undone) or `--applied` (it is back in place)", e.getCause());
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
        throw new MigrationException(ExitCode.FAILED, file + " line " + errorLine(s, e) + ": " + serverMessage(e), e);
      }
    }
  }

  private static int errorLine(MigrationSource.Statement s, SQLException e) {
    int line = s.line();
    if (e instanceof PSQLException pe && pe.getServerErrorMessage() != null) {
      int pos = pe.getServerErrorMessage().getPosition();
      String sql = s.sql();
      int end = pos - 1 >= sql.codePointCount(0, sql.length()) ? sql.length() : sql.offsetByCodePoints(0, Math.max(0, pos - 1));
      for (int i = 0; i < end; i++) if (sql.charAt(i) == '\n') line++;
    }
    return line;
  }

  /**
   * Makes earlier asynchronous commits durable: a synchronous commit flushes all WAL before it,
   * but only a commit that wrote WAL waits for the flush, hence a real (if idempotent) write.
   */
  private void flush() {
    if (unflushed == null) return;
    try {
      execute("BEGIN;\nSET LOCAL synchronous_commit = on;\nUPDATE " + table.name() + " SET status = status WHERE version = " + unflushed
          + ";\nCOMMIT");
      unflushed = null;
    } catch (SQLException ignored) {
      // the connection is gone: the server flushes on its own within wal_writer_delay
    }
  }

  void rollbackQuietly() {
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
  String sessionReset() throws SQLException {
    if (sessionReset != null) return sessionReset;
    StringBuilder own = new StringBuilder();
    // Through a pooler the session is not ours (its SETs may be another client's): its own limits come with SET LOCAL.
    if (pooler == null) try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT name, setting FROM pg_settings"
        + " WHERE source = 'session' AND name NOT LIKE 'transaction\\_%' ORDER BY name")) {
      while (rs.next())
        own.append(own.length() == 0 ? "SELECT " : ", ").append("pg_catalog.set_config(").append(literal(rs.getString(1)))
            .append(", ").append(literal(rs.getString(2))).append(", false)");
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
  List<String> transactionPrelude(MigrationSource.Migration m) throws SQLException {
    if (pooler == null) return List.of();
    List<String> l = new ArrayList<>(transactionSettings);
    l.add(lock.guard(table.name(), m.version()));
    return l;
  }

  /**
   * The guard's error (lock busy, or the migration recorded meanwhile: nothing changed) as a
   * MigrationException whose cause says which, or null for any other error.
   */
  static MigrationException guardStop(SQLException e) {
    return guardState(e) == null ? null : new MigrationException(ExitCode.LOCK_TIMEOUT, serverMessage(e), e);
  }

  private static String guardState(Throwable t) {
    String state = t instanceof SQLException e ? e.getSQLState() : null;
    return AdvisoryLock.BUSY.equals(state) || AdvisoryLock.ALREADY_RECORDED.equals(state) ? state : null;
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
    AdvisoryLock.Wait wait = lock.new Wait(lockTimeout, () -> interruptedBy != null);
    List<MigrationSource.Migration> pending;
    conn.setAutoCommit(false); // look again, and create or upgrade _migrations, under the lock, in one transaction
    try {
      while (true) {
        try (Statement st = conn.createStatement()) { for (String set : transactionSettings) st.execute(set); }
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
          String state = guardState(stopped.getCause());
          if (state == null) throw stopped;
          if (state.equals(AdvisoryLock.BUSY)) pause(wait); // else: recorded meanwhile, plan again
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
    List<String> noTx = pending.stream().filter(m -> !m.transactional()).map(MigrationSource.Migration::fileName).toList();
    if (!noTx.isEmpty()) refuseThroughPooler(String.join(", ", noTx) + (noTx.size() == 1 ? " runs" : " run") + " without a transaction");
  }

  /** Stops, before any lock, what needs one database session throughout when connected through a pooler. */
  private void refuseThroughPooler(String what) {
    if (pooler == null) return;
    throw new MigrationException(ExitCode.POOLER, what + ", which needs one database session throughout, but " + pooler
        + " is a connection pooler (PgBouncer or similar) that may switch sessions between transactions; nothing was changed:"
        + " run it against PostgreSQL directly, e.g. MIGRATE_DATABASE_URL set to the server's own address (Azure: port 5432, not 6432)");
  }

  // ------------------------------------------------------------ interrupts and lost connections

  private volatile String interruptedBy; // "SIGTERM", "SIGINT"
  private volatile int interruptCode;

  /** From a signal handler: stop at the next boundary, cancelling the statement running now. */
  void interrupt(String signal, int exitCode) {
    interruptCode = exitCode;
    interruptedBy = signal;
    if (busy) {
      try { conn.unwrap(org.postgresql.PGConnection.class).cancelQuery(); } catch (SQLException ignored) { /* it finished meanwhile */ }
    }
  }

  String interruptedBy() { return interruptedBy; }
  int interruptCode() { return interruptCode; }

  /** A failure that came with (or from) an interrupt, as one line that says what the run did. */
  MigrationException interruptedFailure(String detail, Throwable cause) {
    return new MigrationException(interruptCode, "interrupted by " + interruptedBy + (detail == null ? "" : " (" + detail + ")")
        + committedSoFar() + (appliedNow.isEmpty() ? "" : "; run `migrate up` again to apply the rest"), cause);
  }

  private void acquireLock() throws SQLException {
    if (interruptedBy != null) throw interrupted(null);
    try {
      lock.acquire(lockTimeout, () -> interruptedBy != null);
    } catch (MigrationException e) {
      if (interruptedBy != null) throw interrupted(null);
      throw e;
    }
  }

  /** The message when a signal stopped the run: what committed, what did not, what next. */
  MigrationException interrupted(MigrationSource.Migration during) {
    String what = during == null ? "" : " before " + during.fileName() + " committed: it was rolled back, not applied";
    return new MigrationException(interruptCode, "interrupted by " + interruptedBy + what + committedSoFar()
        + "; run `migrate up` again to apply the rest");
  }

  private String committedSoFar() {
    return appliedNow.isEmpty() ? "; this run applied nothing"
        : "; this run applied " + appliedNow.size() + " (the last: " + appliedNow.get(appliedNow.size() - 1) + ")";
  }

  boolean connectionLost(SQLException e) {
    String state = String.valueOf(e.getSQLState());
    try {
      return state.startsWith("08") || state.startsWith("57P0") || conn.isClosed();
    } catch (SQLException closed) {
      return true;
    }
  }

  /** After the connection died mid-run: asks a second connection which of the run committed, and says so. */
  MigrationException lost(List<MigrationSource.Migration> run, SQLException e) {
    String why = serverMessage(e);
    Map<Integer, MigrationTable.Row> rows;
    try (Connection c = reconnect == null ? null : reconnect.call()) {
      if (c == null) throw new SQLException("no way to reconnect");
      rows = MigrationTable.read(c, table.name(), source).ours();
    } catch (Exception again) {
      return new MigrationException(ExitCode.FAILED, "lost the connection to the database during " + run.get(0).fileName()
          + (run.size() > 1 ? " .. " + run.get(run.size() - 1).fileName() : "") + " (" + why + ") and cannot reconnect to see what"
          + " committed" + committedSoFar() + "; when the database is back, `migrate status` shows it; then run `migrate up`", e);
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
    return new MigrationException(ExitCode.FAILED, "lost the connection to the database (" + why + ")"
        + (first == null ? " after the last migration committed" : " during " + first.fileName() + ": it did not commit")
        + committedSoFar() + "; run `migrate up` again to apply the rest", e);
  }

  /** Another runner recorded this migration while this one applied it: the lock did not hold. */
  MigrationException collision(MigrationSource.Migration m, SQLException e) {
    if (!(e instanceof PSQLException pe) || pe.getServerErrorMessage() == null) return null;
    ServerErrorMessage s = pe.getServerErrorMessage();
    if (!"23505".equals(s.getSQLState()) || !TABLE.equals(s.getTable())) return null;
    for (var d : m.kodiai())
      if (String.valueOf(s.getDetail()).contains("=(" + d.file() + ")"))
        return new MigrationException(ExitCode.FAILED, m.fileName() + " was rolled back (nothing lost): kodiai's"
            + " runner recorded "
            + d.file() + ", which it carries, while it ran (the bot started meanwhile?); run `migrate up` again: it"
            + " converts"
            + " kodiai's objects (" + KodiaiFiles.FROM_KODIAI + "/" + d.file() + ") or says what is missing", e);
    return new MigrationException(ExitCode.FAILED, m.fileName() + " was recorded by another runner while this one applied it"
        + " (rolled back here, nothing lost): two runners worked at once, so the migration lock did not hold (a transaction"
        + " pooler such as PgBouncer does not keep session advisory locks; connect directly); run `migrate status`", e);
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

  /** The recorded migrations by version (see MigrationTable). */
  Map<Integer, MigrationTable.Row> readRows() throws SQLException { return table.read(); }
}
