// Shared source: applies consecutive transactional migrations in few round trips, and says
// exactly which file and line failed. Each migration travels as
//   BEGIN; <session reset>; [through a pooler: SET LOCAL limits; the guard];
//   SET LOCAL synchronous_commit = off; <its statements>;
//   <back to the runner's role>; INSERT its _migrations row; COMMIT
// in simple-protocol messages, several small migrations per message. The server stops a
// message at the first error: earlier migrations stay committed, the failing one is rolled
// back whole, later ones never run.
//
// Why messages are bounded (MAX_STATEMENTS): pgjdbc appends each statement's result to a list
// that it walks from the start every time, so one message of n statements costs n^2 on the
// client (160,000 INSERTs in one file took 45 s, 600,000 over 10 minutes). A migration larger
// than a message continues in the next ones, inside its still open transaction.
//
// Why a message never mixes the tail of a big migration with other migrations: the server
// parses a whole message before running any of it, so a syntax error rejects all of it. When
// the error's position lies in a later migration than the first uncommitted one, none of the
// message ran; the migrations before the bad one are sent again (they never ran, so nothing
// runs twice) and the bad one is reported with its line. Errors without a position (a timeout,
// a check at commit) name the file only: the runner never runs user SQL twice to find a line.


import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

final class Batch {
  /**
   * What a Batch needs of the runner (Migrator), and nothing more: the connection's session and
   * messages, the run's record of what committed, and the failures it turns SQL errors into.
   */
  interface Runner {
    MigrationSource source();

    /** SQL that returns the session to the runner's state (statements separated by ";\n"). */
    String sessionReset() throws SQLException;

    /** What each migration's transaction runs after the session reset (through a pooler: limits, the guard). */
    List<String> transactionPrelude(MigrationSource.Migration m) throws SQLException;

    /** The statements that record m in its transaction; `executionMs`: an SQL expression. */
    List<String> recordStatements(MigrationSource.Migration m, String executionMs) throws SQLException;

    /** Sends one simple-protocol message. */
    void execute(String sql) throws SQLException;

    /** How many statements of the last message completed (before its error, if it failed). */
    int completed();

    /** How long each of `ms` took, by version, as recorded in _migrations (those committed only). */
    Map<Integer, Integer> durations(List<MigrationSource.Migration> ms) throws SQLException;

    /** m committed, taking `ms`. */
    void applied(MigrationSource.Migration m, int ms);

    /** The last commit was synchronous: everything before it is on disk. */
    void flushed();

    void rollbackQuietly();

    /** The signal that stops the run, or null. */
    String interruptedBy();

    MigrationException interrupted(MigrationSource.Migration during);

    boolean connectionLost(SQLException e);

    MigrationException lost(List<MigrationSource.Migration> run, SQLException e);

    /** Through a pooler: the guard stopped the transaction (kind Guard); else null. */
    MigrationException guardStop(SQLException e);

    /** Another runner recorded m meanwhile (kind Collision); else null. */
    MigrationException collision(MigrationSource.Migration m, SQLException e);
  }

  /** At most this many statements per message, unless one migration's own fixed part is more. */
  static final int MAX_STATEMENTS = 10_000;
  /** And about this much SQL: a message may grow past it by one statement. */
  static final int MAX_CHARS = 1 << 20;

  /**
   * Where a statement starts in a message, in characters as the server counts them (code points);
   * statement null: the runner's own.
   */
  private record Placed(MigrationSource.Migration migration, MigrationSource.Statement statement, long offset) {}

  /** One message: whole migrations, or a slice of one big migration. */
  private static final class Message {
    final StringBuilder sql = new StringBuilder();
    final List<Placed> placed = new ArrayList<>();
    final List<MigrationSource.Migration> begun = new ArrayList<>();     // whose BEGIN is in this message
    final List<MigrationSource.Migration> committed = new ArrayList<>(); // whose COMMIT is in this message
    final List<Integer> commitAt = new ArrayList<>();                     // and at which statement
    long codePoints;
    int statements;

    void add(MigrationSource.Migration m, String statement) { add(statement, m, null); }

    void add(String statement, MigrationSource.Migration m, MigrationSource.Statement st) {
      placed.add(new Placed(m, st, codePoints));
      // "\n;\n" after each statement: a statement may end in a line comment.
      sql.append(statement).append("\n;\n");
      codePoints += statement.codePointCount(0, statement.length()) + 3;
      statements++;
    }

    boolean full(int more, long moreChars) {
      return statements + more > MAX_STATEMENTS || sql.length() + moreChars > MAX_CHARS;
    }
  }

  private final Runner runner;

  Batch(Runner runner) { this.runner = runner; }

  /**
   * Applies `run` (transactional migrations, in order). Every commit but the last of the whole
   * `up` skips the wait for its WAL flush: WAL is sequential, so that last synchronous commit
   * makes all earlier ones durable too (a crash in between loses a suffix of whole migrations,
   * each with its row: they are simply pending again). Returns the last commit left unflushed.
   */
  void apply(List<MigrationSource.Migration> run, boolean endsTheUp) throws SQLException {
    for (Message msg : messages(run, endsTheUp)) {
      if (runner.interruptedBy() != null) { // between two messages (a big migration's transaction may be open)
        runner.rollbackQuietly();
        Map<Integer, Integer> done = runner.durations(run);
        throw runner.interrupted(run.stream().filter(m -> !done.containsKey(m.version())).findFirst().orElse(null));
      }
      try {
        runner.execute(msg.sql.toString());
      } catch (SQLException e) {
        throw failed(run, msg, e);
      }
      Map<Integer, Integer> done = runner.durations(msg.committed);
      for (var m : msg.committed) runner.applied(m, done.getOrDefault(m.version(), 0));
    }
    if (endsTheUp) runner.flushed(); // the last commit was synchronous: everything before it is on disk
  }

