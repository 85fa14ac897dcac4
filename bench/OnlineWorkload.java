// Shared source of the bench command (//SOURCES bench/OnlineWorkload.java): a bot-like reader and
// writer that keep using a database while migrations run, and a monitor that records how long any
// of their statements waited for a lock. `bench online` and OnlineMigrationsTest use it: no
// migration may make the bot wait more than 2 s (docs/migrate.md, "Online migrations").
//
// The statements are the bot's kinds, valid at every version from 001 on: kodiai's nearest-memory
// query (retrieval/KodiaiQueries.java), a memory written with a '[...]'::vector literal, a stale flag
// flipped, reviews and findings inserted and read, a feedback lookup by title, the JSON tables read.
// Each session sets the bot's lock_timeout; a fresh connection now and then (the bot's pool opens
// them) catches anything that blocks logins.

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

final class OnlineWorkload implements AutoCloseable {
  static final String APPLICATION = "kodiai-bot-sim";

  /** What happened during one phase: the longest lock wait seen, statements run, errors. */
  static final class Phase {
    volatile double maxLockWaitMs, maxReadMs, maxWriteMs;
    volatile long reads, writes;
    final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
  }

  private final String url, lockTimeout, repo, vector;
  private final long maxId;
  private final Map<String, Phase> phases = new ConcurrentHashMap<>();
  private final List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile Phase current;
  private volatile boolean stop;
  private final List<Thread> threads = new ArrayList<>();

