// Shared source (//SOURCES bench/BenchImportFiles.java; used by `bench import` and the import
// tests): kodiai SQLite files made the way the bot makes them: its stores' DDL (CREATE TABLE
// IF NOT EXISTS, later columns added by ALTER TABLE ... ADD COLUMN), WAL mode, and the
// learning store's vec0 table created and filled through the real sqlite-vec extension
// (vec0.so from npm, fetched by scripts/fetch-sqlite-vec.sh; $KODIAI_SQLITE_VEC overrides).
// sqlite-jdbc is pinned in importer/SqliteSource.java, which bench and the tests source too.

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.sqlite.SQLiteConfig;

final class BenchImportFiles {
  private BenchImportFiles() {}

  /** Which version of the stores wrote the file. */
  enum Shape {
    CURRENT,   // every table and column of source-schema.md
    OLDEST,    // only the first tables, without the columns later upgrade steps added
    FAIL_OPEN  // current, but the learning store never created its tables (no sqlite-vec)
  }

  // ------------------------------------------------------------------------------ DDL

  static final List<String> KNOWLEDGE_OLDEST = List.of(
      """
      CREATE TABLE IF NOT EXISTS reviews (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        repo TEXT NOT NULL, pr_number INTEGER NOT NULL, head_sha TEXT, delivery_id TEXT,
        files_analyzed INTEGER NOT NULL DEFAULT 0, lines_changed INTEGER NOT NULL DEFAULT 0,
        findings_critical INTEGER NOT NULL DEFAULT 0, findings_major INTEGER NOT NULL DEFAULT 0,
        findings_medium INTEGER NOT NULL DEFAULT 0, findings_minor INTEGER NOT NULL DEFAULT 0,
        findings_total INTEGER NOT NULL DEFAULT 0, suppressions_applied INTEGER NOT NULL DEFAULT 0,
        config_snapshot TEXT, duration_ms INTEGER, model TEXT, conclusion TEXT NOT NULL DEFAULT 'unknown')""",
      "CREATE INDEX IF NOT EXISTS idx_reviews_repo ON reviews(repo)",
      "CREATE INDEX IF NOT EXISTS idx_reviews_repo_created ON reviews(repo, created_at)",
      "CREATE INDEX IF NOT EXISTS idx_reviews_repo_pr ON reviews(repo, pr_number)",
      """
      CREATE TABLE IF NOT EXISTS findings (id INTEGER PRIMARY KEY AUTOINCREMENT,
        review_id INTEGER NOT NULL REFERENCES reviews(id),
        created_at TEXT NOT NULL DEFAULT (datetime('now')), file_path TEXT NOT NULL, start_line INTEGER,
        end_line INTEGER,
        severity TEXT NOT NULL, category TEXT NOT NULL, confidence INTEGER NOT NULL, title TEXT NOT NULL,
        suppressed INTEGER NOT NULL DEFAULT 0, suppression_pattern TEXT)""",
      "CREATE INDEX IF NOT EXISTS idx_findings_review ON findings(review_id)",
      "CREATE INDEX IF NOT EXISTS idx_findings_severity ON findings(severity)",
      "CREATE INDEX IF NOT EXISTS idx_findings_file ON findings(file_path)",
      """
      CREATE TABLE IF NOT EXISTS suppression_log (id INTEGER PRIMARY KEY AUTOINCREMENT,
        review_id INTEGER NOT NULL REFERENCES reviews(id),
        pattern TEXT NOT NULL, matched_count INTEGER NOT NULL DEFAULT 0, finding_ids TEXT)""",
      "CREATE INDEX IF NOT EXISTS idx_suppression_log_review ON suppression_log(review_id)",
      """
      CREATE TABLE IF NOT EXISTS global_patterns (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        severity TEXT NOT NULL, category TEXT NOT NULL, confidence_band TEXT NOT NULL,
        pattern_fingerprint TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0, UNIQUE(severity, category, confidence_band, pattern_fingerprint))""",
      "CREATE INDEX IF NOT EXISTS idx_global_patterns_lookup ON global_patterns(severity, category, confidence_band)");