  private List<Message> messages(List<MigrationSource.Migration> run, boolean endsTheUp) throws SQLException {
    List<Message> out = new ArrayList<>();
    Message cur = new Message();
    List<String> reset = List.of(runner.sessionReset().split(";\n"));
    for (int k = 0; k < run.size(); k++) {
      MigrationSource.Migration m = run.get(k);
      List<MigrationSource.Statement> body = runner.source().statements(m.sql());
      List<String> prelude = runner.transactionPrelude(m); // through a pooler: limits and the guard (Migrator)
      int fixed = reset.size() + prelude.size() + 9 + m.kodiai().size();
      if (cur.statements > 0 && cur.full(body.size() + fixed, m.sql().length())) { out.add(cur); cur = new Message(); }
      // too big for one message: it gets messages of its own
      boolean spans = cur.full(body.size() + fixed, m.sql().length());
      cur.begun.add(m);
      cur.add(m, "BEGIN");
      for (String r : reset) cur.add(m, r); // the session as the runner left it, whatever earlier migrations changed
      for (String p : prelude) cur.add(m, p);
      // The last commit waits for its WAL flush whatever the database's default says; the others need not.
      cur.add(m, "SET LOCAL synchronous_commit = " + (endsTheUp && k == run.size() - 1 ? "on" : "off"));
      cur.add(m, "SELECT pg_catalog.set_config('kodiai_migrate.started_at', pg_catalog.clock_timestamp()::text, true)");
      for (MigrationSource.Statement st : body) {
        if (cur.full(1, st.sql().length())) { out.add(cur); cur = new Message(); }
        cur.add(st.sql(), m, st);
      }
      // Recorded as the runner, wherever the migration left role and search_path.
      for (String r : Migrator.AS_RUNNER.split(";\n")) cur.add(m, r);
      // Its row, and its rows for kodiai's runner (Migrator.recordStatements).
      for (String r : runner.recordStatements(m, "(extract(epoch FROM pg_catalog.clock_timestamp()"
          + " - nullif(pg_catalog.current_setting('kodiai_migrate.started_at', true), '')::timestamptz) *"
          + " 1000)::int")) cur.add(m, r);
      cur.committed.add(m);
      cur.commitAt.add(cur.statements);
      cur.add(m, "COMMIT");
      if (spans) { out.add(cur); cur = new Message(); }
    }
    if (cur.statements > 0) out.add(cur);
    return out;
  }

  /**
   * What went wrong, where: the failing file and line, and what committed before it. The server
   * answered each statement before the failing one, so their count says which one failed.
   */
  private MigrationException failed(List<MigrationSource.Migration> run, Message msg, SQLException e)
      throws SQLException {
    int completed = runner.completed();
    if (runner.connectionLost(e)) return runner.lost(run, e);
    runner.rollbackQuietly(); // ends the failed transaction block, if any
    List<MigrationSource.Migration> committed = new ArrayList<>();
    for (int i = 0; i < msg.committed.size(); i++)
      if (msg.commitAt.get(i) < completed) committed.add(msg.committed.get(i));
    Map<Integer, Integer> ms = runner.durations(committed);
    for (var m : committed) runner.applied(m, ms.getOrDefault(m.version(), 0));
    Placed failing = completed < msg.placed.size() ? msg.placed.get(completed) : null;
    if (runner.interruptedBy() != null) return runner.interrupted(failing == null ? null : failing.migration());
    // through a pooler: lock busy or migration recorded meanwhile; nothing changed
    MigrationException stop = runner.guardStop(e);
    if (stop != null) return stop;
    if (failing == null) // everything in the message ran; the failure came after it
      return new MigrationException(new MigrationException.AfterApplying(run.get(run.size() - 1).fileName(),
          e.getSQLState(), Migrator.serverMessage(e)), e);
    MigrationSource.Migration m = failing.migration();
    MigrationException collision = runner.collision(m, e);
    if (collision != null) return collision;

    int pos = PgWire.position(e);
    Placed byPosition = null; // the statement the error position points into, if any
    int at = -1;
    for (int i = 0; i < msg.placed.size() && msg.placed.get(i).offset() < pos; i++) {
      byPosition = msg.placed.get(i);
      at = i;
    }
    if (byPosition != null && at > completed && byPosition.statement() != null && msg.begun.contains(m)
        && msg.begun.contains(byPosition.migration())) {
      // A syntax error: the server parses a whole message first, and rejected all of it.
      // Apply what came before the bad file.
      apply(run.subList(run.indexOf(m), run.indexOf(byPosition.migration())), false);
      return located(byPosition, pos, e);
    }
    if (failing.statement() != null) return located(failing, failing == byPosition ? pos : 0, e);
    return new MigrationException(
        new MigrationException.CommitFailed(m.fileName(), e.getSQLState(), Migrator.serverMessage(e)), e);
  }

  /** The file and line of a server error position that falls in `hit`. */
  private static MigrationException located(Placed hit, int pos, SQLException e) {
    String sql = hit.statement().sql();
    long into = pos <= 0 ? 0 : Math.max(0, pos - 1 - hit.offset()); // code points into the statement
    int end = into >= sql.codePointCount(0, sql.length()) ? sql.length() : sql.offsetByCodePoints(0, (int) into);
    int line = hit.statement().line();
    for (int i = 0; i < end; i++) if (sql.charAt(i) == '\n') line++;
    return new MigrationException(new MigrationException.StatementFailed(hit.migration().runsFile(), line,
        e.getSQLState(), Migrator.serverMessage(e)), e);
  }
}
