// Shared source of `bench adopt`: watches the migration runner's backend while `up` adopts a kodiai-built
// database. Every 10 ms it reads pg_stat_activity and pg_locks: the statement the runner is on (labelled with the
// migration that runs it, known from the runner's "applied ..." lines), how long it has been running, and the
// tables on which the runner holds ACCESS EXCLUSIVE and since when. The bot-like workload's phase follows the
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
      + "  AND r.relkind IN ('r', 'p'))"
      + " FROM pg_stat_activity a WHERE a.application_name = ? AND a.pid <> pg_backend_pid()";

  /** One statement of the runner as seen: its label, longest running time, longest hold and on which table. */
  static final class Seen {
    final String label;
    double seconds, maxHoldMs;
    String heldOn = "";
    Seen(String label) { this.label = label; }
  }

  private final String url;
  private final OnlineWorkload workload;
  private final List<String> order;           // the migrations `up` may run, in order
  private volatile String running = "";       // the one running now
  private final Map<String, Seen> seen = new LinkedHashMap<>();
  private final Map<String, Long> holdSince = new HashMap<>();

  AdoptSampler(String url, OnlineWorkload workload, List<String> migrationFiles) {
    this.url = url;
    this.workload = workload;
    this.order = List.copyOf(migrationFiles);
    this.running = order.isEmpty() ? "" : order.get(0);
  }

  /** What the runner prints: each "applied F ..." line moves `running` to the migration after F. */
  PrintStream runnerOutput(PrintStream echo) {
    return new PrintStream(new OutputStream() {
      private final StringBuilder line = new StringBuilder();
      @Override public void write(int b) {
        if (b != '\n') { line.append((char) b); return; }
        String l = line.toString();
        line.setLength(0);
        echo.println("  " + l);
        if (l.startsWith("applied ")) {
          String f = l.substring("applied ".length()).split(" ")[0];
          int i = order.indexOf(f);
          if (i >= 0 && i + 1 < order.size()) running = order.get(i + 1);
        }
      }
    }, true, StandardCharsets.UTF_8);
  }

  @Override public void run() {
    try (Connection c = DbClient.open(url); PreparedStatement ps = c.prepareStatement(SAMPLE)) {
      ps.setString(1, APPLICATION);
      while (!Thread.currentThread().isInterrupted()) {
        sampleOnce(ps);
        Thread.sleep(10);
      }
    } catch (SQLException | InterruptedException e) {
      // the run is over (or the sampler's connection went): nothing more to sample
    }
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
          s = seen.computeIfAbsent(key, k -> new Seen(running + ": " + firstCodeLine(query)));
        }
        workload.phase(s.label);
        if ("active".equals(rs.getString(2))) s.seconds = Math.max(s.seconds, rs.getDouble(5) / 1000);
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

  /** The statements seen, in order. */
  List<Seen> seen() {
    synchronized (seen) { return new ArrayList<>(seen.values()); }
  }

  /** The first line of a statement that is neither a comment nor a SET, cut at 60 characters. */
  static String firstCodeLine(String sql) {
    String first = "";
    for (String l : sql.split("\n")) {
      String t = l.strip();
      if (t.isEmpty() || t.startsWith("--")) continue;
      if (first.isEmpty()) first = t;
      if (!t.regionMatches(true, 0, "SET ", 0, 4)) { first = t; break; }
    }
    return first.length() > 60 ? first.substring(0, 60) : first;
  }
}