  static final List<String> KNOWLEDGE_LATER = List.of(
      "ALTER TABLE findings ADD COLUMN comment_id INTEGER",
      "ALTER TABLE findings ADD COLUMN comment_surface TEXT",
      "ALTER TABLE findings ADD COLUMN review_output_key TEXT",
      """
      CREATE TABLE IF NOT EXISTS feedback_reactions (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        repo TEXT NOT NULL, review_id INTEGER NOT NULL REFERENCES reviews(id),
        finding_id INTEGER NOT NULL REFERENCES findings(id),
        comment_id INTEGER NOT NULL, comment_surface TEXT NOT NULL, reaction_id INTEGER NOT NULL,
        reaction_content TEXT NOT NULL,
        reactor_login TEXT NOT NULL, reacted_at TEXT, severity TEXT NOT NULL, category TEXT NOT NULL,
        file_path TEXT NOT NULL,
        title TEXT NOT NULL, UNIQUE(repo, comment_id, reaction_id))""",
      "CREATE INDEX IF NOT EXISTS idx_feedback_reactions_repo_created ON feedback_reactions(repo, created_at)",
      "CREATE INDEX IF NOT EXISTS idx_feedback_reactions_finding ON feedback_reactions(finding_id)",
      "CREATE INDEX IF NOT EXISTS idx_feedback_reactions_repo_title ON feedback_reactions(repo, title)",
      """
      CREATE TABLE IF NOT EXISTS run_state (id INTEGER PRIMARY KEY AUTOINCREMENT, run_key TEXT NOT NULL UNIQUE,
        repo TEXT NOT NULL,
        pr_number INTEGER NOT NULL, base_sha TEXT NOT NULL, head_sha TEXT NOT NULL, delivery_id TEXT NOT NULL,
        action TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending', created_at TEXT NOT NULL DEFAULT (datetime('now')), completed_at TEXT,
        superseded_by TEXT)""",
      "CREATE INDEX IF NOT EXISTS idx_run_state_repo_pr ON run_state(repo, pr_number)",
      "CREATE INDEX IF NOT EXISTS idx_run_state_status ON run_state(status)",
      """
      CREATE TABLE IF NOT EXISTS author_cache (id INTEGER PRIMARY KEY AUTOINCREMENT, repo TEXT NOT NULL,
        author_login TEXT NOT NULL,
        tier TEXT NOT NULL, author_association TEXT NOT NULL, pr_count INTEGER,
        cached_at TEXT NOT NULL DEFAULT (datetime('now')),
        UNIQUE(repo, author_login))""",
      "CREATE INDEX IF NOT EXISTS idx_author_cache_lookup ON author_cache(repo, author_login)",
      """
      CREATE TABLE IF NOT EXISTS dep_bump_merge_history (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        repo TEXT NOT NULL, pr_number INTEGER NOT NULL, merged_at TEXT, delivery_id TEXT, source TEXT,
        signals_json TEXT,
        package_name TEXT, old_version TEXT, new_version TEXT, semver_bump_type TEXT, merge_confidence_level TEXT,
        merge_confidence_rationale_json TEXT, advisory_status TEXT, advisory_max_severity TEXT,
        is_security_bump INTEGER,
        UNIQUE(repo, pr_number))""",
      "CREATE INDEX IF NOT EXISTS idx_dep_bump_repo_created ON dep_bump_merge_history(repo, created_at)",
      "CREATE INDEX IF NOT EXISTS idx_dep_bump_repo_package ON dep_bump_merge_history(repo, package_name)",
      """
      CREATE TABLE IF NOT EXISTS review_checkpoints (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        review_output_key TEXT NOT NULL UNIQUE, repo TEXT NOT NULL, pr_number INTEGER NOT NULL,
        checkpoint_data TEXT NOT NULL,
        partial_comment_id INTEGER)""");

  /** The learning store: created only when sqlite-vec loaded. */
  static final List<String> LEARNING = List.of(
      """
      CREATE TABLE IF NOT EXISTS learning_memories (id INTEGER PRIMARY KEY AUTOINCREMENT, repo TEXT NOT NULL,
        owner TEXT NOT NULL,
        finding_id INTEGER, review_id INTEGER, source_repo TEXT NOT NULL, finding_text TEXT NOT NULL,
        severity TEXT NOT NULL,
        category TEXT NOT NULL, file_path TEXT NOT NULL, outcome TEXT NOT NULL, embedding_model TEXT NOT NULL,
        embedding_dim INTEGER NOT NULL, stale INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        UNIQUE(repo, finding_id, outcome))""",
      "CREATE INDEX IF NOT EXISTS idx_memories_repo ON learning_memories(repo)",
      "CREATE INDEX IF NOT EXISTS idx_memories_owner ON learning_memories(owner)",
      "CREATE INDEX IF NOT EXISTS idx_memories_stale ON learning_memories(stale)",
      "CREATE VIRTUAL TABLE IF NOT EXISTS learning_memory_vec USING vec0(memory_id INTEGER PRIMARY KEY, embedding "
      + "float[1024], "
          + "repo TEXT partition key, severity TEXT, category TEXT)");