  /** Starts the reader, the writer and the monitor. `repo`: a small repo the reader asks about; `maxId`: memory ids
   * to touch. */
  OnlineWorkload(String url, String lockTimeout, String repo, long maxId) {
    this.url = url;
    this.lockTimeout = lockTimeout;
    this.repo = repo;
    this.maxId = Math.max(1, maxId);
    StringBuilder v = new StringBuilder("[");
    SplittableRandom r = new SplittableRandom(11);
    for (int i = 0; i < 1024; i++) v.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.5f",
        r.nextDouble() - 0.5));
    this.vector = v.append(']').toString();
    phase("start");
    threads.add(new Thread(() -> loop(true), "online-reader"));
    threads.add(new Thread(() -> loop(false), "online-writer"));
    threads.add(new Thread(this::monitor, "online-monitor"));
    threads.forEach(Thread::start);
  }

  /** From now on, what the workload sees is recorded under `name`. */
  void phase(String name) {
    Phase p = phases.computeIfAbsent(name, k -> new Phase());
    if (!order.contains(name)) order.add(name);
    current = p;
  }

  Phase get(String name) { return phases.get(name); }

  List<String> phases() { return List.copyOf(order); }

  @Override public void close() throws InterruptedException {
    stop = true;
    for (Thread t : threads) t.join(30_000);
  }

  private Connection open() throws SQLException {
    DbClient.Settings s = DbClient.Settings.fromEnv(Map.of());
    s.applicationName = APPLICATION;
    Connection c = DbClient.open(DbClient.parse(url), s);
    try (Statement st = c.createStatement()) { st.execute("SET lock_timeout = '" + lockTimeout + "'"); }
    return c;
  }

  private void loop(boolean reader) {
    SplittableRandom r = new SplittableRandom(reader ? 1 : 2);
    Connection c = null;
    for (long n = 0; !stop; n++) {
      Phase p = current;
      try {
        // a new connection now and then, as a pool does
        if (c == null || n % 25 == 0) { if (c != null) c.close(); c = open(); }
        long t0 = System.nanoTime();
        if (reader) read(c, r, n); else write(c, r, n);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (reader) {
          p.reads++;
          p.maxReadMs = Math.max(p.maxReadMs, ms);
        } else {
          p.writes++;
          p.maxWriteMs = Math.max(p.maxWriteMs, ms);
        }
        Thread.sleep(5);
      } catch (SQLException e) {
        p.errors.add((reader ? "read: " : "write: ") + e.getSQLState() + " " + DbClient.firstLine(e.getMessage()));
        try { if (c != null) c.close(); } catch (SQLException ignored) { /* reopened next round */ }
        c = null;
      } catch (InterruptedException e) {
        return;
      }
    }
    try { if (c != null) c.close(); } catch (SQLException ignored) { /* done */ }
  }

  private void read(Connection c, SplittableRandom r, long n) throws SQLException {
    switch ((int) (n % 4)) {
      case 0 -> query(c, KodiaiQueries.RETRIEVE_MEMORIES, vector, repo, vector, 10);
      case 1 -> query(c, "SELECT id, severity FROM findings WHERE file_path = ? LIMIT 20", "src/f" + r.nextInt(500)
          + ".ts");
      case 2 -> query(c, "SELECT count(*) FROM feedback_reactions WHERE repo = ? AND title = ?", "acme/r"
          + r.nextInt(20), "t" + r.nextInt(200));
      default -> query(c,
          "SELECT (SELECT count(*) FROM (SELECT 1 FROM reviews WHERE repo = ? ORDER BY created_at DESC LIMIT 5) x),"
          + " (SELECT count(*) FROM dep_bump_merge_history WHERE repo = ?), (SELECT count(*) FROM"
              + " review_checkpoints WHERE repo = ?)",
          "acme/r1", "acme/r1", "acme/r1");
    }
  }

  private void write(Connection c, SplittableRandom r, long n) throws SQLException {
    switch ((int) (n % 4)) {
      case 0 -> update(c,
          "INSERT INTO learning_memories (repo, owner, finding_id, review_id, source_repo, finding_text, severity,"
          + " category, file_path, outcome, embedding_model, embedding_dim, stale, embedding) VALUES (?,"
              + " 'online', ?, NULL, ?,"
          + " 'a memory written while migrating', 'minor', 'style', 'src/a.ts', 'accepted', 'voyage-code-3',"
              + " 1024, false, ?::vector)"
          + " ON CONFLICT (repo, finding_id, outcome) DO NOTHING", repo, 9_000_000_000L + n, repo, vector);
      case 1 -> update(c, "UPDATE learning_memories SET stale = NOT stale WHERE id = ?", 1 + r.nextLong(maxId));
      case 2 -> update(c,
          "WITH rv AS (INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/r1', ?,"
              + " '{\"online\": true}'::jsonb)"
          + " RETURNING id) INSERT INTO findings (review_id, file_path, severity, category, confidence, title)"
          + " SELECT id, 'src/online.ts', 'minor', 'style', 50, 'written while migrating' FROM rv",
              (int) (n % 100_000));
      default -> update(c, "UPDATE findings SET suppressed = NOT suppressed WHERE id = (SELECT max(id) FROM findings)");
    }
  }

  private static void query(Connection c, String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) ps.setObject(i + 1, values[i]);
      try (ResultSet rs = ps.executeQuery()) { while (rs.next()) { /* read every row */ } }
    }
  }

  private static void update(Connection c, String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) ps.setObject(i + 1, values[i]);
      ps.executeUpdate();
    }
  }

  /**
   * The knowledge tables the migrations touch, filled in proportion to `memories` (for 1,000,000 memories: 100,000
   * reviews, 500,000 findings, 50,000 feedback reactions, 10,000 dependency bumps and checkpoints), at version 001.
   * Some JSON is double-encoded (004 repairs it) and some findings are suppressed.
   */
  static void fillKnowledge(Connection c, long memories) throws SQLException {
    long reviews = Math.max(10, memories / 10), findings = Math.max(50, memories / 2), small = Math.max(10,
        memories / 100);
    try (Statement st = c.createStatement()) {
      st.execute("INSERT INTO reviews (repo, pr_number, config_snapshot) SELECT 'acme/r' || (g % 20), g,"
          + " CASE WHEN g % 50 = 0 THEN to_jsonb('{\"a\": 1}'::text) ELSE '{\"a\": 1}'::jsonb END FROM"
              + " generate_series(1, " + reviews + ") g");
      st.execute("INSERT INTO findings (review_id, file_path, severity, category, confidence, title, suppressed)"
          + " SELECT 1 + g % " + reviews
              + ", 'src/f' || (g % 500) || '.ts', 'minor', 'style', 50, 't' || (g % 200), g % 9 = 0"
          + " FROM generate_series(1, " + findings + ") g");
      st.execute("INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface,"
          + " reaction_id,"
          + " reaction_content, reactor_login, severity, category, file_path, title) SELECT 'acme/r' || (g %"
              + " 20), 1 + g % " + reviews
          + ", g, g, 'review', 5000000000 + g, '+1', 'u', 'minor', 'style', 'src/a.ts', 't' || (g % 200)"
          + " FROM generate_series(1, " + small * 5 + ") g");
      st.execute("INSERT INTO dep_bump_merge_history (repo, pr_number, signals_json, merge_confidence_rationale_json)"
          + " SELECT 'acme/r' || (g % 20), g, CASE WHEN g % 10 = 0 THEN to_jsonb('[\"s\"]'::text) ELSE"
              + " '[\"s\"]'::jsonb END,"
          + " '[\"r\"]'::jsonb FROM generate_series(1, " + small + ") g");
      st.execute("INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data)"
          + " SELECT 'k' || g, 'acme/r' || (g % 20), g, '{\"files\": []}'::jsonb FROM generate_series(1, " + small
              + ") g");
      st.execute("ANALYZE");
    }
  }

  /** Every 20 ms: the longest a workload statement has been waiting for a lock (its query started, now waiting on a
   * Lock). */
  private void monitor() {
    try (Connection c = DbClient.open(url); PreparedStatement ps = c.prepareStatement("SELECT"
        + " coalesce(max(extract(epoch FROM"
        + " clock_timestamp() - query_start)) * 1000, 0) FROM pg_stat_activity WHERE application_name = ? AND"
            + " wait_event_type = 'Lock'")) {
      ps.setString(1, APPLICATION);
      while (!stop) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          Phase p = current;
          p.maxLockWaitMs = Math.max(p.maxLockWaitMs, rs.getDouble(1));
        }
        Thread.sleep(20);
      }
    } catch (SQLException | InterruptedException e) {
      if (!stop) current.errors.add("monitor: " + e.getMessage());
    }
  }
}
