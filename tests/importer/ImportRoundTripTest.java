// Issue 10: every value of every table of real kodiai files (written the way the bot writes
// them, vec0 through the real sqlite-vec) arrives exactly, compared value by value with the
// source by this test's own reading of both sides; sequences end past sqlite_sequence; the
// source files' bytes do not change; a second run imports nothing.

import static org.junit.jupiter.api.Assertions.*;

import com.pgvector.PGhalfvec;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ImportRoundTripTest extends ImportFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();
  @TempDir static Path dir;
  static Path knowledge, telemetry;
  static List<String> knowledgeBefore, telemetryBefore;
  static Run first;
  static final Map<Long, float[]> vectors = new HashMap<>();

  // Text that must survive as it is: every kind of character kodiai meets, and some it should not.
  static final String WEIRD = "tab\there\nnewline\r\ncrlf \u0001\u001f\u007f bell\u0007 é ü ß 中文 😀 \uD834\uDD1E \u200B zero-width ' \" \\ % _ ; -- /* */ \uFFFD";
  static final long BIG = 4_153_840_487L, HUGE = 9_007_199_254_740_993L; // > 2^31, > 2^53

  @BeforeAll static void importRealFiles() throws Exception {
    migrateToLatest(db);
    knowledge = dir.resolve("kodiai-knowledge.db");
    telemetry = dir.resolve("kodiai-telemetry.db");
    SplittableRandom r = new SplittableRandom(7);
    try (Connection c = BenchImportFiles.knowledge(knowledge, BenchImportFiles.Shape.CURRENT)) {
      exec(c,
          "INSERT INTO reviews (repo, pr_number, head_sha, delivery_id, files_analyzed, lines_changed, findings_major, findings_total, config_snapshot, duration_ms, model, conclusion)"
              + " VALUES ('acme/api', 42, 'f00d', 'd-1', 12, 345, 1, 1, '{\"z\": 1, \"a\": {\"n\": [1, 2.50, -0, 1e2, 1E-3]}, \"s\": \"\\u00e9\\n\\ud83d\\ude00\", \"a\": 2}', 93000, 'claude', 'success')",
          "INSERT INTO reviews (repo, pr_number, config_snapshot, model, created_at) VALUES ('" + WEIRD.replace("'", "''") + "', 7, NULL, '', '1999-12-31 23:59:59')",
          "INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 43, '{\"é\": 1, \"ab\": 2, \"big\": \"" + longTitle(r).repeat(12) + "\"}')",
          "INSERT INTO reviews (repo, pr_number) VALUES ('acme/api', 44)",
          "DELETE FROM reviews WHERE id = 4", // sqlite_sequence stays at 4
          "INSERT INTO findings (review_id, file_path, start_line, end_line, severity, category, confidence, title, suppressed, suppression_pattern, comment_id, comment_surface, review_output_key)"
              + " VALUES (1, 'src/a.ts', 1, 9, 'major', 'security', 90, 'SQL injection', 1, 'pat', " + BIG + ", 'inline', 'rok-1')",
          "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (2, '" + WEIRD.replace("'", "''") + "', 'minor', 'style', 10, '')",
          "INSERT INTO suppression_log (review_id, pattern, matched_count, finding_ids) VALUES (1, 'p', 2, '[1, 2]'), (2, 'q', 0, NULL)",
          // upserts, as the stores run them
          "INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count) VALUES ('major', 'security', 'high', 'fp1', 1)",
          "INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count) VALUES ('major', 'security', 'high', 'fp1', 1)"
              + " ON CONFLICT (severity, category, confidence_band, pattern_fingerprint) DO UPDATE SET count = count + 1",
          "INSERT OR IGNORE INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id, reaction_content, reactor_login, reacted_at, severity, category, file_path, title)"
              + " VALUES ('acme/api', 1, 1, " + BIG + ", 'inline', " + HUGE
              + ", '+1', 'octocat', '2025-12-05T09:02:18Z', 'major', 'security', 'src/a.ts', '" + longTitle(r) + "')",
          "INSERT OR IGNORE INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id, reaction_content, reactor_login, reacted_at, severity, category, file_path, title)"
              + " VALUES ('acme/api', 1, 1, " + BIG + ", 'inline', " + HUGE + ", '-1', 'octocat', NULL, 'major', 'security', 'src/a.ts', 'dup ignored')",
          "INSERT INTO run_state (run_key, repo, pr_number, base_sha, head_sha, delivery_id, action) VALUES ('k1', 'acme/api', 42, 'b', 'h', 'd-1', 'opened')",
          "UPDATE run_state SET status = 'completed', completed_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE run_key = 'k1'",
          "INSERT INTO author_cache (repo, author_login, tier, author_association, pr_count) VALUES ('acme/api', 'dev', 'core', 'MEMBER', 3)",
          "INSERT INTO author_cache (repo, author_login, tier, author_association, pr_count) VALUES ('acme/api', 'dev', 'regular', 'CONTRIBUTOR', NULL)"
              + " ON CONFLICT (repo, author_login) DO UPDATE SET tier = excluded.tier, author_association = excluded.author_association, pr_count = excluded.pr_count, cached_at = datetime('now')",
          "INSERT INTO dep_bump_merge_history (repo, pr_number, merged_at, source, signals_json, package_name, old_version, new_version, semver_bump_type,"
              + " merge_confidence_level, merge_confidence_rationale_json, advisory_status, advisory_max_severity, is_security_bump)"
              + " VALUES ('acme/api', 50, '2025-06-30T12:00:00Z', 'dependabot', '[\"title\", \"sender\"]', 'lodash', '4.17.20', '4.17.21', 'patch', 'high', '[\"ok\", null]', 'none', NULL, 0)",
          "INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data, partial_comment_id) VALUES ('rok-1', 'acme/api', 42, '{\"files\": []}', " + BIG + ")",
          "INSERT OR REPLACE INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data, partial_comment_id) VALUES ('rok-1', 'acme/api', 42, '{\"files\": [\"a\"]}', NULL)");
      writeMemories(c, r);
    }
    writeTelemetry(telemetry);
    rotateTimestampShapes(knowledge);
    rotateTimestampShapes(telemetry);
    knowledgeBefore = fileState(knowledge);
    telemetryBefore = fileState(telemetry);
    first = importInto(db.url(), "--knowledge", knowledge.toString(), "--telemetry", telemetry.toString());
  }

  /** Memories: vectors through vec0, holes from deletions, a reused slot, one without a vector, two repos (partitions). */
  static void writeMemories(Connection c, SplittableRandom r) throws Exception {
    for (int i = 0; i < 40; i++) {
      float[] v = BenchImportFiles.unitVector(r, 1024);
      if (i == 3) { // bit for bit, every float32 edge case the schema can hold (007's halfvec copy refuses |x| >= 65520)
        float[] edge = {Float.MIN_VALUE, -0.0f, 65504f, -65504f, Math.nextDown(65520f), 1e-30f, -1e-30f, 1e-40f, Float.MIN_NORMAL,
            Math.nextDown(Float.MIN_NORMAL), 1.0000001f, 0.99999994f, 4095.9998f, 0.1f, -1.1754942E-38f, 3.0517578E-5f, 1.0f / 3};
        System.arraycopy(edge, 0, v, 0, edge.length);
      }
      String repo = i % 3 == 0 ? "acme/web" : "acme/api";
      long id = BenchImportFiles.insertMemory(c, repo, i % 5 == 0 ? null : BIG + i, "finding " + i + " " + WEIRD, "major", "correctness",
          i % 2 == 0 ? "accepted" : "thumbs_up", v, i % 7 == 0);
      vectors.put(id, v);
    }
    exec(c, "DELETE FROM learning_memory_vec WHERE memory_id IN (5, 6, 40)", "DELETE FROM learning_memories WHERE id IN (5, 6, 40)");
    float[] v = BenchImportFiles.unitVector(r, 1024);
    vectors.put(BenchImportFiles.insertMemory(c, "acme/api", 777L, "reuses a freed slot", "minor", "style", "suppressed", v, false), v);
    BenchImportFiles.insertMemory(c, "acme/api", 778L, "no vector (embedding call failed)", "minor", "style", "accepted", null, false);
    vectors.keySet().removeAll(List.of(5L, 6L, 40L));
  }

  /** The telemetry file: every table, edge values of REAL and numeric, a deleted row (sqlite_sequence above max(id)). */
  static void writeTelemetry(Path telemetry) throws Exception {
    try (Connection c = BenchImportFiles.telemetry(telemetry, BenchImportFiles.Shape.CURRENT)) {
      exec(c,
          "INSERT INTO executions (delivery_id, repo, pr_number, pr_author, event_type, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, duration_ms, cost_usd, conclusion, session_id, num_turns, stop_reason)"
              + " VALUES ('d-1', 'acme/api', 42, 'dev', 'review', 'claude', 1000, 200, 30, 4, 5000, 0.1 + 0.2, 'success', 's', 3, 'end_turn')",
          "INSERT INTO executions (repo, event_type, model, conclusion, cost_usd) VALUES ('acme/api', 'mention', 'claude', 'error', 0.000000000049)",
          "INSERT INTO executions (repo, event_type, model, conclusion, cost_usd) VALUES ('acme/api', 'mention', 'claude', 'ok', 12345678.123456789)",
          "INSERT INTO executions (repo, event_type, model, conclusion) VALUES ('acme/api', 'mention', 'claude', 'ok')",
          "INSERT INTO rate_limit_events (delivery_id, repo, pr_number, event_type, cache_hit_rate, skipped_queries, retry_attempts, degradation_path)"
              + " VALUES ('d-1', 'acme/api', 42, 'search', 0.1, 1, 2, 'none'), (NULL, 'acme/api', NULL, 'search', -0.0, 0, 0, 'x'), (NULL, 'acme/api', NULL, 'search', 1e308, 0, 0, 'y')",
          "INSERT INTO retrieval_quality (delivery_id, repo, pr_number, event_type, top_k, distance_threshold, result_count, avg_distance, language_match_ratio, threshold_method)"
              + " VALUES ('d-1', 'acme/api', 42, 'retrieval', 5, 0.35, 4, 0.1234567890123456789, NULL, 'adaptive'), (NULL, 'acme/api', NULL, 'retrieval', NULL, NULL, 0, NULL, 1.0, NULL)",
          "INSERT INTO resilience_events (delivery_id, repo, pr_number, pr_author, event_type, kind, parent_delivery_id, review_output_key, execution_conclusion, had_inline_output,"
              + " checkpoint_files_reviewed, checkpoint_finding_count, checkpoint_total_files, partial_comment_id, recent_timeouts, chronic_timeout, retry_enqueued,"
              + " retry_files_count, retry_scope_ratio, retry_timeout_seconds, retry_risk_level, retry_checkpoint_enabled, retry_has_results)"
              + " VALUES ('d-1', 'acme/api', 42, 'dev', 'timeout', 'checkpoint', 'p', 'rok-1', 'timeout', 1, 3, 2, 10, " + BIG + ", 2, 0, 1, 7, 0.7, 600, 'low', 1, 0)",
          "DELETE FROM executions WHERE id = 4"); // sqlite_sequence above max(id)
    }
  }

  /** The shapes kodiai's stores write (SQLite's datetime('now') and %f, GitHub's and JavaScript's ISO 8601), all UTC.
   * */
  static final List<String> SHAPES = List.of("2025-12-05T09:02:18Z", "2025-12-05 09:02:18", "2025-12-05 09:02:07.123",
      "2025-12-05T09:02:07.5Z",
      "2025-12-05 09:02:07.000001", "2024-02-29T23:59:59.999999Z", "1999-12-31 23:59:59.1234560",
          "2025-12-05T09:02:07.120Z");

  /** Every timestamp column of every table of `file` (those PostgreSQL types timestamptz) gets the shapes, row by row.
   * */
  static void rotateTimestampShapes(Path file) throws Exception {
    try (Connection c = BenchImportFiles.open(file); Statement st = c.createStatement()) {
      List<String[]> columns = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
          + " AND (p.name LIKE '%\\_at' ESCAPE '\\') AND m.name NOT LIKE 'learning_memory_vec%'")) {
        while (rs.next()) columns.add(new String[] {rs.getString(1), rs.getString(2)});
      }
      assertFalse(columns.isEmpty());
      int k = 0;
      for (String[] tc : columns) {
        StringBuilder cases = new StringBuilder("CASE (id + " + (k++) + ") % " + SHAPES.size());
        for (int i = 0; i < SHAPES.size(); i++) cases.append(" WHEN ").append(i).append(" THEN '").append(SHAPES.get(i)).append("'");
        st.execute("UPDATE " + tc[0] + " SET " + tc[1] + " = " + cases + " END WHERE " + tc[1] + " IS NOT NULL");
        timestampColumns.add(tc[0] + "." + tc[1]);
      }
    }
  }

  static final List<String> timestampColumns = new ArrayList<>();

  static String longTitle(SplittableRandom r) { // ~4 kB of incompressible text: more than a btree entry holds (005)
    StringBuilder sb = new StringBuilder();
    while (sb.length() < 4000) sb.append(Long.toString(r.nextLong(), 36));
    return sb.toString();
  }

  @Test void importsAndSaysWhat() {
    assertEquals(0, first.exit(), first.all());
    assertTrue(first.out().contains("verified"), first.out());
    assertTrue(first.out().matches("(?s).*learning_memories\\s+39\\s+39\\s+0\\s+0.*"), first.out());
    assertTrue(first.out().contains("1 memories have no vector"), first.out());
    assertTrue(first.err().contains("copy learning_memories") && first.err().contains("copy reviews"), "empty tables take the direct COPY: " + first.err());
  }

  @Test void everyValueOfEveryTableEqualsItsSource() throws Exception {
    assertEquals(0, first.exit(), first.all());
    Map<String, String> tables = new java.util.LinkedHashMap<>();
    for (String t : List.of("reviews", "findings", "suppression_log", "global_patterns", "feedback_reactions", "run_state", "author_cache",
        "dep_bump_merge_history", "review_checkpoints", "learning_memories")) tables.put(t, t);
    int compared = compareTables(knowledge, tables);
    compared += compareTables(telemetry, Map.of("executions", "telemetry_events", "rate_limit_events", "rate_limit_events",
        "retrieval_quality", "retrieval_quality_events", "resilience_events", "resilience_events"));
    assertTrue(compared > 500, "values compared: " + compared);
    // every timestamp column was compared, and every shape met
    assertTrue(timestampColumns.size() >= 16, timestampColumns.toString());
    for (String shape : SHAPES) assertTrue(timestampsCompared.stream().anyMatch(x -> x.endsWith(" " + shape)), shape
        + " in " + timestampsCompared);
    for (String tc : List.of("feedback_reactions.reacted_at", "dep_bump_merge_history.merged_at",
        "run_state.completed_at", "author_cache.cached_at"))
      assertTrue(timestampsCompared.stream().anyMatch(x -> x.startsWith(tc + " ")), tc + " in " + timestampsCompared);
  }

  /** Reads each source row with plain SQLite and the target row with plain pgjdbc; compares every column. */
  private int compareTables(Path file, Map<String, String> tables) throws Exception {
    int values = 0;
    try (Connection s = BenchImportFiles.open(file); Connection p = DbClient.open(db.url())) {
      for (var e : tables.entrySet()) {
        Map<String, String> types = new HashMap<>();
        try (ResultSet rs = p.createStatement().executeQuery("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '" + e.getValue() + "'")) {
          while (rs.next()) types.put(rs.getString(1), rs.getString(2));
        }
        int rows = 0;
        try (Statement ss = s.createStatement(); ResultSet src = ss.executeQuery("SELECT * FROM " + e.getKey() + " ORDER BY id")) {
          ResultSetMetaData md = src.getMetaData();
          while (src.next()) {
            rows++;
            long id = src.getLong("id");
            try (PreparedStatement ps = p.prepareStatement("SELECT * FROM " + e.getValue() + " WHERE id = ?")) {
              ps.setLong(1, id);
              try (ResultSet dst = ps.executeQuery()) {
                assertTrue(dst.next(), e.getValue() + " id " + id + " missing");
                for (int k = 1; k <= md.getColumnCount(); k++) {
                  String col = md.getColumnName(k);
                  assertValue(e.getValue() + "." + col + " id " + id, types.get(col), src.getObject(k), dst, col, p);
                  values++;
                }
                if (e.getValue().equals("learning_memories")) {
                  float[] expected = vectors.get(id);
                  Object emb = dst.getObject("embedding");
                  if (expected == null) assertNull(emb, "memory " + id + " has no vector in vec0");
                  else assertVector(expected, ((PGhalfvec) emb).toArray(), id, s);
                  values++;
                }
              }
            }
          }
        }
        assertEquals(rows, count(db.url(), "SELECT count(*) FROM " + e.getValue()), e.getValue() + " rows");
      }
    }
    return values;
  }

  static final java.util.Set<String> timestampsCompared = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private void assertValue(String what, String pgType, Object src, ResultSet dst, String col, Connection p) throws SQLException {
    Object v = dst.getObject(col);
    if (src == null) { assertNull(v, what); return; }
    switch (pgType) {
      case "bigint", "integer" -> assertEquals(((Number) src).longValue(), ((Number) v).longValue(), what);
      case "text" -> assertEquals(src, v, what);
      case "boolean" -> assertEquals(((Number) src).longValue() == 1, v, what);
      case "timestamp with time zone" -> {
        // the instant the source text names, read here by java.time alone (ISO_LOCAL_DATE_TIME: 'T', up to 9 fraction
        // digits)
        String iso = ((String) src).replace(' ', 'T');
        java.time.Instant expected = java.time.LocalDateTime.parse(iso.endsWith("Z") ? iso.substring(0,
            iso.length() - 1) : iso).toInstant(ZoneOffset.UTC);
        assertEquals(expected, dst.getObject(col, OffsetDateTime.class).toInstant(), what + ": '" + src + "'");
        timestampsCompared.add(what.substring(0, what.indexOf(" id ")) + " " + src);
      }
      case "double precision" -> assertEquals(Double.doubleToRawLongBits(((Number) src).doubleValue()), Double.doubleToRawLongBits(dst.getDouble(col)), what);
      case "numeric" -> assertEquals(new BigDecimal(Double.toString(((Number) src).doubleValue())).setScale(10, RoundingMode.HALF_UP), dst.getBigDecimal(col), what);
      case "jsonb" -> {
        try (PreparedStatement ps = p.prepareStatement("SELECT ?::jsonb = ?::jsonb")) { // the source text parsed by PostgreSQL itself
          ps.setString(1, (String) src);
          ps.setString(2, dst.getString(col));
          try (ResultSet rs = ps.executeQuery()) { rs.next(); assertTrue(rs.getBoolean(1), what + ": " + src + " vs " + dst.getString(col)); }
        }
      }
      default -> fail(what + ": type " + pgType + " not compared");
    }
  }

  /** Bit for bit: against the floats written, and against what sqlite-vec itself returns for the memory. */
  /** The stored halfvec holds, element for element, the half nearest to the source's float32 (HalfPrecisionTest). */
  private void assertVector(float[] expected, float[] got, long id, Connection sqlite) throws SQLException {
    assertEquals(expected.length, got.length);
    for (int k = 0; k < expected.length; k++)
      assertEquals(PgBinary.half(Float.floatToRawIntBits(expected[k])), PgBinary.half(Float.floatToRawIntBits(got[k])),
          "memory " + id + " element " + k);
    try (PreparedStatement ps = sqlite.prepareStatement("SELECT embedding FROM learning_memory_vec WHERE memory_id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        ByteBuffer b = ByteBuffer.wrap(rs.getBytes(1)).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < got.length; k++)
          assertEquals(PgBinary.half(b.getInt()), PgBinary.half(Float.floatToRawIntBits(got[k])), "memory " + id
              + " element " + k + " vs vec0");
      }
    }
  }

  @Test void theEmbeddingIsStoredAsHalfPrecision() throws Exception { // 007: embedding is halfvec(1024)
    assertEquals(0, first.exit(), first.all());
    assertEquals(vectors.size(), count(db.url(), "SELECT count(embedding) FROM learning_memories"));
    assertEquals(65504f, (float) count(db.url(),
        "SELECT (embedding::real[])[5] FROM learning_memories WHERE id = 4"), "nextDown(65520) rounds to 65504");
  }

  @Test void theSearchCopyOf010HoldsEveryImportedLiveMemory() throws Exception { // kept by triggers, never written by the import
    assertEquals(0, first.exit(), first.all());
    long live = count(db.url(), "SELECT count(*) FROM learning_memories WHERE NOT stale");
    assertTrue(live > 0);
    assertEquals(live, count(db.url(), "SELECT count(*) FROM learning_memories_search"));
    assertEquals(0, count(db.url(), "SELECT count(*) FROM (SELECT repo, id, search_tsv FROM learning_memories WHERE NOT stale "
        + "EXCEPT SELECT repo, id, search_tsv FROM learning_memories_search) d"), "every live memory, with its search vector");
  }

  @Test void sequencesEndPastTheHighestIdTheSourceEverIssued() throws Exception {
    try (Connection c = DbClient.open(db.url()); Statement st = c.createStatement()) {
      // reviews: sqlite_sequence 4 (row 4 deleted), max(id) 3; executions: 4 vs 3; memories: 42 vs 42
      for (String[] t : new String[][] {{"reviews", "5"}, {"telemetry_events", "5"}, {"learning_memories", "43"}}) {
        try (ResultSet rs = st.executeQuery("INSERT INTO " + t[0] + (t[0].equals("reviews") ? " (repo, pr_number) VALUES ('x', 1)"
            : t[0].equals("telemetry_events") ? " (repo, event_type, model, conclusion) VALUES ('x', 'e', 'm', 'c')"
            : " (repo, owner, source_repo, finding_text, severity, category, file_path, outcome, embedding_model, embedding_dim) VALUES ('x', 'x', 'x', 't', 'minor', 'style', 'f', 'accepted', 'm', 1024)")
            + " RETURNING id")) {
          rs.next();
          assertEquals(Long.parseLong(t[1]), rs.getLong(1), t[0] + ": the next new row takes the id after sqlite_sequence");
        }
      }
      st.execute("DELETE FROM reviews WHERE id = 5");
      st.execute("DELETE FROM telemetry_events WHERE id = 5");
      st.execute("DELETE FROM learning_memories WHERE id = 43");
    }
  }

  @Test void theSourceFilesAreNotModified() throws Exception {
    assertEquals(knowledgeBefore, fileState(knowledge));
    assertEquals(telemetryBefore, fileState(telemetry));
  }

  @Test void aSecondRunImportsNothingAndSaysSo() throws Exception {
    assertEquals(0, first.exit(), first.all());
    Map<String, String> before = targetState(db.url());
    Run again = importInto(db.url(), "--knowledge", knowledge.toString(), "--telemetry", telemetry.toString());
    assertEquals(0, again.exit(), again.all());
    assertTrue(again.out().contains("nothing to import"), again.out());
    assertEquals(before, targetState(db.url()));
    assertEquals(knowledgeBefore, fileState(knowledge));
  }
}