  static final List<String> TELEMETRY_OLDEST = List.of(
      """
      CREATE TABLE IF NOT EXISTS executions (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        delivery_id TEXT, repo TEXT NOT NULL, pr_number INTEGER, event_type TEXT NOT NULL,
        provider TEXT NOT NULL DEFAULT 'anthropic',
        model TEXT NOT NULL, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
        duration_ms INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0, conclusion TEXT NOT NULL,
        session_id TEXT,
        num_turns INTEGER, stop_reason TEXT)""",
      "CREATE INDEX IF NOT EXISTS idx_executions_created_at ON executions(created_at)",
      "CREATE INDEX IF NOT EXISTS idx_executions_repo ON executions(repo)",
      """
      CREATE TABLE IF NOT EXISTS retrieval_quality (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        delivery_id TEXT, repo TEXT NOT NULL, pr_number INTEGER, event_type TEXT NOT NULL, top_k INTEGER,
        distance_threshold REAL,
        result_count INTEGER NOT NULL, avg_distance REAL, language_match_ratio REAL)""",
      "CREATE UNIQUE INDEX IF NOT EXISTS idx_retrieval_quality_delivery ON retrieval_quality(delivery_id) WHERE "
      + "delivery_id IS NOT NULL",
      "CREATE INDEX IF NOT EXISTS idx_retrieval_quality_repo_created ON retrieval_quality(repo, created_at)");

  static final List<String> TELEMETRY_LATER = List.of(
      "ALTER TABLE executions ADD COLUMN pr_author TEXT",
      "ALTER TABLE retrieval_quality ADD COLUMN threshold_method TEXT",
      """
      CREATE TABLE IF NOT EXISTS rate_limit_events (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        delivery_id TEXT, repo TEXT NOT NULL, pr_number INTEGER, event_type TEXT NOT NULL, cache_hit_rate REAL NOT NULL,
        skipped_queries INTEGER NOT NULL, retry_attempts INTEGER NOT NULL, degradation_path TEXT NOT NULL)""",
      "CREATE UNIQUE INDEX IF NOT EXISTS idx_rate_limit_events_delivery_event ON rate_limit_events(delivery_id, "
      + "event_type) WHERE delivery_id IS NOT NULL",
      "CREATE INDEX IF NOT EXISTS idx_rate_limit_events_repo_created ON rate_limit_events(repo, created_at)",
      """
      CREATE TABLE IF NOT EXISTS resilience_events (id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        delivery_id TEXT NOT NULL UNIQUE, repo TEXT NOT NULL, pr_number INTEGER, pr_author TEXT,
        event_type TEXT NOT NULL,
        kind TEXT NOT NULL, parent_delivery_id TEXT, review_output_key TEXT, execution_conclusion TEXT,
        had_inline_output INTEGER,
        checkpoint_files_reviewed INTEGER, checkpoint_finding_count INTEGER, checkpoint_total_files INTEGER,
        partial_comment_id INTEGER, recent_timeouts INTEGER, chronic_timeout INTEGER, retry_enqueued INTEGER,
        retry_files_count INTEGER, retry_scope_ratio REAL, retry_timeout_seconds INTEGER, retry_risk_level TEXT,
        retry_checkpoint_enabled INTEGER, retry_has_results INTEGER)""",
      "CREATE INDEX IF NOT EXISTS idx_resilience_events_repo_created ON resilience_events(repo, created_at)");

  // ------------------------------------------------------------------------------ files

  /** Creates (or reopens) a knowledge file of `shape` and returns a connection to it with sqlite-vec loaded. */
  static Connection knowledge(Path file, Shape shape) throws SQLException {
    Connection c = open(file);
    run(c, KNOWLEDGE_OLDEST);
    if (shape != Shape.OLDEST) run(c, KNOWLEDGE_LATER);
    if (shape == Shape.CURRENT) run(c, LEARNING);
    return c;
  }

  static Connection telemetry(Path file, Shape shape) throws SQLException {
    Connection c = open(file);
    run(c, TELEMETRY_OLDEST);
    if (shape != Shape.OLDEST) run(c, TELEMETRY_LATER);
    return c;
  }

