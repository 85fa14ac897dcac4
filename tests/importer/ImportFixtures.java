// Shared helpers of the import tests (tests/importer/*Test.java extend this class): real
// kodiai SQLite files (bench/BenchImportFiles.java: the stores' DDL, WAL, vec0 through the
// real sqlite-vec extension), running `import` in-process with its output captured, and
// snapshots of the target (row counts, sequences) to prove "nothing written".

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

abstract class ImportFixtures extends SchemaFixtures {
  static final List<String> TARGET_TABLES = List.of("reviews", "findings", "suppression_log", "global_patterns", "feedback_reactions",
      "run_state", "author_cache", "dep_bump_merge_history", "review_checkpoints", "learning_memories", "telemetry_events",
      "rate_limit_events", "retrieval_quality_events", "resilience_events");

  /** The working tree's migrations/ (so edits are tested). */
  static Path migrations() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
      if (Files.exists(p.resolve("migrations/001-initial-schema.sql"))) return p.resolve("migrations");
    return null; // the bundled copy
  }

  /** What one run of `import` did, and the kind of the failure it ended with (null: none). */
  record Run(int exit, String out, String err, Failure.Kind kind) {
    String all() { return out + err; }
  }

  /** Runs `import ARGS` in-process against `url`, with writers of its own (no global lock). */
  static Run importInto(String url, String... args) {
    List<String> a = new ArrayList<>(List.of(args));
    if (url != null) { a.add("--url"); a.add(url); }
    Captured c = Captured.run(Import.commandLine(), a.toArray(String[]::new));
    return new Run(c.code(), c.out(), c.err(), c.kind());
  }

  /** Row counts and the next id of every target table: equal before and after means nothing was written. */
  static Map<String, String> targetState(String url) throws SQLException {
    Map<String, String> m = new TreeMap<>();
    try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
      for (String t : TARGET_TABLES) {
        try (ResultSet rs = st.executeQuery("SELECT count(*), (SELECT last_value || '/' || is_called FROM " + t + "_id_seq) FROM " + t)) {
          rs.next();
          m.put(t, rs.getLong(1) + " rows, seq " + rs.getString(2));
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")) { rs.next(); m.put("indexes", rs.getString(1)); }
    }
    return m;
  }

  static long count(String url, String sql) throws SQLException {
    try (Connection c = DbClient.open(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** SHA-256 of the file and of its -wal (or "absent"), and whether its -shm exists: the source's bytes. */
  static List<String> fileState(Path db) throws Exception {
    List<String> s = new ArrayList<>();
    for (String suffix : List.of("", "-wal")) {
      Path p = db.resolveSibling(db.getFileName() + suffix);
      s.add(suffix + ":" + (Files.exists(p) ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))) : "absent"));
    }
    s.add("-shm:" + (Files.exists(db.resolveSibling(db.getFileName() + "-shm")) ? "present" : "absent"));
    return s;
  }

  static void exec(Connection c, String... sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      for (String s : sql) st.execute(s);
    }
  }

  /** A knowledge file of `shape` with nothing in it, closed. */
  static Path emptyKnowledge(Path dir, String name, BenchImportFiles.Shape shape) throws SQLException {
    Path f = dir.resolve(name);
    try (Connection c = BenchImportFiles.knowledge(f, shape)) { /* created */ }
    return f;
  }

  static Path emptyTelemetry(Path dir, String name, BenchImportFiles.Shape shape) throws SQLException {
    Path f = dir.resolve(name);
    try (Connection c = BenchImportFiles.telemetry(f, shape)) { /* created */ }
    return f;
  }

  static void write(Path p, byte[] bytes) throws IOException { Files.write(p, bytes); }
}
