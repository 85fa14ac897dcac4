// Shared source of `bench adopt`: watches the migration runner's backend while `up` adopts a kodiai-built
// database. Every 10 ms it reads pg_stat_activity and pg_locks: the statement the runner is on (labelled with the
// migration that runs it: the one after the last that `_migrations` records applied), how long it has been running,
// and the tables on which the runner holds ACCESS EXCLUSIVE and since when. The bot-like workload's phase follows the
// statement, so each statement gets the bot's longest lock wait while it ran. A hold shorter than the sampling
// interval may read as 0.

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class AdoptSampler implements Runnable {
  /** The runner's application_name, so the sampler tells its backend from the bot's. */
  static final String APPLICATION = "kodiai-db-adopt-bench";
  private static final String SAMPLE = "SELECT a.pid, a.state, a.query, a.query_start::text,"
      + " extract(epoch FROM clock_timestamp() - a.query_start) * 1000, a.xact_start::text,"
      + " (SELECT string_agg(l.relation::regclass::text, ',') FROM pg_locks l JOIN pg_class r ON r.oid = l.relation"
      + "  WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted"
      + "  AND r.relkind IN ('r', 'p')),"
      // every lock it holds on a table of the schema (not the catalog's, not its own temporary tables): the strongest
      + " (SELECT string_agg(l.mode || ' ' || l.relation::regclass::text, ',') FROM pg_locks l"
      + "  JOIN pg_class r ON r.oid = l.relation WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.granted"
      + "  AND r.relkind IN ('r', 'p') AND r.relpersistence = 'p' AND r.relnamespace <> 'pg_catalog'::regnamespace)"
      + " FROM pg_stat_activity a WHERE a.application_name = ? AND a.pid <> pg_backend_pid()"
      // a parallel index build's or scan's workers carry the runner's name and statement: one statement, one line
      + " AND a.backend_type = 'client backend'";

  /** One statement of the runner as seen: its label, longest running time, longest hold and on which table. */
  static final class Seen {
    final String label;
    double seconds, maxHoldMs;
    String heldOn = "";
    String strongest = "", strongestOn = "";  // the strongest table lock seen held, and on which table
    Seen(String label) { this.label = label; }
  }

  private final String url;
  private final OnlineWorkload workload;
  private final List<MigrationSource.Migration> order;  // the migrations `up` may run, by version
  private volatile String running;                       // the one running now
  private final Map<String, Seen> seen = new LinkedHashMap<>();
  private final Map<String, Long> holdSince = new HashMap<>();

  AdoptSampler(String url, OnlineWorkload workload, List<MigrationSource.Migration> migrations) {
    this.url = url;
    this.workload = workload;
    this.order = List.copyOf(migrations);
    this.running = order.isEmpty() ? "" : order.get(0).fileName();
  }

  /** The runner's output, indented under the bench's. */
  PrintStream runnerOutput(PrintStream echo) {
    return new PrintStream(new OutputStream() {
      private final StringBuilder line = new StringBuilder();
      @Override public void write(int b) {
        if (b != '\n') { line.append((char) b); return; }
        echo.println("  " + line);
        line.setLength(0);
      }
    }, true, StandardCharsets.UTF_8);
  }

  @Override public void run() {
    try (Connection c = DbClient.open(url); PreparedStatement ps = c.prepareStatement(SAMPLE)) {
      ps.setString(1, APPLICATION);
      while (!Thread.currentThread().isInterrupted()) {
        running = next(c);
        sampleOnce(ps);
        Thread.sleep(10);
      }
    } catch (SQLException | InterruptedException e) {
      // the run is over (or the sampler's connection went): nothing more to sample
    }
  }

  /**
   * The migration after the last one `_migrations` records applied (visible as soon as it commits, whatever the
   * runner has printed); while the table is still kodiai's (no version column yet), the first.
   */
  private String next(Connection c) {
    int last = 0;
    try (var st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT coalesce(max(version), 0) FROM _migrations WHERE status = 'applied'")) {
      if (rs.next()) last = rs.getInt(1);
    } catch (SQLException e) {
      return running; // not ours yet
    }
    for (MigrationSource.Migration m : order) if (m.version() > last) return m.fileName();
    return "after " + order.get(order.size() - 1).fileName();
  }

  private void sampleOnce(PreparedStatement ps) throws SQLException {
    long t = System.nanoTime();
    Map<String, Long> now = new HashMap<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String query = rs.getString(3);
        if (query == null || query.isBlank()) continue;
        String key = rs.getInt(1) + " " + rs.getString(4);
        Seen s;
        synchronized (seen) {
          s = seen.computeIfAbsent(key, k -> new Seen(label(query)));
        }
        workload.phase(s.label);
        if ("active".equals(rs.getString(2))) s.seconds = Math.max(s.seconds, rs.getDouble(5) / 1000);
        strongest(s, rs.getString(8));
        String held = rs.getString(7);
        if (held == null) continue;
        for (String table : held.split(",")) {
          String h = rs.getInt(1) + " " + table + " " + rs.getString(6);
          long first = holdSince.getOrDefault(h, t);
          now.put(h, first);
          double ms = (t - first) / 1e6;
          if (ms > s.maxHoldMs) { s.maxHoldMs = ms; s.heldOn = table; }
        }
      }
    }
    holdSince.clear();
    holdSince.putAll(now);
  }

  /** PostgreSQL's table lock modes, weakest first (each conflicts with more of the others than the one before). */
  static final List<String> MODES = List.of("AccessShareLock", "RowShareLock", "RowExclusiveLock",
      "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock");

  /** Keeps in `s` the strongest of `locks` ("Mode table,Mode table", as sampled) and of what it had. */
  static void strongest(Seen s, String locks) {
    if (locks == null) return;
    for (String l : locks.split(",")) {
      String[] modeAndTable = l.split(" ", 2);
      if (MODES.indexOf(modeAndTable[0]) > MODES.indexOf(s.strongest)) {
        s.strongest = modeAndTable[0];
        s.strongestOn = modeAndTable.length > 1 ? modeAndTable[1] : "";
      }
    }
  }

  /** The statements seen, in order. */
  List<Seen> seen() {
    synchronized (seen) { return new ArrayList<>(seen.values()); }
  }

  /**
   * "<migration>: <first line>": the migration from the header a whole file sent at once carries (`-- 068: ...`,
   * `-- from-kodiai 001 ...`), else the one running by the runner's output (a statement of a no-transaction file:
   * those print "applied" as soon as they commit; transactional ones may print later, after a flush).
   */
  String label(String sql) {
    java.util.regex.Matcher h = HEADER.matcher(sql);
    return (h.find() ? h.group(1) : running) + ": " + firstCodeLine(sql);
  }

  private static final java.util.regex.Pattern HEADER =
      java.util.regex.Pattern.compile("(?m)^-- ((?:from-kodiai )?\\d{3})\\b");

  /** The first line of a statement that is not a comment, BEGIN or SET, cut at 60 characters. */
  static String firstCodeLine(String sql) {
    String first = "";
    for (String l : sql.split("\n")) {
      String t = l.strip();
      if (t.isEmpty() || t.startsWith("--")) continue;
      if (first.isEmpty()) first = t;
      if (!t.regionMatches(true, 0, "SET ", 0, 4) && !t.regionMatches(true, 0, "BEGIN", 0, 5)) { first = t; break; }
    }
    return first.length() > 60 ? first.substring(0, 60) : first;
  }
}