  /** A read-write connection in WAL mode, as the stores open their files, with vec0 loaded. */
  static Connection open(Path file) throws SQLException {
    SQLiteConfig cfg = new SQLiteConfig();
    cfg.enableLoadExtension(true);
    cfg.setBusyTimeout(5000);
    Connection c = cfg.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
    try (Statement st = c.createStatement()) {
      st.execute("SELECT load_extension('" + vec0().toString().replace("'", "''") + "')");
      st.execute("PRAGMA journal_mode = WAL");
    }
    return c;
  }

  private static void run(Connection c, List<String> ddl) throws SQLException {
    try (Statement st = c.createStatement()) {
      for (String sql : ddl) {
        try {
          st.execute(sql);
        } catch (SQLException e) {
          // upgrade steps run again on every start
          if (!String.valueOf(e.getMessage()).contains("duplicate column")) throw e;
        }
      }
    }
  }

  private static Path vec0;

  /** vec0.so: $KODIAI_SQLITE_VEC, else fetched once by scripts/fetch-sqlite-vec.sh. */
  static synchronized Path vec0() {
    if (vec0 != null) return vec0;
    String env = System.getenv("KODIAI_SQLITE_VEC");
    if (env != null && !env.isBlank()) return vec0 = Path.of(env);
    Path script = null;
    for (Path p = Path.of("").toAbsolutePath(); p != null && script == null; p = p.getParent())
      if (Files.exists(p.resolve("scripts/fetch-sqlite-vec.sh"))) script = p.resolve("scripts/fetch-sqlite-vec.sh");
    if (script == null) throw new IllegalStateException(
        "scripts/fetch-sqlite-vec.sh not found: run from the kodiai-db checkout, or set KODIAI_SQLITE_VEC");
    // It downloads from npm the first time: ten minutes is ample, and a stuck download must not hang the run.
    ChildProcess.Result r = ChildProcess.of("bash", script.toString()).run(java.time.Duration.ofMinutes(10));
    String out = r.stdout().trim();
    if (!r.ok() || out.isEmpty())
      throw new IllegalStateException(r.ok() ? "scripts/fetch-sqlite-vec.sh printed no path" : r.problem());
    return vec0 = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
  }

  /** A vector as the bot binds it (vec_f32 of a Float32Array): little-endian float32. */
  static byte[] f32(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) b.putFloat(x);
    return b.array();
  }

  /** Inserts a memory the way the learning store does: the row, then its vector under the same id. */
  static long insertMemory(Connection c, String repo, Long findingId, String text, String severity, String category,
      String outcome,
      float[] embedding, boolean stale) throws SQLException {
    long id;
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO learning_memories (repo, owner, finding_id, review_id, source_repo, "
        + "finding_text, severity,"
        + " category, file_path, outcome, embedding_model, embedding_dim, stale) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, "
        + "'src/a.ts', ?, 'voyage-code-3', ?, ?) RETURNING id")) {
      ps.setString(1, repo);
      ps.setString(2, repo.contains("/") ? repo.substring(0, repo.indexOf('/')) : repo);
      if (findingId == null) ps.setNull(3, java.sql.Types.BIGINT); else ps.setLong(3, findingId);
      ps.setString(4, repo);
      ps.setString(5, text);
      ps.setString(6, severity);
      ps.setString(7, category);
      ps.setString(8, outcome);
      ps.setInt(9, embedding == null ? 1024 : embedding.length);
      ps.setInt(10, stale ? 1 : 0);
      try (var rs = ps.executeQuery()) { rs.next(); id = rs.getLong(1); }
    }
    if (embedding != null) {
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO learning_memory_vec (memory_id, embedding, repo, severity, category) VALUES "
          + "(?, vec_f32(?), ?, ?, ?)")) {
        ps.setLong(1, id);
        ps.setBytes(2, f32(embedding));
        ps.setString(3, repo);
        ps.setString(4, severity);
        ps.setString(5, category);
        ps.executeUpdate();
      }
    }
    return id;
  }

  static float[] unitVector(SplittableRandom r, int dims) {
    float[] v = new float[dims];
    double n = 0;
    for (int k = 0; k < dims; k++) { v[k] = (float) (r.nextDouble() * 2 - 1); n += v[k] * v[k]; }
    float inv = (float) (1 / Math.sqrt(n));
    for (int k = 0; k < dims; k++) v[k] *= inv;
    return v;
  }

  static String utc(long epochSecond) {
    return java.time.LocalDateTime.ofEpochSecond(epochSecond, 0, java.time.ZoneOffset.UTC)
        .format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT));
  }
}
